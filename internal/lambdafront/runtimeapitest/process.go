package runtimeapitest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// BuildBootstrap compiles the main package pkg (an import path or a path
// relative to the test's directory) with -tags lambda.norpc, as it is built
// for Lambda, into a file named bootstrap in a temporary directory. It
// returns the binary's path.
//
// The other settings are the running test binary's (-race, -trimpath,
// CGO_ENABLED and its tags), not the Makefile's static Lambda build: go test
// has compiled every package of the binary with those settings already, so
// this is a link instead of a second compile of the AWS SDK and the standard
// library (minutes of CPU with a cold build cache, and each package's tests
// started one); and under -race the function itself runs race-checked.
// `make build` compiles the static binaries.
func BuildBootstrap(tb testing.TB, pkg string) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil && os.Getenv("GOROOT") != "" {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out := filepath.Join(tb.TempDir(), "bootstrap")
	flags, cgo := buildSettings()
	cmd := exec.Command(goBin, append(append([]string{"build"}, flags...), "-o", out, pkg)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
	return out
}

// buildSettings returns the go build flags and the CGO_ENABLED value that
// reproduce the running binary's build settings, plus the lambda.norpc tag.
// Without build information it falls back to the Lambda build's settings.
func buildSettings() (flags []string, cgo string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return []string{"-tags", "lambda.norpc", "-trimpath"}, "0"
	}
	tags := []string{"lambda.norpc"}
	cgo = "0"
	for _, s := range bi.Settings {
		switch s.Key {
		case "-race", "-trimpath":
			if s.Value == "true" {
				flags = append(flags, s.Key)
			}
		case "-tags":
			tags = append(tags, strings.Split(s.Value, ",")...)
		case "CGO_ENABLED":
			cgo = s.Value
		}
	}
	return append(flags, "-tags", strings.Join(tags, ",")), cgo
}

// Process is a function binary started by StartProcess or StartBootstrap.
type Process struct {
	name string
	cmd  *exec.Cmd

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line

	exited  chan struct{}
	waitErr error // set before exited is closed
}

// StartProcess runs the binary at path with only PATH, HOME and env in its
// environment, as a function process inherits nothing else. The process is
// killed when the test ends, and its output is logged if the test failed.
func StartProcess(tb testing.TB, path, name string, env ...string) *Process {
	tb.Helper()
	cmd := exec.Command(path)
	cmd.Dir = filepath.Dir(path)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &Process{name: name, cmd: cmd, changed: make(chan struct{}), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", path, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			p.addLine(sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr) // a line over 4 MiB: keep the process unblocked
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		<-scanned
		p.waitErr = err
		close(p.exited)
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if tb.Failed() {
			tb.Logf("output of %s:\n%s", name, p.Output())
		}
	})
	return p
}

// StartBootstrap runs the binary at path as Lambda would: with s.Env and
// LAMBDA_TASK_ROOT, then env, in its environment.
func StartBootstrap(tb testing.TB, s *Server, path, functionName string, env ...string) *Process {
	tb.Helper()
	full := append(s.Env(functionName), "LAMBDA_TASK_ROOT="+filepath.Dir(path))
	return StartProcess(tb, path, functionName, append(full, env...)...)
}

func (p *Process) addLine(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
	close(p.changed)
	p.changed = make(chan struct{})
}

// Output returns what the process has written to stdout and stderr so far.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// WaitLine waits for an output line for which match reports true and
// returns it. It fails when ctx ends or the process exits first.
func (p *Process) WaitLine(ctx context.Context, match func(line string) bool) (string, error) {
	seen := 0
	for {
		p.mu.Lock()
		lines, changed := p.lines[seen:], p.changed
		p.mu.Unlock()
		for _, l := range lines {
			if match(l) {
				return l, nil
			}
		}
		seen += len(lines)
		select {
		case <-changed:
		case <-p.exited:
			// The last lines may have arrived together with the exit.
			p.mu.Lock()
			rest := p.lines[seen:]
			p.mu.Unlock()
			for _, l := range rest {
				if match(l) {
					return l, nil
				}
			}
			return "", fmt.Errorf("%s exited (%v) before printing the line", p.name, p.waitErr)
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %s to print a line: %w", p.name, ctx.Err())
		}
	}
}

// WaitLog waits for a JSON log line (log/slog's JSONHandler format) whose
// "msg" is msg and returns its members.
func (p *Process) WaitLog(ctx context.Context, msg string) (map[string]any, error) {
	var rec map[string]any
	_, err := p.WaitLine(ctx, func(line string) bool {
		rec = nil
		return json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signalling %s: %w", p.name, err)
	}
	return nil
}

// Wait waits for the process to exit and returns its exit status as
// exec.Cmd.Wait does: nil for status 0, an *exec.ExitError otherwise.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.exited:
		return p.waitErr
	case <-ctx.Done():
		return fmt.Errorf("waiting for %s to exit: %w", p.name, ctx.Err())
	}
}

// ExitCode returns the status the process exited with, or -1 if it has not
// exited (or was killed by a signal).
func (p *Process) ExitCode() int {
	select {
	case <-p.exited:
	default:
		return -1
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		return ee.ExitCode()
	}
	if p.waitErr != nil {
		return -1
	}
	return 0
}
