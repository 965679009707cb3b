package runtimeapitest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// CPUTime is the CPU time pid's live threads have used, from
// /proc/PID/task/*/schedstat (nanoseconds, where /proc/PID/stat counts 10 ms
// ticks): precise enough for a process that has run a few milliseconds.
// Linux only.
func CPUTime(pid int) (time.Duration, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("reading the CPU time of process %d: no /proc/%d/task/*/schedstat", pid, pid)
	}
	var sum int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that ended meanwhile
		}
		if i := bytes.IndexByte(b, ' '); i > 0 {
			n, err := strconv.ParseInt(string(b[:i]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("reading %s: %w", f, err)
			}
			sum += n
		}
	}
	return time.Duration(sum), nil
}

// Memory is pid's resident set now and at its peak (VmRSS and VmHWM of
// /proc/PID/status), in KiB. Linux only.
func Memory(pid int) (rssKiB, hwmKiB int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range bytes.Lines(b) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch string(k) {
		case "VmRSS":
			rssKiB, _ = strconv.ParseInt(string(f[0]), 10, 64)
		case "VmHWM":
			hwmKiB, _ = strconv.ParseInt(string(f[0]), 10, 64)
		}
	}
	return rssKiB, hwmKiB, nil
}

// PID is the process's id.
func (p *Process) PID() int { return p.cmd.Process.Pid }
