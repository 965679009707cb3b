package fakellm

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// timedWriter records when each write and flush happened, on the fake clock
// of a synctest bubble. Only the handler's goroutine touches it until the
// handler has returned.
type timedWriter struct {
	start   time.Time
	header  http.Header
	status  int
	writes  []timedWrite
	flushes []time.Duration
}

type timedWrite struct {
	at   time.Duration
	data string
}

func (w *timedWriter) Header() http.Header { return w.header }

func (w *timedWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *timedWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.writes = append(w.writes, timedWrite{time.Since(w.start), string(b)})
	return len(b), nil
}

func (w *timedWriter) Flush() { w.flushes = append(w.flushes, time.Since(w.start)) }

// run serves one request inside the current bubble and reports when the
// handler returned.
func run(h http.Handler, r *http.Request) (*timedWriter, time.Duration) {
	w := &timedWriter{start: time.Now(), header: http.Header{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(w, r)
	}()
	<-done
	return w, time.Since(w.start)
}

// draws replays what a server seeded with seed draws from r: uniform over
// the closed range.
func draws(seed uint64, r [2]time.Duration, n int) []time.Duration {
	rnd := rand.New(rand.NewPCG(seed, seed))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = r[0] + time.Duration(rnd.Int64N(int64(r[1]-r[0])+1))
	}
	return out
}

func post(path, body string) *http.Request {
	return httptest.NewRequest("POST", path, strings.NewReader(body))
}

const converseBody = `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`

func TestDelay(t *testing.T) {
	seeds := [2]time.Duration{time.Second, 3 * time.Second}
	random := draws(7, seeds, 3)
	tests := []struct {
		name  string
		opts  func() Options
		path  string
		body  string
		wants []time.Duration // one request per element
	}{
		{"no delay", func() Options { return Options{} }, "/v1/chat/completions", chatBody, []time.Duration{0, 0}},
		{"fixed delay needs no Rand", func() Options { return Options{Delay: [2]time.Duration{2 * time.Second, 2 * time.Second}} },
			"/chat/completions", chatBody, []time.Duration{2 * time.Second, 2 * time.Second}},
		{"random chat delays", func() Options { return Options{Delay: seeds, Rand: rand.New(rand.NewPCG(7, 7))} },
			"/v1/chat/completions", chatBody, random},
		{"random converse delays", func() Options { return Options{Delay: seeds, Rand: rand.New(rand.NewPCG(7, 7))} },
			"/model/m/converse", converseBody, random},
		{"random embedding delays", func() Options { return Options{Delay: seeds, Rand: rand.New(rand.NewPCG(7, 7))} },
			"/v1/embeddings", `{"model":"e","input":"x"}`, random},
		{"default Rand is seeded and in range", func() Options { return Options{Delay: seeds} },
			"/v1/chat/completions", chatBody, draws(fixedSeed, seeds, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := New(tt.opts())
				for i, want := range tt.wants {
					if want < 0 || want > 3*time.Second {
						t.Fatalf("expected delay %v outside the seeds' range", want)
					}
					w, returned := run(h, post(tt.path, tt.body))
					if w.status != http.StatusOK || len(w.writes) != 1 {
						t.Fatalf("request %d: status %d with %d writes", i, w.status, len(w.writes))
					}
					if w.writes[0].at != want || returned != want {
						t.Errorf("request %d: answered at %v (returned at %v), want %v", i, w.writes[0].at, returned, want)
					}
					if strings.Contains(tt.path, "converse") {
						var out struct{ Metrics struct{ LatencyMs int64 } }
						if err := json.Unmarshal([]byte(w.writes[0].data), &out); err != nil || out.Metrics.LatencyMs != want.Milliseconds() {
							t.Errorf("latencyMs %d, want %d (%v)", out.Metrics.LatencyMs, want.Milliseconds(), err)
						}
					}
				}
			})
		})
	}
}

