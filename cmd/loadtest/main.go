// Command loadtest measures what the Tollgate gateway adds on top of an
// upstream model, on this machine, and writes the figures as a markdown
// section (make bench runs it after the Go benchmarks).
//
// It builds the gateway bootstrap with the Lambda build flags and the fake
// LLM server (functions/fakellm), or takes them ready-made, and starts, all
// on free 127.0.0.1 ports:
//
//	fakellm    the fake LLM at zero delay (FAKELLM_DELAY=0, FAKELLM_CHUNK_GAP=0)
//	refproxy   this binary re-executed as a bare httputil.ReverseProxy hop in
//	           front of the fake LLM (a copy of ../shared/bench/refproxy): the
//	           floor a Go gateway hop costs here
//	tollgate   the gateway bootstrap with testdata/bench/loadtest.yaml, routing
//	           gpt-4o-mini over the OpenAI adapter to the fake LLM
//
// Then, for several rounds, each phase runs against each target in turn
// (direct = the fake LLM itself): a closed loop (-concurrency clients for
// -duration), an open loop at -rate requests per second, and an open loop
// of streamed completions at -stream-rate streams per second. It reads each process's CPU time
// (/proc/<pid>/stat utime+stime) and memory (/proc/<pid>/status VmRSS,
// VmHWM) around and during every phase, measures the gateway's cold start
// (exec to the first successful completion through it) and the bootstrap's
// size for arm64 and x86_64, and reports medians over the rounds.
//
// Then the Lambda path (lambda.go): the same bootstrap under the
// repository's fake Lambda Runtime API (internal/lambdafront/runtimeapitest),
// started as Lambda starts a function: its init duration (exec to the
// runtime's first call for an invocation) and first answer over -cold-runs
// fresh instances, then -lambda-invokes warm invocations of each kind
// (chat, stream) per front (function URL, REST streaming integration):
// latency and time to the first streamed byte added to the fake LLM's own,
// CPU per invocation and RSS. -load=false skips the load phases.
//
//	go run ./cmd/loadtest -out docs/performance.md
//	go run ./cmd/loadtest -duration 10s -rounds 5 -concurrency 50 -rate 500
//	go run ./cmd/loadtest -load=false -out /tmp/cold.md   # cold starts and Lambda only
//
// With -out, the section replaces the text between the markers
// "<!-- loadtest:begin -->" and "<!-- loadtest:end -->" in that file
// (appended when absent), so hand-written parts of the file stay. With
// -from, it measures nothing and writes the report of an earlier run's
// -json file: `make bench` measures into build/bench/, and `make bench-docs`
// puts that run into docs/performance.md.
//
// Everything listens on and sends to 127.0.0.1 only, every phase is bounded
// by time, and every process it starts is stopped by its PID at the end.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tollgate-gw/tollgate/internal/lambdafront/runtimeapitest"
)

const masterKey = "sk-loadtest-master"

