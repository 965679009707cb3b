package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/lambdafront/runtimeapitest"
)

// The gateway under Lambda: the same bootstrap, started as Lambda starts a
// function (its environment, AWS_LAMBDA_RUNTIME_API pointing at the
// repository's fake Runtime API), invoked with the events of its two
// fronts. The fake Runtime API hands each response to this program as the
// runtime sends it, so the time to the first streamed byte is the
// function's, not a buffer's.

// lambdaFronts are the events the gateway answers in Lambda, by the sample
// event each is made from (events/gateway).
var lambdaFronts = []struct{ Name, Template string }{
	{"function URL", "function-url-chat-stream.json"},
	{"REST API (streaming integration)", "rest-chat-stream.json"},
}

// lambdaResults is what the Lambda measurements found.
type lambdaResults struct {
	// Cold are the cold starts: exec to the runtime's first call for an
	// invocation (Lambda's Init Duration), then to the end of the first
	// answer.
	Cold []lambdaCold
	// Fronts are the warm invocations, per front.
	Fronts []lambdaFront
	// DirectChat and DirectStream are the same requests sent one after
	// another straight to the fake LLM: what "added" is taken against.
	DirectChat, DirectStream pct
	RSSKiB, HWMKiB           int64  // after the warm invocations
	Error                    string `json:",omitempty"`
}

type lambdaCold struct {
	Error               string `json:",omitempty"`
	InitMs, InitCPUms   float64
	FirstMs, FirstCPUms float64
	RSSKiBAfterFirst    int64
}

type lambdaFront struct {
	Name     string
	Invokes  int
	Errors   int
	Chat     pct // invoke → end of a non-streamed answer
	TTFB     pct // invoke → first byte of a streamed answer's body (after the prelude)
	Stream   pct // invoke → end of a streamed answer
	CPUmsPer float64
	FirstErr string `json:",omitempty"`
}

// measureLambda runs the cold starts and the warm invocations.
func measureLambda(ctx context.Context, s *settings, root, work, bin string, gwEnv []string, upstream string) lambdaResults {
	var res lambdaResults
	events := map[string][2][]byte{} // front → chat, stream
	for _, f := range lambdaFronts {
		tmpl, err := os.ReadFile(filepath.Join(root, "events", "gateway", f.Template))
		if err != nil {
			res.Error = err.Error()
			return res
		}
		chat, err1 := chatEvent(tmpl, chatBody)
		stream, err2 := chatEvent(tmpl, streamBody)
		if err1 != nil || err2 != nil {
			res.Error = fmt.Sprintf("building events from %s: %v %v", f.Template, err1, err2)
			return res
		}
		events[f.Name] = [2][]byte{chat, stream}
	}
	first := events[lambdaFronts[0].Name][0]
	for i := range s.ColdRuns {
		c, err := lambdaColdStart(ctx, work, bin, gwEnv, first, i)
		if err != nil {
			c.Error = err.Error()
			fmt.Fprintf(os.Stderr, "lambda cold start %d failed: %v\n", i+1, err)
		} else {
			fmt.Fprintf(os.Stderr, "lambda cold start %d: init %.1f ms (CPU %.1f ms), first answer %.1f ms\n", i+1, c.InitMs, c.InitCPUms, c.FirstMs)
		}
		res.Cold = append(res.Cold, c)
	}
	if s.LambdaInvokes <= 0 {
		return res
	}

	// Warm: one function instance, invoked one event at a time, as Lambda
	// does; the direct requests go one at a time too.
	c := newClient(1)
	defer c.CloseIdleConnections()
	direct := target{url: upstream + "/v1/chat/completions", auth: "Bearer sk-bench-upstream"}
	var dc, ds []time.Duration
	for range s.LambdaInvokes {
		if d, err := direct.once(ctx, c); err == nil {
			dc = append(dc, d)
		}
		if st, err := direct.stream(ctx, c, newReader()); err == nil && st.done {
			ds = append(ds, st.ttfb)
		}
	}
	res.DirectChat, res.DirectStream = percentiles(dc), percentiles(ds)

	api := runtimeapitest.NewServer()
	defer api.Close()
	p, err := startLambda(api, bin, gwEnv, filepath.Join(work, "lambda-warm"), filepath.Join(work, "lambda-warm.log"))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer p.stop()
	if err := waitPolled(ctx, api, p); err != nil {
		res.Error = err.Error()
		return res
	}
	for _, f := range lambdaFronts {
		ev := events[f.Name]
		// One unrecorded invocation of each kind first: the first answer
		// opens the store and the upstream connection.
		_, _ = invokeOnce(ctx, api, ev[0])
		_, _ = invokeOnce(ctx, api, ev[1])
		lf := lambdaFront{Name: f.Name}
		cpu0, _ := runtimeapitest.CPUTime(p.pid())
		var chat, ttfb, total []time.Duration
		for range s.LambdaInvokes {
			for k, event := range ev {
				lf.Invokes++
				t, err := invokeOnce(ctx, api, event)
				if err != nil {
					lf.Errors++
					if lf.FirstErr == "" {
						lf.FirstErr = err.Error()
					}
					continue
				}
				if k == 0 {
					chat = append(chat, t.total)
				} else {
					ttfb, total = append(ttfb, t.first), append(total, t.total)
				}
			}
		}
		cpu1, _ := runtimeapitest.CPUTime(p.pid())
		if n := lf.Invokes - lf.Errors; n > 0 {
			lf.CPUmsPer = ms(cpu1-cpu0) / float64(n)
		}
		lf.Chat, lf.TTFB, lf.Stream = percentiles(chat), percentiles(ttfb), percentiles(total)
		fmt.Fprintf(os.Stderr, "lambda %s: chat p50 %.3f ms, stream first byte p50 %.3f ms (%d invocations, %d failed)\n",
			f.Name, lf.Chat.P50, lf.TTFB.P50, lf.Invokes, lf.Errors)
		res.Fronts = append(res.Fronts, lf)
	}
	res.RSSKiB, res.HWMKiB, _ = runtimeapitest.Memory(p.pid())
	return res
}

