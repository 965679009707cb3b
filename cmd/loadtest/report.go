package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// results is everything one run measured; it is also the -json output.
type results struct {
	Settings          settings
	Started, Finished time.Time
	Tree              string
	Machine           machine
	Binaries          []binary
	Idle, End         []idleMem
	Phases            []phaseResult
	Cold              []coldRun
	Lambda            *lambdaResults `json:",omitempty"`
}

type machine struct {
	CPUs        int
	CPUModel    string
	Kernel      string
	Go          string
	MemTotalMiB int64
	LoadAvg     string
}

type binary struct {
	Arch    string
	Bytes   int64
	Command string
}

type idleMem struct {
	Target                  string
	RSSKiB, HWMKiB, Threads int64
}

type coldRun struct {
	Error         string `json:",omitempty"`
	ReadyMs       float64
	Attempts      int
	CPUmsAtReady  float64
	RSSKiBAtReady int64
}

// phaseResult is one phase against one target in one round.
type phaseResult struct {
	Target, Phase string
	Round         int

	Requests, OK, Errors, Incomplete int
	Seconds, RPS                     float64
	Latency, TTFB, TTFC, TTLB        pct
	ChunksPerStream                  float64
	FirstError                       string

	Procs []procMeasure

	LoadgenCPUms float64
	// MachineBusy is the share of all CPUs used by every process during
	// the phase; OtherShare the part not used by the target, the fake LLM
	// or this load generator (other jobs on the machine).
	MachineBusy, OtherShare float64
	QuietWait               time.Duration
	QuietBusy               float64
}

type procMeasure struct {
	Name               string
	CPUms, CPUmsPerReq float64
	PeakRSSKiB, HWMKiB int64
}

func (pr *phaseResult) fill(lr loadResult) {
	pr.Requests, pr.OK, pr.Errors, pr.Incomplete = lr.Requests, lr.OK, lr.Errors, lr.Incomplete
	pr.Seconds = lr.Elapsed.Seconds()
	if pr.Seconds > 0 {
		pr.RPS = float64(lr.OK) / pr.Seconds
	}
	pr.Latency = percentiles(lr.Latency)
	pr.TTFB, pr.TTFC, pr.TTLB = percentiles(lr.TTFB), percentiles(lr.TTFC), percentiles(lr.TTLB)
	if lr.OK > 0 && pr.Phase == "stream" {
		pr.ChunksPerStream = float64(lr.Chunks) / float64(lr.OK)
	}
	pr.FirstError = lr.FirstError
}

func (pr *phaseResult) line() string {
	s := fmt.Sprintf("round %d %-8s %-6s ok=%d err=%d", pr.Round, pr.Target, pr.Phase, pr.OK, pr.Errors+pr.Incomplete)
	switch pr.Phase {
	case "stream":
		s += fmt.Sprintf(" ttfb p50=%.2fms ttlb p50=%.2fms", pr.TTFB.P50, pr.TTLB.P50)
	default:
		s += fmt.Sprintf(" rps=%.0f p50=%.2fms p99=%.2fms", pr.RPS, pr.Latency.P50, pr.Latency.P99)
	}
	if len(pr.Procs) > 0 {
		s += fmt.Sprintf(" cpu/req=%.3fms", pr.Procs[0].CPUmsPerReq)
	}
	s += fmt.Sprintf(" other=%.2f", pr.OtherShare)
	if pr.FirstError != "" {
		s += " first error: " + pr.FirstError
	}
	return s
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kib int64
		fmt.Sscanf(string(b), "MemTotal: %d kB", &kib)
		m.MemTotalMiB = kib / 1024
	}
	return m
}

// The markers around the generated section in the -out file.
const (
	beginMarker = "<!-- loadtest:begin -->"
	endMarker   = "<!-- loadtest:end -->"
)