func TestDelayCancelled(t *testing.T) {
	for _, path := range []string{"/v1/chat/completions", "/model/m/converse", "/v1/embeddings"} {
		t.Run(path, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := New(Options{Delay: [2]time.Duration{2 * time.Second, 2 * time.Second}})
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(500*time.Millisecond, cancel)
				body := map[string]string{"/v1/chat/completions": chatBody, "/model/m/converse": converseBody,
					"/v1/embeddings": `{"model":"e","input":"x"}`}[path]
				w, returned := run(h, post(path, body).WithContext(ctx))
				if returned != 500*time.Millisecond || w.status != 0 || len(w.writes) != 0 {
					t.Errorf("returned at %v with status %d and %d writes; want at 500ms with nothing written",
						returned, w.status, len(w.writes))
				}
			})
		})
	}
}

func TestChunkGaps(t *testing.T) {
	gap := [2]time.Duration{200 * time.Millisecond, 800 * time.Millisecond}
	// Two text pieces: role, two contents, finish = four chunks, three gaps.
	g := draws(3, gap, 3)
	stream := strings.Replace(chatBody, `{`, `{"stream":true,`, 1)
	tests := []struct {
		name     string
		opts     Options
		cancelAt time.Duration // 0: never
		want     []time.Duration
		wantDone bool
	}{
		{"zero gaps", Options{Chunks: 2}, 0, []time.Duration{0, 0, 0, 0}, true},
		{"random gaps between chunks; Delay does not hold a stream back", Options{Chunks: 2, ChunkGap: gap,
			Delay: [2]time.Duration{time.Second, time.Second}, Rand: rand.New(rand.NewPCG(3, 3))}, 0,
			[]time.Duration{0, g[0], g[0] + g[1], g[0] + g[1] + g[2]}, true},
		{"client leaves during a gap", Options{Chunks: 2, ChunkGap: gap, Rand: rand.New(rand.NewPCG(3, 3))},
			g[0] + g[1]/2, []time.Duration{0, g[0]}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancelAt > 0 {
					time.AfterFunc(tt.cancelAt, cancel)
				}
				w, returned := run(New(tt.opts), post("/v1/chat/completions", stream).WithContext(ctx))
				var chunks []time.Duration
				done := false
				for _, wr := range w.writes {
					if wr.data == "data: [DONE]\n\n" {
						done = true
						continue
					}
					if done {
						t.Fatalf("write after [DONE]: %q", wr.data)
					}
					chunks = append(chunks, wr.at)
				}
				if done != tt.wantDone {
					t.Errorf("[DONE] sent = %v, want %v", done, tt.wantDone)
				}
				if len(chunks) != len(tt.want) {
					t.Fatalf("chunks at %v, want %v", chunks, tt.want)
				}
				for i := range chunks {
					if chunks[i] != tt.want[i] {
						t.Fatalf("chunks at %v, want %v", chunks, tt.want)
					}
				}
				if len(w.flushes) != len(w.writes) {
					t.Errorf("%d flushes for %d writes", len(w.flushes), len(w.writes))
				}
				end := tt.want[len(tt.want)-1]
				if tt.cancelAt > 0 {
					end = tt.cancelAt
				}
				if returned != end {
					t.Errorf("handler returned at %v, want %v", returned, end)
				}
			})
		})
	}
}

func TestConverseStreamGaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Two text pieces plus role, finish and usage: five chunks, four gaps.
		opts := Options{Chunks: 2, ChunkGap: [2]time.Duration{100 * time.Millisecond, 100 * time.Millisecond}}
		w, returned := run(New(opts), post("/model/m/converse-stream", converseBody))
		if w.status != http.StatusOK || returned != 400*time.Millisecond {
			t.Fatalf("status %d, returned at %v; want 200 at 400ms", w.status, returned)
		}
		if first := w.writes[0].at; first != 100*time.Millisecond {
			// The role chunk writes nothing: messageStart leaves with the first text.
			t.Errorf("first event at %v, want 100ms", first)
		}
	})
}