// settings are the command-line flags.
type settings struct {
	Out, JSON         string
	Duration, Warmup  time.Duration
	Concurrency, Rate int
	StreamRate        int
	Chunks            int
	Rounds, ColdRuns  int
	LambdaInvokes     int
	Load              bool
	Targets           []string
	Config            string
	GatewayBin        string
	FakeLLMBin        string
	QuietMax          time.Duration
	QuietBusy         float64
	Keep              bool
	CommandLine       string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "refproxy" {
		runRefproxy(os.Args[2:])
		return
	}
	var s settings
	var targets string
	flag.StringVar(&s.Out, "out", "", "markdown file to write the results section into (default: stdout only)")
	flag.StringVar(&s.JSON, "json", "", "also write every measurement as JSON to this file")
	flag.DurationVar(&s.Duration, "duration", 5*time.Second, "length of each load phase")
	flag.DurationVar(&s.Warmup, "warmup", 2*time.Second, "unrecorded closed-loop warm-up per target and round")
	flag.IntVar(&s.Concurrency, "concurrency", 50, "closed-loop clients")
	flag.IntVar(&s.Rate, "rate", 500, "open-loop rate, requests per second")
	flag.IntVar(&s.StreamRate, "stream-rate", 100, "open-loop streaming rate, streams per second")
	flag.IntVar(&s.Chunks, "chunks", 20, "content chunks per streamed reply (FAKELLM_CHUNKS)")
	flag.IntVar(&s.Rounds, "rounds", 3, "rounds; each phase is reported as the median over them")
	flag.IntVar(&s.ColdRuns, "cold-runs", 7, "cold starts to measure, local and under the fake Lambda Runtime API (0 skips)")
	flag.IntVar(&s.LambdaInvokes, "lambda-invokes", 300, "warm invocations of each kind (chat, stream) per Lambda front (0 skips)")
	flag.BoolVar(&s.Load, "load", true, "run the load phases (false: only the cold starts, the Lambda path and the binary sizes)")
	flag.StringVar(&targets, "targets", "direct,refproxy,tollgate", "targets to load, comma-separated")
	flag.StringVar(&s.Config, "config", "", "gateway config (default testdata/bench/loadtest.yaml in the module)")
	flag.StringVar(&s.GatewayBin, "gateway-bin", "", "use this gateway binary instead of building the bootstrap")
	flag.StringVar(&s.FakeLLMBin, "fakellm-bin", "", "use this fake LLM binary instead of building it")
	flag.DurationVar(&s.QuietMax, "quiet-max", 15*time.Second, "before each phase, wait up to this long for a quiet machine")
	flag.Float64Var(&s.QuietBusy, "quiet-busy", 0.25, "machine CPU share below which it counts as quiet")
	flag.BoolVar(&s.Keep, "keep", false, "keep the work directory (binaries, logs)")
	var from string
	flag.StringVar(&from, "from", "", "write the report of an earlier run's -json `file` to -out (or stdout) instead of measuring")
	flag.Parse()
	if from != "" {
		if err := rewrite(from, s.Out); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		return
	}
	s.Targets = strings.Split(targets, ",")
	s.CommandLine = "go run ./cmd/loadtest " + strings.Join(os.Args[1:], " ")
	if err := s.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, &s); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func (s *settings) validate() error {
	if runtime.GOOS != "linux" {
		return errors.New("needs Linux: CPU and memory are read from /proc")
	}
	if s.Duration <= 0 || s.Concurrency <= 0 || s.Rate <= 0 || s.StreamRate <= 0 || s.Rounds <= 0 || s.Chunks <= 0 {
		return errors.New("-duration, -concurrency, -rate, -stream-rate, -chunks and -rounds must be positive")
	}
	for _, t := range s.Targets {
		if !slices.Contains([]string{"direct", "refproxy", "tollgate"}, t) {
			return fmt.Errorf("unknown target %q: want direct, refproxy or tollgate", t)
		}
	}
	return nil
}

// endpoint is a target under load and the processes that serve it.
type endpoint struct {
	name  string
	tgt   target
	front *proc // the process the target's own figures are read from
	up    *proc // the fake LLM behind it (nil for direct)
}

