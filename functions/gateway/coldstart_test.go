package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/fakellm"
	"github.com/tollgate-gw/tollgate/internal/lambdafront/runtimeapitest"
)

// benchConfig is make bench's config: gpt-4o-mini over the OpenAI adapter
// to the fake LLM at TOLLGATE_BENCH_UPSTREAM.
const benchConfig = "../../testdata/bench/loadtest.yaml"

// BenchmarkColdStart starts the gateway bootstrap afresh each iteration,
// against the fake LLM at zero delay, and reports medians over the
// iterations, in wall time and in the CPU time the process used by then
// (steadier than wall time on a shared machine):
//
//   - local: exec to the first successful chat completion through the
//     gateway serving on a loopback port (what the shared harness's
//     coldstart tool measures), in ms and cpu-ms;
//   - lambda: exec to the runtime's first call for an invocation under the
//     fake Runtime API (Lambda's Init Duration: init-ms, init-cpu-ms), and
//     to the end of the answer to a function URL chat completion
//     (first-ms, first-cpu-ms).
//
// cmd/loadtest (make bench) measures the same and writes it into
// docs/performance.md; this is the quick check while changing what the
// gateway does at start:
//
//	go test -run '^$' -bench ColdStart -benchtime 15x ./functions/gateway
func BenchmarkColdStart(b *testing.B) {
	bin := runtimeapitest.BuildBootstrap(b, pkg)
	fake := httptest.NewServer(fakellm.New(fakellm.Options{Chunks: 4}))
	b.Cleanup(fake.Close)
	env := []string{
		"TOLLGATE_CONFIG=" + absPath(b, benchConfig),
		"TOLLGATE_BENCH_UPSTREAM=" + fake.URL + "/v1",
		"TOLLGATE_MASTER_KEY=" + masterKey,
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()

	b.Run("local", func(b *testing.B) {
		var wall, cpu []float64
		for i := 0; b.Loop(); i++ {
			w, c, err := localStart(ctx, b, bin, env)
			if err != nil {
				b.Fatal(err)
			}
			wall, cpu = append(wall, w), append(cpu, c)
		}
		b.ReportMetric(median(wall), "ms")
		b.ReportMetric(median(cpu), "cpu-ms")
	})
	b.Run("lambda", func(b *testing.B) {
		event := readEvent(b, "function-url-chat-base64.json")
		var initWall, initCPU, firstWall, firstCPU []float64
		for b.Loop() {
			r, err := lambdaStart(ctx, b, bin, env, event)
			if err != nil {
				b.Fatal(err)
			}
			initWall, initCPU = append(initWall, r[0]), append(initCPU, r[1])
			firstWall, firstCPU = append(firstWall, r[2]), append(firstCPU, r[3])
		}
		b.ReportMetric(median(initWall), "init-ms")
		b.ReportMetric(median(initCPU), "init-cpu-ms")
		b.ReportMetric(median(firstWall), "first-ms")
		b.ReportMetric(median(firstCPU), "first-cpu-ms")
	})
}

// localStart execs the gateway as a local server and polls until a chat
// completion through it succeeds; it returns the wall and CPU milliseconds
// from exec to that answer.
func localStart(ctx context.Context, b *testing.B, bin string, env []string) (wall, cpu float64, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"ping"}],"max_tokens":8}`
	start := time.Now()
	p := runtimeapitest.StartProcess(b, bin, "gateway", append(slices.Clone(env), "TOLLGATE_ADDR="+addr, "TOLLGATE_DATA_DIR="+b.TempDir())...)
	defer stop(p)
	for ctx.Err() == nil {
		if p.ExitCode() != -1 {
			return 0, 0, fmt.Errorf("the gateway exited: %s", p.Output())
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+masterKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && bytes.Contains(b, []byte(`"chat.completion"`)) {
				wall = ms(time.Since(start))
				c, err := runtimeapitest.CPUTime(p.PID())
				return wall, ms(c), err
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, 0, ctx.Err()
}

// lambdaStart execs the gateway under a fresh fake Runtime API and returns
// the wall and CPU milliseconds from exec to its first call for an
// invocation, then to the end of its answer to event.
func lambdaStart(ctx context.Context, b *testing.B, bin string, env []string, event []byte) ([4]float64, error) {
	var r [4]float64
	api := runtimeapitest.NewServer()
	defer api.Close()
	start := time.Now()
	p := runtimeapitest.StartBootstrap(b, api, bin, "tollgate-gateway", append(slices.Clone(env), "TOLLGATE_DATA_DIR="+b.TempDir())...)
	defer stop(p)
	select {
	case <-api.Polled():
	case <-ctx.Done():
		return r, fmt.Errorf("no call for an invocation: %w; output:\n%s", ctx.Err(), p.Output())
	}
	r[0] = ms(time.Since(start))
	c, err := runtimeapitest.CPUTime(p.PID())
	if err != nil {
		return r, err
	}
	r[1] = ms(c)
	res, err := api.Invoke(event, nil).Result(ctx)
	if err != nil {
		return r, err
	}
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return r, err
	}
	r[2] = ms(time.Since(start))
	if c, err = runtimeapitest.CPUTime(p.PID()); err != nil {
		return r, err
	}
	r[3] = ms(c)
	if pr, body, err := runtimeapitest.SplitStream(out); err != nil || pr.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"chat.completion"`)) {
		return r, fmt.Errorf("the first invocation did not answer a chat completion (%v): %.300s", err, out)
	}
	return r, nil
}

// stop ends the process now (StartProcess's cleanup would only at the end
// of the benchmark).
func stop(p *runtimeapitest.Process) {
	_ = p.Signal(os.Kill)
	_ = p.Wait(context.Background())
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	y := slices.Sorted(slices.Values(x))
	if len(y)%2 == 1 {
		return y[len(y)/2]
	}
	return (y[len(y)/2-1] + y[len(y)/2]) / 2
}