// writeSection puts md between the markers in path, appending it (with
// the markers) when they are absent and creating the file when needed.
// writeReport writes res's report as the section of out, or to stdout when
// out is empty.
func writeReport(res *results, out string) error {
	md := res.markdown()
	if out == "" {
		fmt.Print(md)
		return nil
	}
	if err := writeSection(out, md); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "wrote", out)
	return nil
}

// rewrite writes the report of the run saved in the -json file from.
func rewrite(from, out string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("reading an earlier run: %w (make bench writes one)", err)
	}
	var res results
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("reading %s: %w", from, err)
	}
	return writeReport(&res, out)
}

func writeSection(path, md string) error {
	section := beginMarker + "\n" + md + endMarker + "\n"
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return os.WriteFile(path, []byte("# Tollgate performance\n\n"+section), 0o644)
	}
	if err != nil {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i >= 0 && j > i {
		s = s[:i] + section + strings.TrimPrefix(s[j+len(endMarker):], "\n")
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n" + section
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// --- aggregation ---

func (r *results) rounds(target, phase string) map[int]phaseResult {
	out := map[int]phaseResult{}
	for _, p := range r.Phases {
		if p.Target == target && p.Phase == phase {
			out[p.Round] = p
		}
	}
	return out
}

func (r *results) has(target string) bool { return slices.Contains(r.Settings.Targets, target) }

// med is the median over rounds of f for target's phase; ok is false when
// there is nothing to take it over.
func (r *results) med(target, phase string, f func(phaseResult) float64) (float64, bool) {
	var v []float64
	for _, p := range r.rounds(target, phase) {
		v = append(v, f(p))
	}
	return median(v)
}

// added is the median over rounds of f(target) − f(direct), each pair from
// the same round.
func (r *results) added(target, phase string, f func(phaseResult) float64) (float64, bool) {
	base := r.rounds("direct", phase)
	var v []float64
	for round, p := range r.rounds(target, phase) {
		if b, ok := base[round]; ok {
			v = append(v, f(p)-f(b))
		}
	}
	return median(v)
}

// worst is the largest f over rounds.
func (r *results) worst(target, phase string, f func(phaseResult) float64) (float64, bool) {
	var v []float64
	for _, p := range r.rounds(target, phase) {
		v = append(v, f(p))
	}
	if len(v) == 0 {
		return 0, false
	}
	return slices.Max(v), true
}

func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

func procOf(p phaseResult, i int) procMeasure {
	if i < len(p.Procs) {
		return p.Procs[i]
	}
	return procMeasure{}
}

var (
	rps       = func(p phaseResult) float64 { return p.RPS }
	latP50    = func(p phaseResult) float64 { return p.Latency.P50 }
	latP99    = func(p phaseResult) float64 { return p.Latency.P99 }
	ttfbP50   = func(p phaseResult) float64 { return p.TTFB.P50 }
	ttfbP99   = func(p phaseResult) float64 { return p.TTFB.P99 }
	ttfcP50   = func(p phaseResult) float64 { return p.TTFC.P50 }
	ttfcP99   = func(p phaseResult) float64 { return p.TTFC.P99 }
	ttlbP50   = func(p phaseResult) float64 { return p.TTLB.P50 }
	ttlbP99   = func(p phaseResult) float64 { return p.TTLB.P99 }
	frontCPU  = func(p phaseResult) float64 { return procOf(p, 0).CPUmsPerReq }
	upCPU     = func(p phaseResult) float64 { return procOf(p, 1).CPUmsPerReq }
	frontPeak = func(p phaseResult) float64 { return float64(procOf(p, 0).PeakRSSKiB) / 1024 }
	errCount  = func(p phaseResult) float64 { return float64(p.Errors + p.Incomplete) }
	other     = func(p phaseResult) float64 { return p.OtherShare }
	achieved  = func(p phaseResult) float64 { return p.RPS }
)

// --- rendering ---

func num(v float64, ok bool, prec int) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

func signed(v float64, ok bool, prec int) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%+.*f", prec, v)
}

func pair(a, b string) string { return a + " / " + b }

func (r *results) markdown() string {
	var b strings.Builder
	s := &r.Settings
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	cols := []string{}
	for _, t := range []string{"direct", "refproxy", "tollgate"} {
		if r.has(t) {
			cols = append(cols, t)
		}
	}
	title := map[string]string{"direct": "fake LLM direct", "refproxy": "refproxy (Go floor)", "tollgate": "Tollgate"}

	w("## Load test: Tollgate against the fake LLM (`make bench`, cmd/loadtest)\n\n")
	w("Generated %s by `%s` (%s). ", r.Started.UTC().Format("2006-01-02 15:04 MST"), strings.TrimSpace(s.CommandLine),
		r.Finished.Sub(r.Started).Round(time.Second))
	if r.Tree != "" {
		w("Source: %s. ", r.Tree)
	}
	w("Machine: %d CPUs (%s), Linux %s, %s, %d MiB RAM; load average at start %s. ",
		r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Kernel, r.Machine.Go, r.Machine.MemTotalMiB, r.Machine.LoadAvg)
	w("Each figure is the median of %d rounds; in every round each phase runs against each target in turn "+
		"(order rotated per round), each phase lasting %s after a %s unrecorded warm-up per target and round.\n\n",
		s.Rounds, s.Duration, s.Warmup)
	w("- **fake LLM**: `functions/fakellm` with `FAKELLM_DELAY=0 FAKELLM_CHUNK_GAP=0 FAKELLM_CHUNKS=%d` "+
		"(answers at once; a stream is a role chunk, %d content chunks, a finish chunk, a usage chunk, `[DONE]`). "+
		"**direct** = load sent to it without a hop.\n", s.Chunks, s.Chunks)
	w("- **refproxy**: a bare `httputil.ReverseProxy` hop in front of the fake LLM (this program re-executed as " +
		"`loadtest refproxy`; the same code as `../shared/bench/refproxy`): the floor any Go gateway hop costs here.\n")
	w("- **Tollgate**: the gateway bootstrap built with the Lambda flags, run as a local server with " +
		"`testdata/bench/loadtest.yaml` (gpt-4o-mini → `openai/gpt-4o-mini`, api_base = the fake LLM), master-key auth, " +
		"JSON request log to a file.\n")
	w("- Load (this program, Go `net/http` client, keep-alive, on the same 2 CPUs): closed loop = %d clients "+
		"back to back; open loop = %d req/s, each request sent on schedule whatever the others take (latency from send "+
		"to last byte); streaming = an open loop of %d streams/s, `stream: true` with `include_usage`. Request body: "+
		"the shared harness's (system + user message, max_tokens 64). CPU = utime+stime of the process from "+
		"`/proc/<pid>/stat` over the phase, divided by successful requests; RSS = VmRSS from `/proc/<pid>/status`, "+
		"sampled every 50 ms. **Added** = target minus direct, taken per round, then the median.\n\n",
		s.Concurrency, s.Rate, s.StreamRate)

	if len(r.Phases) == 0 { // -load=false
		w("No load phases in this run (`-load=false`): the cold starts, the Lambda path and the binaries only.\n\n")
		r.targetsTable(w)
		r.lambdaSection(w)
		r.extras(w)
		return b.String()
	}
	w("### Results\n\n| | %s |\n|---|", strings.Join(mapStr(cols, func(c string) string { return title[c] }), " | "))
	for range cols {
		w("---|")
	}
	w("\n")
	row := func(label string, cell func(t string) string) {
		w("| %s |", label)
		for _, t := range cols {
			w(" %s |", cell(t))
		}
		w("\n")
	}
	m := func(t, ph string, f func(phaseResult) float64, prec int) string {
		v, ok := r.med(t, ph, f)
		return num(v, ok, prec)
	}
	add := func(t, ph string, f func(phaseResult) float64, prec int) string {
		if t == "direct" {
			return "–"
		}
		v, ok := r.added(t, ph, f)
		return signed(v, ok, prec)
	}
	row(fmt.Sprintf("closed loop (c=%d): throughput, req/s", s.Concurrency), func(t string) string { return m(t, "closed", rps, 0) })
	row("closed loop: latency p50 / p99, ms", func(t string) string {
		return pair(m(t, "closed", latP50, 2), m(t, "closed", latP99, 2))
	})
	row(fmt.Sprintf("open loop %d req/s: achieved req/s", s.Rate), func(t string) string { return m(t, "rate", achieved, 0) })
	row(fmt.Sprintf("open loop %d req/s: latency p50 / p99, ms", s.Rate), func(t string) string {
		return pair(m(t, "rate", latP50, 3), m(t, "rate", latP99, 3))
	})
	row(fmt.Sprintf("**added p50 / p99 at %d req/s, ms**", s.Rate), func(t string) string {
		return pair(add(t, "rate", latP50, 3), add(t, "rate", latP99, 3))
	})
	row(fmt.Sprintf("streaming %d/s: time to first byte p50 / p99, ms", s.StreamRate), func(t string) string {
		return pair(m(t, "stream", ttfbP50, 3), m(t, "stream", ttfbP99, 3))
	})
	row("streaming: time to first chunk p50 / p99, ms", func(t string) string {
		return pair(m(t, "stream", ttfcP50, 3), m(t, "stream", ttfcP99, 3))
	})
	row("streaming: time to last byte p50 / p99, ms", func(t string) string {
		return pair(m(t, "stream", ttlbP50, 3), m(t, "stream", ttlbP99, 3))
	})
	row("**added time to first byte p50 / p99, ms**", func(t string) string {
		return pair(add(t, "stream", ttfbP50, 3), add(t, "stream", ttfbP99, 3))
	})
	row("added time to last byte p50, ms", func(t string) string { return add(t, "stream", ttlbP50, 3) })
	row("streams/s; chunks per stream", func(t string) string {
		return m(t, "stream", rps, 0) + "; " + m(t, "stream", func(p phaseResult) float64 { return p.ChunksPerStream }, 0)
	})
	row("**CPU ms per request (own process)**: closed loop / open loop / per stream", func(t string) string {
		return m(t, "closed", frontCPU, 3) + " / " + m(t, "rate", frontCPU, 3) + " / " + m(t, "stream", frontCPU, 3)
	})
	row("fake LLM CPU ms per request behind it: closed loop", func(t string) string {
		if t == "direct" {
			return "(same as above)"
		}
		return m(t, "closed", upCPU, 3)
	})
	row("RSS idle (after 1 request + 2 s), MiB", func(t string) string {
		for _, im := range r.Idle {
			if im.Target == t {
				return fmt.Sprintf("%.1f", float64(im.RSSKiB)/1024)
			}
		}
		return "–"
	})
	row(fmt.Sprintf("RSS peak during the %d req/s phase (worst round), MiB", s.Rate), func(t string) string {
		v, ok := r.worst(t, "rate", frontPeak)
		return num(v, ok, 1)
	})
	row("VmHWM at the end of the run (peak over every phase), MiB", func(t string) string {
		for _, im := range r.End {
			if im.Target == t {
				return fmt.Sprintf("%.1f", float64(im.HWMKiB)/1024)
			}
		}
		return "–"
	})
	row("failed requests: closed / open / stream (sum over rounds)", func(t string) string {
		sum := func(ph string) string {
			n := 0.0
			for _, p := range r.rounds(t, ph) {
				n += errCount(p)
			}
			return fmt.Sprintf("%.0f", n)
		}
		return sum("closed") + " / " + sum("rate") + " / " + sum("stream")
	})
	w("\n")

	r.targetsTable(w)
	r.lambdaSection(w)
	r.extras(w)
	r.perRound(w, cols)
	return b.String()
}

func mapStr(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// targetsTable checks the targets of issue 2 §9 that this run can check.
func (r *results) targetsTable(w func(string, ...any)) {
	if !r.has("tollgate") {
		return
	}
	s := &r.Settings
	w("### Against the targets (issue 2, §9)\n\n")
	w("Ratios to refproxy are taken from the medians above. Portkey is not run here: see the shared-harness section.\n\n")
	w("| target | requirement | measured | |\n|---|---|---|---|\n")
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	if r.has("refproxy") {
		tg, ok1 := r.med("tollgate", "closed", rps)
		rp, ok2 := r.med("refproxy", "closed", rps)
		if ok1 && ok2 && rp > 0 {
			w("| closed-loop throughput | ≥ 0.8 × refproxy | %.0f vs %.0f req/s = %.2f× | %s |\n", tg, rp, tg/rp, verdict(tg >= 0.8*rp))
		}
		for _, q := range []struct {
			name  string
			f     func(phaseResult) float64
			limit float64
		}{{"p50", latP50, 1.25}, {"p99", latP99, 2}} {
			tg, ok1 := r.added("tollgate", "rate", q.f)
			rp, ok2 := r.added("refproxy", "rate", q.f)
			if ok1 && ok2 {
				ratio := "n/a"
				if rp > 0 {
					ratio = fmt.Sprintf("%.2f×", tg/rp)
				}
				w("| added %s at %d req/s | ≤ %s × refproxy's | %+.3f vs %+.3f ms = %s | %s |\n",
					q.name, s.Rate, strconv.FormatFloat(q.limit, 'f', -1, 64), tg, rp, ratio, verdict(tg <= q.limit*max(rp, 0)))
			}
		}
		tg, ok1 = r.added("tollgate", "stream", ttfbP50)
		rp, ok2 = r.added("refproxy", "stream", ttfbP50)
		if ok1 && ok2 {
			w("| added time to first streamed byte (p50) | ≤ refproxy's + 0.5 ms | %+.3f vs %+.3f ms (limit %+.3f) | %s |\n",
				tg, rp, rp+0.5, verdict(tg <= rp+0.5))
		}
		tg, ok1 = r.med("tollgate", "closed", frontCPU)
		rp, ok2 = r.med("refproxy", "closed", frontCPU)
		if ok1 && ok2 && rp > 0 {
			w("| CPU per request (closed loop) | ≤ 1.5 × refproxy's | %.3f vs %.3f ms = %.2f× | %s |\n", tg, rp, tg/rp, verdict(tg <= 1.5*rp))
		}
	}
	for _, im := range r.Idle {
		if im.Target == "tollgate" {
			v := float64(im.RSSKiB) / 1024
			w("| RSS idle | ≤ 30 MiB | %.1f MiB | %s |\n", v, verdict(v <= 30))
		}
	}
	if v, ok := r.worst("tollgate", "rate", frontPeak); ok {
		w("| RSS under %d req/s | ≤ 60 MiB | %.1f MiB (peak VmRSS, worst round) | %s |\n", s.Rate, v, verdict(v <= 60))
	}
	if len(r.Cold) > 0 {
		var v []float64
		for _, c := range r.Cold {
			if c.Error == "" {
				v = append(v, c.ReadyMs)
			}
		}
		cpu, _ := median(mapV(r.Cold, func(c coldRun) float64 { return c.CPUmsAtReady }))
		if med, ok := median(v); ok && len(v) == len(r.Cold) {
			w("| exec to first successful completion (issue 14: ≤ 25 ms; issue 2: ≤ 50 ms) | ≤ 25 ms | %.1f ms, CPU %.1f ms (medians of %d) | %s |\n", med, cpu, len(v), verdict(med <= 25))
		} else {
			w("| exec to first successful completion | ≤ 25 ms | %d of %d starts failed (see below) | **not met** |\n", len(r.Cold)-len(v), len(r.Cold))
		}
	}
	if r.Lambda != nil && len(r.Lambda.Cold) > 0 {
		ok := lambdaOK(r.Lambda.Cold)
		med, _ := median(mapV(ok, func(c lambdaCold) float64 { return c.InitMs }))
		cpu, _ := median(mapV(ok, func(c lambdaCold) float64 { return c.InitCPUms }))
		if len(ok) == len(r.Lambda.Cold) {
			w("| Lambda init duration (exec to the first `next`; issue 14) | ≤ 30 ms | %.1f ms, CPU %.1f ms (medians of %d) | %s |\n", med, cpu, len(ok), verdict(med <= 30))
		} else {
			w("| Lambda init duration | ≤ 30 ms | %d of %d starts failed (see below) | **not met** |\n", len(r.Lambda.Cold)-len(ok), len(r.Lambda.Cold))
		}
	}
	for _, bin := range r.Binaries {
		w("| bootstrap binary (linux/%s) | ≤ 25 MB | %.1f MB (%d bytes) | %s |\n", bin.Arch, float64(bin.Bytes)/1e6, bin.Bytes, verdict(bin.Bytes <= 25_000_000))
	}
	w("\n")
}

func (r *results) extras(w func(string, ...any)) {
	for i, c := range r.Cold {
		if c.Error != "" {
			w("Cold start %d failed: `%s`\n\n", i+1, strings.ReplaceAll(firstLine(c.Error), "`", "'"))
		}
	}
	if len(r.Cold) > 0 {
		w("Cold start (exec of the bootstrap → first HTTP 200 on a chat completion through it, polled every 2 ms on a fresh "+
			"connection; the fake LLM already running): runs %s ms", strings.Join(mapF(r.Cold, func(c coldRun) string { return fmt.Sprintf("%.1f", c.ReadyMs) }), ", "))
		w("; CPU used by then %s ms; RSS then %s MiB.\n\n",
			strings.Join(mapF(r.Cold, func(c coldRun) string { return fmt.Sprintf("%.1f", c.CPUmsAtReady) }), ", "),
			strings.Join(mapF(r.Cold, func(c coldRun) string { return fmt.Sprintf("%.1f", float64(c.RSSKiBAtReady)/1024) }), ", "))
	}
	if len(r.Binaries) > 0 {
		w("Bootstrap builds: %s.\n\n", strings.Join(mapF(r.Binaries, func(b binary) string { return "`" + b.Command + "`" }), "; "))
	}
}

func mapV[T any](in []T, f func(T) float64) []float64 {
	out := make([]float64, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}

func mapF[T any](in []T, f func(T) string) []string {
	out := make([]string, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}

// perRound shows every round, to judge the noise behind the medians.
func (r *results) perRound(w func(string, ...any), cols []string) {
	s := &r.Settings
	w("<details><summary>Every round (to judge the noise behind the medians)</summary>\n\n")
	w("| round | target | closed req/s | closed CPU ms/req | %d req/s p50 / p99 ms | stream TTFB p50 ms | stream last byte p50 ms | "+
		"other load (closed / open / stream) |\n|---|---|---|---|---|---|---|---|\n", s.Rate)
	for round := 1; round <= s.Rounds; round++ {
		for _, t := range cols {
			c, okc := r.rounds(t, "closed")[round]
			ra, okr := r.rounds(t, "rate")[round]
			st, oks := r.rounds(t, "stream")[round]
			w("| %d | %s | %s | %s | %s | %s | %s | %s / %s / %s |\n", round, t,
				num(rps(c), okc, 0), num(frontCPU(c), okc, 3),
				pair(num(latP50(ra), okr, 3), num(latP99(ra), okr, 3)),
				num(ttfbP50(st), oks, 3), num(ttlbP50(st), oks, 3),
				num(other(c), okc, 2), num(other(ra), okr, 2), num(other(st), oks, 2))
		}
	}
	w("\n\"Other load\" is the share of the machine's CPU used during the phase by processes other than the target, the fake LLM " +
		"and the load generator: other jobs on this shared machine, but also kernel threads working for the target (a gateway that " +
		"syncs a file per request makes the kernel's flush workers busy). Above ~0.1, and not explained by the target, the " +
		"figures of that phase are disturbed.\n\n</details>\n\n")
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
