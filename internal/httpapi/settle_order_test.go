package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/provider/fake"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/router"
	"github.com/tollgate-gw/tollgate/internal/spend"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

// principalAuth authenticates every request as p.
type principalAuth struct{ p *auth.Principal }

func (a principalAuth) Authenticate(context.Context, *http.Request) (*auth.Principal, error) {
	return a.p, nil
}

// settleWatch is a store driver that notes, at the settle write (the one
// that carries the spend record), whether the client already had its whole
// response. A settle that should come after the response waits for the
// client, so a gateway that held the response back behind the settle would
// show it as "not received" (after the settle's own timeout).
type settleWatch struct {
	store.Driver
	received    chan struct{} // closed by the client once it has everything
	waitClient  bool
	sawReceived atomic.Bool
	settled     chan struct{} // closed at the settle write
}

func (s *settleWatch) WriteEach(ctx context.Context, now int64, ws []*store.Write) []error {
	defer s.watch(ctx, ws)()
	return s.Driver.(store.EachWriter).WriteEach(ctx, now, ws)
}

func (s *settleWatch) WriteValues(ctx context.Context, now int64, ws []*store.Write) ([]*store.Item, error) {
	defer s.watch(ctx, ws)()
	return s.Driver.(store.ValueWriter).WriteValues(ctx, now, ws)
}

func (s *settleWatch) Write(ctx context.Context, now int64, ws []*store.Write) error {
	defer s.watch(ctx, ws)()
	return s.Driver.Write(ctx, now, ws)
}

// watch notes what the client had at a settle write; the returned func,
// called once the write is done, closes settled.
func (s *settleWatch) watch(ctx context.Context, ws []*store.Write) func() {
	for _, w := range ws {
		if w.Item.Table != store.SpendTable {
			continue
		}
		if s.waitClient {
			select {
			case <-s.received:
			case <-ctx.Done():
			}
		}
		select {
		case <-s.received:
			s.sawReceived.Store(true)
		default:
		}
		return func() { close(s.settled) }
	}
	return func() {}
}

// TestSettleOrder: a call whose settle feeds later admissions (here a
// budget) is settled before the client has its response, so the client's
// next request finds it counted; any other call is settled after the
// response is complete on the wire, keeping the store write out of the
// client's latency. Both for a JSON answer and a stream.
func TestSettleOrder(t *testing.T) {
	budget := 10.0
	cases := []struct {
		name        string
		p           *auth.Principal
		stream      bool
		settleFirst bool
	}{
		{"master key, json", &auth.Principal{ID: "master", Kind: auth.KindMaster, Role: auth.RoleProxyAdmin}, false, false},
		{"master key, stream", &auth.Principal{ID: "master", Kind: auth.KindMaster, Role: auth.RoleProxyAdmin}, true, false},
		{"key with a budget, json", budgeted(&budget), false, true},
		{"key with a budget, stream", budgeted(&budget), true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := embedded.OpenDriver(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			watch := &settleWatch{Driver: d, received: make(chan struct{}), waitClient: !c.settleFirst, settled: make(chan struct{})}
			dep := &router.Deployment{ID: "f", Group: "f", Provider: "fake", ModelID: "f", Model: fake.New(fake.Options{ModelID: "f", StreamChunks: 3})}
			dp := NewDataPlane(router.New([]*router.Deployment{dep}, nil), principalAuth{c.p},
				&DataPlaneOptions{Limits: ratelimit.New(store.New(watch, nil), spend.NewPricer(spend.Shipped(), nil), nil)})
			mux := http.NewServeMux()
			dp.Register(mux)
			srv := httptest.NewServer(Wrap(mux, slog.New(slog.DiscardHandler)))
			t.Cleanup(srv.Close)

			body := `{"model":"f","messages":[{"role":"user","content":"hi"}],"stream":` + map[bool]string{true: "true", false: "false"}[c.stream] + `}`
			resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if c.stream {
				// The stream is complete at [DONE]; the connection may
				// stay open while the handler settles.
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() && sc.Text() != "data: [DONE]" {
				}
			} else {
				if _, err := io.ReadFull(resp.Body, make([]byte, resp.ContentLength)); err != nil {
					t.Fatal(err)
				}
			}
			close(watch.received)
			select {
			case <-watch.settled:
			case <-time.After(10 * time.Second):
				t.Fatal("no settle")
			}
			if got := watch.sawReceived.Load(); got == c.settleFirst {
				t.Errorf("at the settle the client had its whole response: %v, want %v", got, !c.settleFirst)
			}
		})
	}
}

func budgeted(max *float64) *auth.Principal {
	return &auth.Principal{ID: "k1", Kind: auth.KindKey, Role: auth.RoleInternalUser, KeyHash: store.HashKey("sk-k1"),
		Levels: []auth.Level{{Kind: "key", ID: store.HashKey("sk-k1"), Limits: &store.Limits{MaxBudget: max}}}}
}

// settleDown is a store driver whose settle writes fail as unavailable, as
// a throttled or unreachable DynamoDB would; admission still works.
type settleDown struct{ store.Driver }

func (s settleDown) WriteEach(_ context.Context, _ int64, ws []*store.Write) []error {
	errs := make([]error, len(ws))
	for i := range ws {
		errs[i] = fmt.Errorf("%w: throttled", store.ErrUnavailable)
	}
	return errs
}

// TestSettleFailureFollowsFailClosed: a call whose budget settle cannot be
// written is withheld when limits fail closed (a 503 instead of the JSON
// answer; an error event instead of a stream's [DONE]) and delivered when
// they fail open.
func TestSettleFailureFollowsFailClosed(t *testing.T) {
	budget := 10.0
	for _, failOpen := range []bool{false, true} {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("fail_open=%v,stream=%v", failOpen, stream), func(t *testing.T) {
				d, err := embedded.OpenDriver(t.TempDir(), nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Close() })
				dep := &router.Deployment{ID: "f", Group: "f", Provider: "fake", ModelID: "f", Model: fake.New(fake.Options{ModelID: "f", StreamChunks: 3})}
				dp := NewDataPlane(router.New([]*router.Deployment{dep}, nil), principalAuth{budgeted(&budget)},
					&DataPlaneOptions{Limits: ratelimit.New(store.New(settleDown{d}, nil), spend.NewPricer(spend.Shipped(), nil), &ratelimit.Options{FailOpen: failOpen})})
				mux := http.NewServeMux()
				dp.Register(mux)
				h := Wrap(mux, slog.New(slog.DiscardHandler))
				r := httptest.NewRequest("POST", "/v1/chat/completions",
					strings.NewReader(fmt.Sprintf(`{"model":"f","stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream)))
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				body := w.Body.String()
				withheld := strings.Contains(body, "limits_unavailable")
				switch {
				case withheld == failOpen:
					t.Fatalf("withheld %v with fail_open %v: %d %s", withheld, failOpen, w.Code, body)
				case !stream && !failOpen && w.Code != http.StatusServiceUnavailable:
					t.Fatalf("status %d: %s", w.Code, body)
				case stream && strings.Contains(body, "[DONE]") == withheld:
					t.Fatalf("stream end: %s", body)
				}
			})
		}
	}
}
