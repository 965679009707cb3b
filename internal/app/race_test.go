package app

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// raceUpstream is an OpenAI-compatible upstream that answers every chat
// call with the same usage. While held, it keeps each call waiting until
// released, so that the gateways' admissions all happen while the admitted
// calls are in flight; it counts arrivals and the most calls in flight.
type raceUpstream struct {
	srv      *httptest.Server
	arrived  chan struct{}
	mu       sync.Mutex
	release  chan struct{} // nil: answer at once
	inFlight int
	peak     int
}

// raceUsage is the usage of every upstream answer: 5 tokens in (no more
// than the 2-byte prompt's bound of 9), 5 out.
const raceUsage = `{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}`

func newRaceUpstream(t *testing.T) *raceUpstream {
	u := &raceUpstream{arrived: make(chan struct{}, 1024)}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		u.mu.Lock()
		u.inFlight++
		u.peak = max(u.peak, u.inFlight)
		release := u.release
		u.mu.Unlock()
		u.arrived <- struct{}{}
		if release != nil {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		u.mu.Lock()
		u.inFlight--
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini",`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":%s}`, raceUsage)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// hold makes calls wait until the returned release is called.
func (u *raceUpstream) hold() (release func()) {
	ch := make(chan struct{})
	u.mu.Lock()
	u.release, u.peak = ch, 0
	u.mu.Unlock()
	for len(u.arrived) > 0 {
		<-u.arrived
	}
	return sync.OnceFunc(func() {
		u.mu.Lock()
		u.release = nil
		u.mu.Unlock()
		close(ch)
	})
}

// free makes calls answer at once and resets the peak.
func (u *raceUpstream) free() {
	u.mu.Lock()
	u.release, u.peak = nil, 0
	u.mu.Unlock()
	for len(u.arrived) > 0 {
		<-u.arrived
	}
}

func (u *raceUpstream) peakInFlight() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.peak
}

// TestTwoGatewaysRaceOnDynamoDB: two gateways (two apps, each with its own
// handler tree, store client and key cache) share one DynamoDB Local, and
// 200 concurrent requests, split between them, race on each limit of a
// key: rpm_limit and max_parallel_requests admit exactly their limit, a
// strict budget is never exceeded, a default budget is exceeded by no more
// than the calls in flight, and zero limits admit nothing.
func TestTwoGatewaysRaceOnDynamoDB(t *testing.T) {
	const requests = 200
	env := dynamoEnv(t)
	up := newRaceUpstream(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(`model_list:
  - model_name: up
    litellm_params: {model: openai/gpt-4o-mini, api_base: "`+up.srv.URL+`/v1", api_key: sk-upstream}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func(mode string) [2]string {
		var urls [2]string
		for i := range urls {
			e := make(map[string]string, len(env)+1)
			for k, v := range env {
				e[k] = v
			}
			e["TOLLGATE_BUDGET_MODE"] = mode
			urls[i] = startLocalApp(t, e, Options{ConfigPaths: []string{cfg}}).gw.URL
		}
		return urls
	}
	gws := map[string][2]string{"default": start("default"), "strict": start("strict")}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: requests}}
	t.Cleanup(client.CloseIdleConnections)
	newKey := func(body string) string {
		t.Helper()
		st, b := call(t, gws["default"][0], "POST", "/key/generate", idMaster, body)
		key := between(b, `"key":"`, `"`)
		if st != 200 || key == "" {
			t.Fatalf("/key/generate %s: %d %s", body, st, b)
		}
		return key
	}
	chat := func(gw, key string) (int, string) {
		req, _ := http.NewRequest("POST", gw+"/v1/chat/completions",
			strings.NewReader(`{"model":"up","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// race sends n requests at once, over workers concurrent clients,
	// alternating between the two gateways; each answer goes to seen,
	// which may be nil. It returns the statuses by count.
	race := func(mode, key string, n, workers int, seen func(status int, body string)) map[int]int {
		var mu sync.Mutex
		got := map[int]int{}
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(n) {
						return
					}
					st, body := chat(gws[mode][i%2], key)
					if seen != nil {
						seen(st, body)
					}
					mu.Lock()
					got[st]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return got
	}
	// costPerCall is gpt-4o-mini's price of raceUsage; reservePerCall the
	// strict reservation of the request chat sends (a 9-token prompt bound
	// and max_tokens 50).
	const costPerCall, reservePerCall = 5*0.15e-6 + 5*0.6e-6, 9*0.15e-6 + 50*0.6e-6

	t.Run("rpm_limit", func(t *testing.T) {
		up.free()
		const limit = 37
		key := newKey(fmt.Sprintf(`{"rpm_limit":%d}`, limit))
		for attempt := 0; ; attempt++ {
			minute := time.Now().Truncate(time.Minute)
			got := race("default", key, requests, requests, nil)
			if !time.Now().Truncate(time.Minute).Equal(minute) && attempt == 0 {
				key = newKey(fmt.Sprintf(`{"rpm_limit":%d}`, limit)) // a minute boundary fell in the race: again
				continue
			}
			if got[200] != limit || got[429] != requests-limit {
				t.Fatalf("rpm_limit %d: %v", limit, got)
			}
			return
		}
	})

	t.Run("max_parallel_requests", func(t *testing.T) {
		const limit = 13
		key := newKey(fmt.Sprintf(`{"max_parallel_requests":%d}`, limit))
		release := up.hold()
		defer release()
		var refused atomic.Int64
		decided := make(chan struct{}, requests)
		go func() {
			// Release the admitted calls once every request was decided:
			// the admitted ones are waiting upstream, the rest answered.
			admitted := 0
			for admitted+int(refused.Load()) < requests {
				select {
				case <-up.arrived:
					admitted++
				case <-decided:
				}
			}
			release()
		}()
		got := race("default", key, requests, requests, func(st int, _ string) {
			if st != 200 {
				refused.Add(1)
				decided <- struct{}{}
			}
		})
		if got[200] != limit || got[429] != requests-limit || up.peakInFlight() != limit {
			t.Fatalf("max_parallel_requests %d: %v, %d in flight upstream at most", limit, got, up.peakInFlight())
		}
	})

	t.Run("strict max_budget", func(t *testing.T) {
		up.free()
		const budget = 0.0005 // 15 reservations at once
		key := newKey(fmt.Sprintf(`{"max_budget":%g}`, budget))
		// 200 transactions at once on one key's counters conflict with each
		// other; one that keeps losing past the store's retries is refused
		// with 503 limits_unavailable (fail closed), never admitted. On a
		// loaded machine one did. Any other answer is a failure.
		got := race("strict", key, requests, requests, func(st int, body string) {
			if st == http.StatusServiceUnavailable && !strings.Contains(body, `"limits_unavailable"`) {
				t.Errorf("strict budget: 503 that is not limits_unavailable: %s", body)
			}
		})
		sum, records := keySpend(t, gws["default"][1], key)
		if sum > budget || records != got[200] || float64(got[200]+got[503]+1)*reservePerCall <= budget ||
			got[200]+got[400]+got[503] != requests || got[503] > requests/20 {
			t.Fatalf("strict budget %g: %v, spent %g over %d records", budget, got, sum, records)
		}
	})

	t.Run("default max_budget", func(t *testing.T) {
		up.free()
		const budget, workers = 50 * costPerCall, 20
		key := newKey(fmt.Sprintf(`{"max_budget":%g}`, budget))
		// A gating settle lands before its client has the answer, so at
		// most one admitted call per worker is unsettled at a time.
		got := race("default", key, requests, workers, nil)
		sum, records := keySpend(t, gws["default"][1], key)
		if sum <= budget || sum > budget+workers*costPerCall+1e-12 || records != got[200] || got[400] == 0 {
			t.Fatalf("budget %g with %d clients: %v, spent %g over %d records", budget, workers, got, sum, records)
		}
	})

	t.Run("zero limits", func(t *testing.T) {
		up.free()
		for _, tc := range []struct{ mode, limits string }{
			{"default", `{"rpm_limit":0}`},
			{"default", `{"tpm_limit":0}`},
			{"default", `{"max_parallel_requests":0}`},
			{"strict", `{"max_budget":0}`},
		} {
			key := newKey(tc.limits)
			got := race(tc.mode, key, requests/4, requests/4, nil)
			if got[200] != 0 {
				t.Errorf("%s %s admitted %d: %v", tc.mode, tc.limits, got[200], got)
			}
		}
		if len(up.arrived) != 0 {
			t.Errorf("%d calls reached the upstream", len(up.arrived))
		}
	})
}