// chatEvent is the sample event tmpl carrying body, as a client would send
// it: plain text, its Content-Length true.
func chatEvent(tmpl []byte, body string) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(tmpl, &ev); err != nil {
		return nil, err
	}
	ev["body"], ev["isBase64Encoded"] = body, false
	n := strconv.Itoa(len(body))
	for _, h := range []string{"headers", "multiValueHeaders"} {
		m, _ := ev[h].(map[string]any)
		for k, v := range m {
			if strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "Authorization") {
				val := n
				if strings.EqualFold(k, "Authorization") {
					val = "Bearer " + masterKey
				}
				if _, multi := v.([]any); multi {
					m[k] = []string{val}
				} else {
					m[k] = val
				}
			}
		}
	}
	return json.Marshal(ev)
}

// startLambda starts bin as Lambda starts a function: only PATH, HOME and
// the function's environment, pointed at api.
func startLambda(api *runtimeapitest.Server, bin string, gwEnv []string, dataDir, logPath string) (*proc, error) {
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LAMBDA_TASK_ROOT=" + filepath.Dir(bin)},
		api.Env("tollgate-gateway")...)
	env = append(env, gwEnv...)
	env = append(env, "TOLLGATE_DATA_DIR="+dataDir) // the last value wins
	return startProcEnv("tollgate-lambda", bin, nil, env, "", logPath)
}

// waitPolled waits for the runtime's first call for an invocation.
func waitPolled(ctx context.Context, api *runtimeapitest.Server, p *proc) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	select {
	case <-api.Polled():
		return nil
	case <-p.done:
		return p.exited()
	case <-ctx.Done():
		return fmt.Errorf("the gateway did not ask for an invocation within 20 s; log:\n%s", tail(p.log.Name(), 2000))
	}
}

