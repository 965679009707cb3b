package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/lambdafront/runtimeapitest"
)

// readmeBlock is one fenced code block of README.md.
type readmeBlock struct {
	line int    // where the fence opens
	lang string // the fence's language tag
	text string
}

// readmeBlocks returns README.md's fenced code blocks in order.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []readmeBlock
	var cur *readmeBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = &readmeBlock{line: n, lang: strings.TrimSpace(strings.TrimPrefix(l, "```"))}
		case cur != nil && strings.TrimSpace(l) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += l + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// notRun are the command blocks of README.md the examples test does not
// run, each with the reason; a block is named by a string it contains.
var notRun = map[string]string{
	"make run     #":               "the test starts the same gateway itself, and make test would run this test again",
	"client := openai.NewClient":   "a fragment of a Go program; the same calls run in internal/app/e2e_test.go",
	"client := bedrockruntime.New": "a fragment of a Go program; internal/app/bedrock_interface_test.go configures its client this way (brGateway.sdk)",
}

// TestREADMEExamples runs every command block of README.md that needs no
// AWS account (sh, python and js) against the gateway as make run starts it,
// in a directory laid out like a fresh clone: the address 127.0.0.1:4000 is
// the test gateway's, and `go run ./functions/gateway` is its binary. A
// block fails the test when it exits non-zero. Python blocks run when the
// modules they import are installed (boto3 is on the CI machine; PyPI is not
// reachable, and Debian's python3-boto3 1.26 predates bearer-token auth),
// JavaScript blocks once `make test` has installed the AWS SDK client
// (scripts/sdk-clients.sh) — in CI a missing client fails the test.
func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway and runs README.md's examples")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := runtimeapitest.BuildBootstrap(t, ".")
	dir := filepath.Dir(bin) // the gateway's working directory, and the blocks'
	if err := os.Symlink(filepath.Join(root, "testdata"), filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	proc := runtimeapitest.StartProcess(t, bin, "gateway", "TOLLGATE_ADDR=127.0.0.1:0", "TOLLGATE_LOG_FORMAT=text")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a bound, not a timing: a loaded CI machine is slow
	defer cancel()
	banner, err := proc.WaitLine(ctx, func(l string) bool { return strings.HasPrefix(l, "Tollgate is listening on http://") })
	if err != nil {
		t.Fatal(err)
	}
	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)`).FindStringSubmatch(banner)[1]
	for _, want := range []string{"master key:  in .tollgate/master_key", `curl http://` + addr + `/v1/chat/completions -H "Authorization: Bearer $(cat .tollgate/master_key)"`} {
		if _, err := proc.WaitLine(ctx, func(l string) bool { return strings.Contains(l, want) }); err != nil {
			t.Errorf("the banner lacks %q: %v", want, err)
		}
	}

	jsDir := os.Getenv("TOLLGATE_SDK_CLIENTS_DIR")
	if jsDir == "" {
		jsDir = filepath.Join(root, ".cache", "sdk-clients")
	}
	env := append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	ran := 0
	// exports holds the variables the sh blocks run so far set; curl fails
	// on an HTTP error, so a block that gets a 4xx or 5xx fails the test.
	exports := `curl() { command curl -sS --fail-with-body "$@"; }
`
	for _, b := range readmeBlocks(t) {
		switch b.lang {
		case "sh", "python", "js":
		default:
			continue // not a command block
		}
		name := "README.md:" + strconv.Itoa(b.line)
		if reason := skipReason(b); reason != "" {
			t.Logf("%s (%s): not run: %s", name, b.lang, reason)
			continue
		}
		text := strings.ReplaceAll(b.text, "127.0.0.1:4000", addr)
		text = strings.ReplaceAll(text, "go run ./functions/gateway", bin)
		var cmd *exec.Cmd
		switch b.lang {
		case "sh":
			// Blocks build on each other (KEY, AWS_BEARER_TOKEN_BEDROCK), as
			// in one shell session: each runs after the exports before it.
			cmd = exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", exports+text)
			exports += exportsOf(text)
		case "python":
			if missing := missingPython(b.text); missing != "" {
				t.Logf("%s (python): not run: the %s module is not installed (no PyPI here)", name, missing)
				continue
			}
			cmd = exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", exports+`python3 - <<'README_EOF'
`+text+"README_EOF\n")
		case "js":
			if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "@aws-sdk", "client-bedrock-runtime")); err != nil {
				if os.Getenv("CI") == "true" {
					t.Errorf("%s (js): the AWS SDK client is not installed in %s: make test runs scripts/sdk-clients.sh", name, jsDir)
				} else {
					t.Logf("%s (js): not run: run scripts/sdk-clients.sh (make test does) to install the AWS SDK client", name)
				}
				continue
			}
			// An ES module resolves packages from its own directory up.
			script := filepath.Join(jsDir, "readme-"+strconv.Itoa(b.line)+".mjs")
			if err := os.WriteFile(script, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Remove(script) })
			node := "node"
			if n := filepath.Join(root, "infra", ".node", "node_modules", ".bin", "node"); fileExists(n) {
				node = n // node 22, which make test installs for the CDK app; the SDK warns on older ones
			}
			cmd = exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", exports+`"$0" "$1"`, node, script)
		default:
			continue
		}
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s (%s) failed: %v\n--- block ---\n%s--- output ---\n%s", name, b.lang, err, text, out)
			continue
		}
		ran++
		t.Logf("%s (%s): ran\n%s", name, b.lang, out)
	}
	if ran < 5 {
		t.Errorf("only %d README blocks ran", ran)
	}
}

// exportsOf returns text's variable assignments (KEY=..., export X=...),
// for the blocks after it.
func exportsOf(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if regexp.MustCompile(`^(export )?[A-Z_]+=`).MatchString(l) {
			b.WriteString("export " + strings.TrimPrefix(l, "export ") + "\n")
		}
	}
	return b.String()
}

// skipReason says why block b is not run, or "" when it is.
func skipReason(b readmeBlock) string {
	for marker, reason := range notRun {
		if strings.Contains(b.text, marker) {
			return reason
		}
	}
	return ""
}

// missingPython returns the first top-level module text imports that
// python3 cannot import, or "".
func missingPython(text string) string {
	re := regexp.MustCompile(`(?m)^(?:import|from) ([A-Za-z0-9_]+)`)
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		if exec.Command("python3", "-c", "import "+m[1]).Run() != nil {
			return m[1]
		}
	}
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