func run(ctx context.Context, s *settings) error {
	goBin := goTool()
	root, err := moduleRoot(ctx, goBin)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "tollgate-loadtest-")
	if err != nil {
		return err
	}
	if s.Keep {
		fmt.Fprintln(os.Stderr, "work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	if s.Config == "" {
		s.Config = filepath.Join(root, "testdata", "bench", "loadtest.yaml")
	}
	res := &results{Settings: *s, Started: time.Now(), Machine: describeMachine(), Tree: describeTree(ctx, root)}
	gwBin, fkBin, err := buildBinaries(ctx, s, goBin, root, work, res)
	if err != nil {
		return err
	}
	h := &harness{ctx: ctx, work: work}
	defer h.stopAll()

	fake, err := h.launch("fakellm", fkBin, nil, []string{"FAKELLM_DELAY=0", "FAKELLM_CHUNK_GAP=0", fmt.Sprintf("FAKELLM_CHUNKS=%d", s.Chunks)}, "FAKELLM_ADDR=")
	if err != nil {
		return err
	}
	upstream := "http://" + fake.addr
	gwEnv := []string{
		"TOLLGATE_CONFIG=" + s.Config, "TOLLGATE_MASTER_KEY=" + masterKey,
		"TOLLGATE_BENCH_UPSTREAM=" + upstream + "/v1", "TOLLGATE_DATA_DIR=" + filepath.Join(work, "data"),
	}
	auth := "Bearer " + masterKey
	targets := s.Targets
	if !s.Load {
		targets = nil
	}
	eps, err := h.startTargets(targets, fake, gwBin, gwEnv, auth)
	if err != nil {
		return err
	}
	if err := sanityAndIdle(ctx, eps, res); err != nil {
		return err
	}
	if err := rounds(ctx, s, eps, res); err != nil {
		return err
	}
	for _, ep := range eps {
		if st, err := readStat(ep.front.pid()); err == nil {
			res.End = append(res.End, idleMem{Target: ep.name, RSSKiB: st.rssKiB, HWMKiB: st.hwmKiB, Threads: st.threads})
		}
	}
	coldRuns(ctx, s, work, gwBin, gwEnv, auth, res)
	if s.ColdRuns > 0 || s.LambdaInvokes > 0 {
		lr := measureLambda(ctx, s, root, work, gwBin, gwEnv, upstream)
		res.Lambda = &lr
	}
	res.Finished = time.Now()

	if err := writeReport(res, s.Out); err != nil {
		return err
	}
	if s.JSON != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(s.JSON, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// buildBinaries builds the bootstrap for both Lambda architectures (their
// sizes go in the report) and the fake LLM with the same flags, unless the
// settings name binaries; it returns the native ones to run.
func buildBinaries(ctx context.Context, s *settings, goBin, root, work string, res *results) (gwBin, fkBin string, err error) {
	gwBin, fkBin = s.GatewayBin, s.FakeLLMBin
	if gwBin == "" {
		for _, arch := range []string{"arm64", "amd64"} {
			out := filepath.Join(work, "gateway-"+arch, "bootstrap")
			fmt.Fprintf(os.Stderr, "building the gateway bootstrap for linux/%s\n", arch)
			if err := buildLambda(ctx, goBin, root, "./functions/gateway", arch, out); err != nil {
				return "", "", err
			}
			res.Binaries = append(res.Binaries, binary{Arch: arch, Bytes: fileSize(out), Command: buildCommand("./functions/gateway", arch)})
			if arch == runtime.GOARCH {
				gwBin = out
			}
		}
		if gwBin == "" {
			return "", "", fmt.Errorf("no bootstrap built for this machine's architecture %s", runtime.GOARCH)
		}
	} else {
		res.Binaries = append(res.Binaries, binary{Arch: runtime.GOARCH, Bytes: fileSize(gwBin), Command: "given: " + gwBin})
	}
	if fkBin == "" {
		fkBin = filepath.Join(work, "fakellm")
		fmt.Fprintln(os.Stderr, "building the fake LLM")
		if err := buildLambda(ctx, goBin, root, "./functions/fakellm", runtime.GOARCH, fkBin); err != nil {
			return "", "", err
		}
	}
	return gwBin, fkBin, nil
}

// harness starts the processes of a run and stops them, last first.
type harness struct {
	ctx   context.Context
	work  string
	procs []*proc
}

// launch starts name on a free port; addrArg says how it is told the
// port: an environment variable (NAME=) or a flag (-name).
func (h *harness) launch(name, bin string, args, env []string, addrArg string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(addrArg, "=") {
		env = append(env, addrArg+addr)
	} else {
		args = append(args, addrArg, addr)
	}
	p, err := startProc(name, bin, args, env, addr, filepath.Join(h.work, name+".log"))
	if err != nil {
		return nil, err
	}
	h.procs = append(h.procs, p)
	return p, waitListening(h.ctx, p, 20*time.Second)
}

func (h *harness) stopAll() {
	for _, p := range slices.Backward(h.procs) {
		p.stop()
	}
}

// startTargets starts what each target needs in front of the fake LLM:
// nothing (direct), the reference proxy, or the gateway.
func (h *harness) startTargets(targets []string, fake *proc, gwBin string, gwEnv []string, auth string) ([]*endpoint, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	upstream := "http://" + fake.addr
	var eps []*endpoint
	for _, name := range targets {
		ep := &endpoint{name: name}
		switch name {
		case "direct":
			ep.front = fake
		case "refproxy":
			if ep.front, err = h.launch("refproxy", self, []string{"refproxy", "-upstream", upstream, "-upstream-key", "sk-bench-upstream"}, nil, "-addr"); err != nil {
				return nil, err
			}
			ep.up = fake
		case "tollgate":
			if ep.front, err = h.launch("tollgate", gwBin, nil, gwEnv, "TOLLGATE_ADDR="); err != nil {
				return nil, err
			}
			ep.up = fake
		}
		ep.tgt = target{url: "http://" + ep.front.addr + "/v1/chat/completions", auth: auth}
		eps = append(eps, ep)
	}
	return eps, nil
}

// sanityAndIdle sends one request of each kind to every target, then
// rests 2 s and reads each front's idle memory.
func sanityAndIdle(ctx context.Context, eps []*endpoint, res *results) error {
	sc := newClient(4)
	for _, ep := range eps {
		if _, err := ep.tgt.once(ctx, sc); err != nil {
			return fmt.Errorf("%s: sanity request failed: %w", ep.name, err)
		}
		st, err := ep.tgt.stream(ctx, sc, newReader())
		if err != nil || !st.done {
			return fmt.Errorf("%s: sanity stream failed (done=%v): %v", ep.name, st.done, err)
		}
	}
	sc.CloseIdleConnections()
	time.Sleep(2 * time.Second)
	for _, ep := range eps {
		if st, err := readStat(ep.front.pid()); err == nil {
			res.Idle = append(res.Idle, idleMem{Target: ep.name, RSSKiB: st.rssKiB, Threads: st.threads})
		}
	}
	return nil
}

// rounds runs the measured rounds: each warms every target up, then runs
// every phase against every target, in an order rotated each round so no
// target always goes first.
func rounds(ctx context.Context, s *settings, eps []*endpoint, res *results) error {
	client := newClient(s.Concurrency)
	defer client.CloseIdleConnections()
	for round := 1; round <= s.Rounds && len(eps) > 0; round++ {
		order := append(slices.Clone(eps[(round-1)%len(eps):]), eps[:(round-1)%len(eps)]...)
		for _, ep := range order {
			fmt.Fprintf(os.Stderr, "round %d: warming up %s\n", round, ep.name)
			closedLoop(ctx, client, ep.tgt, min(10, s.Concurrency), s.Warmup)
		}
		for _, ph := range []string{"closed", "rate", "stream"} {
			for _, ep := range order {
				if err := ctx.Err(); err != nil {
					return err
				}
				pr, err := measure(ctx, s, client, ep, ph, round)
				if err != nil {
					return err
				}
				fmt.Fprintln(os.Stderr, pr.line())
				res.Phases = append(res.Phases, pr)
			}
		}
	}
	return nil
}

// coldRuns measures s.ColdRuns cold starts of the gateway; a failed one is
// reported, not fatal: the other figures still stand.
func coldRuns(ctx context.Context, s *settings, work, gwBin string, gwEnv []string, auth string, res *results) {
	for i := range s.ColdRuns {
		cs, err := coldStart(ctx, work, gwBin, gwEnv, auth, i)
		if err != nil {
			cs.Error = err.Error()
			fmt.Fprintf(os.Stderr, "cold start %d failed: %v\n", i+1, err)
		} else {
			fmt.Fprintf(os.Stderr, "cold start %d: %.1f ms\n", i+1, cs.ReadyMs)
		}
		res.Cold = append(res.Cold, cs)
	}
}

// measure runs one phase against one endpoint, with the processes' CPU and
// memory read before, during (every 50 ms) and after it.
func measure(ctx context.Context, s *settings, c *http.Client, ep *endpoint, phase string, round int) (phaseResult, error) {
	pr := phaseResult{Target: ep.name, Phase: phase, Round: round}
	pr.QuietWait, pr.QuietBusy = waitQuiet(ctx, s.QuietMax, s.QuietBusy)
	procs := []*proc{ep.front}
	if ep.up != nil {
		procs = append(procs, ep.up)
	}
	before := make([]procStat, len(procs))
	for i, p := range procs {
		if err := p.exited(); err != nil {
			return pr, err
		}
		before[i], _ = readStat(p.pid())
	}
	m0, self0, t0 := machineTicks(), selfTicks(), time.Now()

	peak := make([]int64, len(procs))
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			for i, p := range procs {
				if st, err := readStat(p.pid()); err == nil {
					peak[i] = max(peak[i], st.rssKiB)
				}
			}
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()

	var lr loadResult
	switch phase {
	case "closed":
		lr = closedLoop(ctx, c, ep.tgt, s.Concurrency, s.Duration)
	case "rate":
		lr = openLoop(ctx, c, ep.tgt, s.Rate, s.Duration)
	case "stream":
		lr = streamOpenLoop(ctx, c, ep.tgt, s.StreamRate, s.Duration)
	}
	close(stopSampling)
	<-sampled
	wall := time.Since(t0)
	m1, self1 := machineTicks(), selfTicks()

	pr.fill(lr)
	var ours int64
	for i, p := range procs {
		after, err := readStat(p.pid())
		if err != nil {
			return pr, fmt.Errorf("%s: %w", p.name, err)
		}
		cpu := float64(after.cpuTicks-before[i].cpuTicks) * 1000 / userHZ
		ours += after.cpuTicks - before[i].cpuTicks
		pm := procMeasure{Name: p.name, CPUms: cpu, PeakRSSKiB: peak[i], HWMKiB: after.hwmKiB}
		if lr.OK > 0 {
			pm.CPUmsPerReq = cpu / float64(lr.OK)
		}
		pr.Procs = append(pr.Procs, pm)
	}
	loadgen := self1 - self0
	pr.LoadgenCPUms = float64(loadgen) * 1000 / userHZ
	capacity := wall.Seconds() * userHZ * float64(runtime.NumCPU())
	if capacity > 0 {
		pr.MachineBusy = float64(m1-m0) / capacity
		pr.OtherShare = max(0, float64(m1-m0-ours-loadgen)/capacity)
	}
	return pr, nil
}

// waitQuiet waits (at most maxWait) until the whole machine used less than
// busy of its CPU over a one-second window, and returns how long it waited
// and the last reading. Other jobs on a shared machine skew everything.
func waitQuiet(ctx context.Context, maxWait time.Duration, busy float64) (time.Duration, float64) {
	start := time.Now()
	var frac float64
	for {
		a := machineTicks()
		select {
		case <-ctx.Done():
			return time.Since(start), frac
		case <-time.After(time.Second):
		}
		frac = float64(machineTicks()-a) / (userHZ * float64(runtime.NumCPU()))
		if frac < busy || time.Since(start) >= maxWait {
			return time.Since(start), frac
		}
	}
}

// coldStart execs the gateway on a fresh port and polls it with a chat
// completion every 2 ms until one succeeds: the time from exec to that
// first 200 is what a Lambda cold start adds on top of the runtime's own
// init, for this binary.
func coldStart(ctx context.Context, work, bin string, env []string, auth string, i int) (coldRun, error) {
	addr, err := freeAddr()
	if err != nil {
		return coldRun{}, err
	}
	// Its own data directory: the embedded store is one file that one
	// process holds locked, and a first start creates it, as a fresh
	// container would.
	env = append(slices.Clone(env), "TOLLGATE_ADDR="+addr, "TOLLGATE_DATA_DIR="+filepath.Join(work, fmt.Sprintf("data-cold-%d", i)))
	t := target{url: "http://" + addr + "/v1/chat/completions", auth: auth}
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	start := time.Now()
	p, err := startProc("tollgate-cold", bin, nil, env, addr, filepath.Join(work, fmt.Sprintf("cold-%d.log", i)))
	if err != nil {
		return coldRun{}, err
	}
	defer p.stop()
	attempts := 0
	for time.Since(start) < 20*time.Second {
		attempts++
		if _, err := t.once(ctx, c); err == nil {
			ready := time.Since(start)
			cr := coldRun{ReadyMs: ms(ready), Attempts: attempts}
			if st, err := readStat(p.pid()); err == nil {
				cpu, _ := runtimeapitest.CPUTime(p.pid())
				cr.CPUmsAtReady = ms(cpu)
				cr.RSSKiBAtReady = st.rssKiB
			}
			return cr, nil
		}
		if err := p.exited(); err != nil {
			return coldRun{}, err
		}
		time.Sleep(2 * time.Millisecond)
	}
	return coldRun{}, fmt.Errorf("cold start %d: no successful completion within 20 s; log:\n%s", i, tail(p.log.Name(), 2000))
}