// lambdaColdStart starts a fresh function instance and measures its init
// and first answer.
func lambdaColdStart(ctx context.Context, work, bin string, gwEnv []string, event []byte, i int) (lambdaCold, error) {
	var c lambdaCold
	api := runtimeapitest.NewServer()
	defer api.Close()
	start := time.Now()
	p, err := startLambda(api, bin, gwEnv, filepath.Join(work, fmt.Sprintf("lambda-cold-%d", i)), filepath.Join(work, fmt.Sprintf("lambda-cold-%d.log", i)))
	if err != nil {
		return c, err
	}
	defer p.stop()
	if err := waitPolled(ctx, api, p); err != nil {
		return c, err
	}
	c.InitMs = ms(time.Since(start))
	cpu, _ := runtimeapitest.CPUTime(p.pid())
	c.InitCPUms = ms(cpu)
	if _, err := invokeOnce(ctx, api, event); err != nil {
		return c, err
	}
	c.FirstMs = ms(time.Since(start))
	cpu, _ = runtimeapitest.CPUTime(p.pid())
	c.FirstCPUms = ms(cpu)
	c.RSSKiBAfterFirst, _, _ = runtimeapitest.Memory(p.pid())
	return c, nil
}

// invoked is one invocation's timing, from the moment it was queued.
type invoked struct{ first, total time.Duration }

// preludeEnd ends a streamed HTTP integration response's JSON prelude.
var preludeEnd = []byte("\x00\x00\x00\x00\x00\x00\x00\x00")

// invokeOnce invokes event and reads the answer as it streams: first is
// when the first byte of the HTTP body (after the prelude) arrived, total
// when the answer ended. The answer must be a 200 chat completion.
func invokeOnce(ctx context.Context, api *runtimeapitest.Server, event []byte) (invoked, error) {
	var t invoked
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := time.Now()
	res, err := api.Invoke(event, nil).Result(ctx)
	if err != nil {
		return t, err
	}
	if res.Err != nil {
		return t, fmt.Errorf("function error %s: %s", res.Err.Type, res.Err.Message)
	}
	var got []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		got = append(got, buf[:n]...)
		if t.first == 0 {
			if i := bytes.Index(got, preludeEnd); i >= 0 && len(got) > i+len(preludeEnd) {
				t.first = time.Since(start)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return t, err
		}
	}
	t.total = time.Since(start)
	pr, body, err := runtimeapitest.SplitStream(got)
	if err != nil {
		return t, err
	}
	if pr.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"chat.completion`)) {
		return t, fmt.Errorf("HTTP %d: %.200s", pr.StatusCode, body)
	}
	return t, nil
}

// lambdaOK are the runs that did not fail.
func lambdaOK(cs []lambdaCold) []lambdaCold {
	return slices.DeleteFunc(slices.Clone(cs), func(c lambdaCold) bool { return c.Error != "" })
}

