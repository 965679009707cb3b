package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// lambdaBuildFlags are the Makefile's build flags for a Lambda bootstrap
// (provided.al2023), minus GOARCH and -o.
var lambdaBuildFlags = []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// goTool finds the go command: $GO, then PATH, then $GOROOT/bin, then the
// usual install location.
func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	if g, err := exec.LookPath("go"); err == nil {
		return g
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "/usr/local/go/bin/go"
}

// moduleRoot is the directory of the main module's go.mod, as seen from the
// working directory.
func moduleRoot(ctx context.Context, goBin string) (string, error) {
	out, err := exec.CommandContext(ctx, goBin, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module: run from the Tollgate repository")
	}
	return filepath.Dir(mod), nil
}

// buildLambda builds pkg (e.g. ./functions/gateway) the way make build
// does, for linux/goarch, into out.
func buildLambda(ctx context.Context, goBin, root, pkg, goarch, out string) error {
	args := append(append([]string{}, lambdaBuildFlags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s for linux/%s: %w\n%s", pkg, goarch, err, stderr.String())
	}
	return nil
}

// buildCommand renders the build for the report.
func buildCommand(pkg, goarch string) string {
	return "CGO_ENABLED=0 GOOS=linux GOARCH=" + goarch + " go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o bootstrap " + pkg
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// describeTree names the source measured: the commit, and how many files
// differ from it (read-only git commands; empty when git is unavailable).
func describeTree(ctx context.Context, root string) string {
	head, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	tree := "commit " + strings.TrimSpace(string(head))
	if st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain").Output(); err == nil {
		if n := len(strings.Split(strings.TrimSpace(string(st)), "\n")); len(bytes.TrimSpace(st)) > 0 {
			tree += fmt.Sprintf(" with %d uncommitted changes", n)
		}
	}
	return tree
}
