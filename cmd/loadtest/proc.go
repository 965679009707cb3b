package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat. The kernel
// reports them in USER_HZ, which is 100 on every Linux architecture Go
// supports (it is a fixed ABI value, not the kernel's tick rate).
const userHZ = 100

// proc is a child process this program started; it is stopped by its PID
// only.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string
	log  *os.File
	done chan struct{}
	err  error
}

// startProc execs bin with args and env (added to a cleaned copy of ours),
// stdout and stderr going to logPath.
func startProc(name, bin string, args, env []string, addr, logPath string) (*proc, error) {
	return startProcEnv(name, bin, args, append(baseEnv(), env...), addr, logPath)
}

// startProcEnv execs bin with args and exactly env, stdout and stderr
// going to logPath.
func startProcEnv(name, bin string, args, env []string, addr, logPath string) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, addr: addr, log: logf, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// baseEnv is our environment without what would change how the children
// behave: a Lambda runtime address (they would try to serve Lambda) and
// any TOLLGATE_* or FAKELLM_* setting the caller happens to have.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "AWS_LAMBDA_RUNTIME_API" || strings.HasPrefix(k, "TOLLGATE_") || strings.HasPrefix(k, "FAKELLM_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended, with its log's tail.
func (p *proc) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited (%v); log %s:\n%s", p.name, p.err, p.log.Name(), tail(p.log.Name(), 2000))
	default:
		return nil
	}
}

// stop sends SIGTERM, waits up to 5 s, then SIGKILL; by PID only.
func (p *proc) stop() {
	if p == nil {
		return
	}
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	p.log.Close()
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitListening waits until addr accepts connections or p exits.
func waitListening(ctx context.Context, p *proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := p.exited(); err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: nothing listening on %s after %s; log:\n%s", p.name, p.addr, timeout, tail(p.log.Name(), 2000))
}

// procStat is a process's CPU time and memory at one moment.
type procStat struct {
	cpuTicks int64 // utime + stime, in userHZ ticks
	rssKiB   int64 // VmRSS
	hwmKiB   int64 // VmHWM
	threads  int64
}

func readStat(pid int) (procStat, error) {
	var s procStat
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	ut, st, _, _, err := statTicks(b)
	if err != nil {
		return s, err
	}
	s.cpuTicks = ut + st
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range bytes.Lines(b) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		f := strings.Fields(string(v))
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch string(k) {
		case "VmRSS":
			s.rssKiB = n
		case "VmHWM":
			s.hwmKiB = n
		case "Threads":
			s.threads = n
		}
	}
	return s, nil
}

// statTicks parses utime, stime, cutime and cstime out of /proc/<pid>/stat
// (fields 14 to 17; the command name in field 2 may contain spaces, so the
// fields are counted from its closing parenthesis).
func statTicks(b []byte) (ut, st, cut, cst int64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, 0, 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 15 {
		return 0, 0, 0, 0, errors.New("short /proc stat")
	}
	vals := make([]int64, 4)
	for k := range vals {
		vals[k], err = strconv.ParseInt(f[11+k], 10, 64)
		if err != nil {
			return 0, 0, 0, 0, err
		}
	}
	return vals[0], vals[1], vals[2], vals[3], nil
}

// machineTicks is the CPU used so far by every live process, counting
// reaped children through their parents: what bench/run.sh measures machine
// load with (this VM's /proc/stat idle counter is not trusted).
func machineTicks() int64 {
	ents, _ := filepath.Glob("/proc/[0-9]*/stat")
	var sum int64
	for _, p := range ents {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		ut, st, cut, cst, err := statTicks(b)
		if err == nil {
			sum += ut + st + cut + cst
		}
	}
	return sum
}

// selfTicks is this process's own CPU time, in ticks.
func selfTicks() int64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	ut, st, _, _, _ := statTicks(b)
	return ut + st
}