// lambdaSection renders the Lambda measurements.
func (r *results) lambdaSection(w func(string, ...any)) {
	l := r.Lambda
	if l == nil {
		return
	}
	w("### The Lambda path (the bootstrap under the fake Lambda Runtime API)\n\n")
	w("The same bootstrap, started as Lambda starts a function (only its environment; `AWS_LAMBDA_RUNTIME_API` pointing at " +
		"`internal/lambdafront/runtimeapitest`, which hands each response over as the runtime sends it), with the same config " +
		"and fake LLM, the embedded store in a fresh directory. Invocations go one at a time, as Lambda sends them to one " +
		"instance; the events are `events/gateway`'s samples carrying the harness's request. **Added** = the figure minus the " +
		"same request sent one at a time straight to the fake LLM. Unlike local mode, Lambda's handler returns only after the " +
		"call's settle, so the invocation includes the spend record's write (here the embedded store's commit and fsync; " +
		"DynamoDB's write in AWS). What the fake does not model: Lambda's own hops (the front door, the invoke service, the " +
		"sandbox's network), which come on top.\n\n")
	if l.Error != "" {
		w("The Lambda measurement failed: `%s`\n\n", strings.ReplaceAll(firstLine(l.Error), "`", "'"))
	}
	if ok := lambdaOK(l.Cold); len(ok) > 0 {
		med := func(f func(lambdaCold) float64) string {
			v, _ := median(mapV(ok, f))
			return fmt.Sprintf("%.1f", v)
		}
		runs := func(f func(lambdaCold) float64) string {
			return strings.Join(mapF(ok, func(c lambdaCold) string { return fmt.Sprintf("%.1f", f(c)) }), ", ")
		}
		w("| cold start (median of %d; every run) | wall, ms | CPU, ms |\n|---|---|---|\n", len(ok))
		w("| exec → the runtime's first `next` (Lambda's Init Duration) | **%s** (%s) | %s (%s) |\n",
			med(func(c lambdaCold) float64 { return c.InitMs }), runs(func(c lambdaCold) float64 { return c.InitMs }),
			med(func(c lambdaCold) float64 { return c.InitCPUms }), runs(func(c lambdaCold) float64 { return c.InitCPUms }))
		w("| exec → end of the first answer (function URL chat completion) | %s (%s) | %s (%s) |\n",
			med(func(c lambdaCold) float64 { return c.FirstMs }), runs(func(c lambdaCold) float64 { return c.FirstMs }),
			med(func(c lambdaCold) float64 { return c.FirstCPUms }), runs(func(c lambdaCold) float64 { return c.FirstCPUms }))
		w("| RSS after the first answer, MiB | %s | |\n\n", med(func(c lambdaCold) float64 { return float64(c.RSSKiBAfterFirst) / 1024 }))
	}
	for i, c := range l.Cold {
		if c.Error != "" {
			w("Lambda cold start %d failed: `%s`\n\n", i+1, strings.ReplaceAll(firstLine(c.Error), "`", "'"))
		}
	}
	if len(l.Fronts) == 0 {
		return
	}
	w("| warm, %d invocations of each kind per front | ", r.Settings.LambdaInvokes)
	for _, f := range l.Fronts {
		w("%s | ", f.Name)
	}
	w("fake LLM direct |\n|---|")
	for range l.Fronts {
		w("---|")
	}
	w("---|\n")
	row := func(label string, cell func(lambdaFront) string, direct string) {
		w("| %s |", label)
		for _, f := range l.Fronts {
			w(" %s |", cell(f))
		}
		w(" %s |\n", direct)
	}
	f3 := func(v float64) string { return fmt.Sprintf("%.3f", v) }
	a3 := func(v float64) string { return fmt.Sprintf("%+.3f", v) }
	row("chat completion: invoke → end of answer p50 / p99, ms", func(f lambdaFront) string { return pair(f3(f.Chat.P50), f3(f.Chat.P99)) },
		pair(f3(l.DirectChat.P50), f3(l.DirectChat.P99)))
	row("**added latency per invoke p50 / p99, ms**", func(f lambdaFront) string {
		return pair(a3(f.Chat.P50-l.DirectChat.P50), a3(f.Chat.P99-l.DirectChat.P99))
	}, "–")
	row("streamed: invoke → first byte of the body p50 / p99, ms", func(f lambdaFront) string { return pair(f3(f.TTFB.P50), f3(f.TTFB.P99)) },
		pair(f3(l.DirectStream.P50), f3(l.DirectStream.P99)))
	row("**added time to first streamed byte p50 / p99, ms**", func(f lambdaFront) string {
		return pair(a3(f.TTFB.P50-l.DirectStream.P50), a3(f.TTFB.P99-l.DirectStream.P99))
	}, "–")
	row("streamed: invoke → end p50, ms", func(f lambdaFront) string { return f3(f.Stream.P50) }, "–")
	row("CPU ms per invocation (the function's process)", func(f lambdaFront) string { return f3(f.CPUmsPer) }, "–")
	row("failed invocations", func(f lambdaFront) string { return fmt.Sprintf("%d of %d", f.Errors, f.Invokes) }, "–")
	w("\nRSS of the warm instance after every invocation: %.1f MiB (VmHWM %.1f MiB).\n\n", float64(l.RSSKiB)/1024, float64(l.HWMKiB)/1024)
	for _, f := range l.Fronts {
		if f.FirstErr != "" {
			w("First failure (%s): `%s`\n\n", f.Name, strings.ReplaceAll(firstLine(f.FirstErr), "`", "'"))
		}
	}
}
