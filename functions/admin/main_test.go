package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/lambdafront/runtimeapitest"
)

const (
	pkg         = "github.com/tollgate-gw/tollgate/functions/admin"
	localConfig = "../../testdata/config/local.yaml"
	deadline    = 2 * time.Minute
)

func testEnv(t *testing.T) []string {
	t.Helper()
	cfg, err := filepath.Abs(localConfig)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"TOLLGATE_CONFIG=" + cfg, "TOLLGATE_MASTER_KEY=sk-tollgate-local-0000", "TOLLGATE_DATA_DIR=" + t.TempDir()}
}

// TestLambda invokes the admin bootstrap binary with the sample REST event
// from a buffered integration and checks the proxy response JSON.
func TestLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the admin binary")
	}
	bin := runtimeapitest.BuildBootstrap(t, pkg)
	api := runtimeapitest.NewServer()
	t.Cleanup(api.Close)
	runtimeapitest.StartBootstrap(t, api, bin, "tollgate-admin", testEnv(t)...)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()

	event, err := os.ReadFile("../../events/admin/rest-health-readiness.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := api.Invoke(event, nil).Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatalf("invocation failed: %+v", res.Err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode        int                 `json:"statusCode"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("the buffered response is not proxy-integration JSON: %v\n%s", err, body)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("runtime sent the response as %q, want application/json (a buffered proxy response)", got)
	}
	ct := strings.Join(resp.MultiValueHeaders["Content-Type"], ",")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "application/json") || resp.IsBase64Encoded || !strings.Contains(resp.Body, "status") {
		t.Errorf("got %d %q base64=%v body %q, want 200 JSON readiness", resp.StatusCode, ct, resp.IsBase64Encoded, resp.Body)
	}
}

// TestLocalServer runs the admin binary outside Lambda.
func TestLocalServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the admin binary")
	}
	bin := runtimeapitest.BuildBootstrap(t, pkg)
	proc := runtimeapitest.StartProcess(t, bin, "admin", append(testEnv(t), "TOLLGATE_ADDR=127.0.0.1:0")...)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	listening, err := proc.WaitLog(ctx, "listening")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := listening["addr"].(string)
	resp, err := http.Get("http://" + addr + "/health/liveliness")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !json.Valid(b) {
		t.Errorf("GET /health/liveliness: %d %q", resp.StatusCode, b)
	}
	if err := proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(ctx); err != nil {
		t.Errorf("admin exited with %v after SIGTERM, want status 0", err)
	}
}
