package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// chatBody is the request bench/run.sh (the shared harness) sends.
const chatBody = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},` +
	`{"role":"user","content":"Say hello and tell me a short fact about benchmarks."}],"max_tokens":64,"temperature":0.2}`

var streamBody = `{"stream":true,"stream_options":{"include_usage":true},` + chatBody[1:]

// client sends the load: keep-alive HTTP/1.1 with a pool as large as the
// concurrency, no compression (neither side compresses).
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conns * 2,
			MaxIdleConnsPerHost: conns * 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// target is one endpoint under load.
type target struct {
	url  string // …/v1/chat/completions
	auth string // Authorization header value
}

func (t target) request(ctx context.Context, body string) *http.Request {
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader([]byte(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", t.auth)
	return r
}

// once sends one non-streaming request and reports its latency and whether
// it was a 200 carrying a chat.completion.
func (t target) once(ctx context.Context, c *http.Client) (time.Duration, error) {
	start := time.Now()
	resp, err := c.Do(t.request(ctx, chatBody))
	if err != nil {
		return 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"chat.completion"`)) {
		return 0, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	return d, nil
}

// loadResult is what one load phase measured on the client side.
type loadResult struct {
	Requests, OK, Errors int
	Incomplete           int // streams: 200 but no [DONE]
	Elapsed              time.Duration
	Latency              []time.Duration // non-streaming, successful requests
	TTFB, TTFC, TTLB     []time.Duration // streams
	Chunks               int             // streams: data events before [DONE]
	FirstError           string
}

type collector struct {
	mu sync.Mutex
	r  loadResult
}

func (c *collector) fail(err error) {
	c.mu.Lock()
	c.r.Requests++
	c.r.Errors++
	if c.r.FirstError == "" {
		c.r.FirstError = err.Error()
	}
	c.mu.Unlock()
}

// closedLoop runs conc workers, each sending its next request as soon as
// the previous one is answered, for d.
func closedLoop(ctx context.Context, c *http.Client, t target, conc int, d time.Duration) loadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var col collector
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			defer func() {
				col.mu.Lock()
				col.r.Latency = append(col.r.Latency, lat...)
				col.r.Requests += len(lat)
				col.r.OK += len(lat)
				col.mu.Unlock()
			}()
			for ctx.Err() == nil {
				l, err := t.once(ctx, c)
				if ctx.Err() != nil {
					return // cut by the end of the phase: not counted
				}
				if err != nil {
					col.fail(err)
					continue
				}
				lat = append(lat, l)
			}
		})
	}
	wg.Wait()
	col.r.Elapsed = time.Since(start)
	return col.r
}

// schedule calls fire(i) on its own goroutine at start + i/rate for d,
// whatever the earlier calls take (an open loop, as vegeta's), and waits
// for them all. maxInFlight bounds the goroutines if the target stalls;
// calls beyond it are skipped and counted by the returned number.
func schedule(ctx context.Context, rate int, d time.Duration, fire func(i int)) (n, skipped int, elapsed time.Duration) {
	const maxInFlight = 20000
	var wg sync.WaitGroup
	var inFlight atomic.Int64
	interval := time.Second / time.Duration(rate)
	n = int(d / interval)
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		if ctx.Err() != nil {
			n = i
			break
		}
		if inFlight.Load() >= maxInFlight {
			skipped++
			continue
		}
		inFlight.Add(1)
		wg.Go(func() {
			defer inFlight.Add(-1)
			fire(i)
		})
	}
	wg.Wait()
	return n, skipped, time.Since(start)
}

// openLoop sends rate non-streaming requests per second for d; latency runs
// from the moment a request is sent to its last byte.
func openLoop(ctx context.Context, c *http.Client, t target, rate int, d time.Duration) loadResult {
	var col collector
	n := int(d / (time.Second / time.Duration(rate)))
	lats := make([]time.Duration, n)
	oks := make([]bool, n)
	_, skipped, elapsed := schedule(ctx, rate, d, func(i int) {
		l, err := t.once(ctx, c)
		if err != nil {
			col.fail(err)
			return
		}
		lats[i], oks[i] = l, true
	})
	col.r.Elapsed = elapsed
	if skipped > 0 {
		col.fail(fmt.Errorf("%d requests not sent: more than 20000 in flight (target stalled)", skipped))
		col.r.Errors += skipped - 1
	}
	for i, ok := range oks {
		if ok {
			col.r.Requests++
			col.r.OK++
			col.r.Latency = append(col.r.Latency, lats[i])
		}
	}
	return col.r
}

// streamOpenLoop starts rate streamed completions per second for d and
// records, per stream, the time to the first response byte, to the first
// data event and to the end of the body. An open loop keeps these
// latencies free of the queueing a saturating closed loop would add.
func streamOpenLoop(ctx context.Context, c *http.Client, t target, rate int, d time.Duration) loadResult {
	var col collector
	n := int(d / (time.Second / time.Duration(rate)))
	samples := make([]streamSample, n)
	_, skipped, elapsed := schedule(ctx, rate, d, func(i int) {
		s, err := t.stream(ctx, c, newReader())
		if err != nil {
			col.fail(err)
			return
		}
		s.ok = true
		samples[i] = s
	})
	col.r.Elapsed = elapsed
	if skipped > 0 {
		col.fail(fmt.Errorf("%d streams not started: more than 20000 in flight (target stalled)", skipped))
		col.r.Errors += skipped - 1
	}
	for _, s := range samples {
		switch {
		case !s.ok:
		case !s.done:
			col.r.Requests++
			col.r.Incomplete++
		default:
			col.r.Requests++
			col.r.OK++
			col.r.TTFB = append(col.r.TTFB, s.ttfb)
			col.r.TTFC = append(col.r.TTFC, s.ttfc)
			col.r.TTLB = append(col.r.TTLB, s.ttlb)
			col.r.Chunks += s.chunks
		}
	}
	return col.r
}

func newReader() *bufio.Reader { return bufio.NewReaderSize(nil, 16<<10) }

type streamSample struct {
	ttfb, ttfc, ttlb time.Duration
	chunks           int
	done, ok         bool
}

func (t target) stream(ctx context.Context, c *http.Client, br *bufio.Reader) (streamSample, error) {
	var s streamSample
	var firstByte time.Time
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { firstByte = time.Now() }}
	req := t.request(httptrace.WithClientTrace(ctx, trace), streamBody)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return s, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	s.ttfb = firstByte.Sub(start)
	br.Reset(resp.Body)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && bytes.HasPrefix(line, []byte("data:")) {
			if s.chunks == 0 && !s.done {
				s.ttfc = time.Since(start)
			}
			if bytes.HasPrefix(bytes.TrimSpace(line[5:]), []byte("[DONE]")) {
				s.done = true
			} else {
				s.chunks++
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			return s, err
		}
	}
	s.ttlb = time.Since(start)
	return s, nil
}

// pct is a latency summary in milliseconds.
type pct struct {
	P50, P90, P99, Max, Mean float64
	N                        int
}

func percentiles(d []time.Duration) pct {
	if len(d) == 0 {
		return pct{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.5) - 1 // nearest rank
		i = max(0, min(i, len(s)-1))
		return ms(s[i])
	}
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	return pct{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms(s[len(s)-1]), Mean: ms(sum / time.Duration(len(s))), N: len(s)}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
