package lambdafront_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tollgate-gw/tollgate/internal/lambdafront"
)

// TestSampleEvents round-trips every sample event in events/ through its
// aws-lambda-go type (so each member is one the adapters read) and serves it
// with the front its function uses.
func TestSampleEvents(t *testing.T) {
	// One directory per function; events/env.json beside them is not an event.
	files, err := filepath.Glob(filepath.Join(eventsDir, "*", "*.json"))
	if err != nil {
		t.Fatalf("listing sample events: %v", err)
	}
	if len(files) < 9 {
		t.Fatalf("found %d sample events in %s, want at least 9", len(files), eventsDir)
	}
	for _, path := range files {
		rel, _ := filepath.Rel(eventsDir, path)
		t.Run(rel, func(t *testing.T) {
			raw := readEvent(t, rel)
			name := filepath.Base(rel)
			var typed any
			switch {
			case strings.HasPrefix(name, "function-url-"):
				typed = new(events.LambdaFunctionURLRequest)
			case strings.HasPrefix(name, "rest-"):
				typed = new(events.APIGatewayProxyRequest)
			default:
				t.Fatalf("sample event names start with function-url- or rest-, not %s", name)
			}
			if err := json.Unmarshal(raw, typed); err != nil {
				t.Fatalf("decoding: %v", err)
			}
			again, err := json.Marshal(typed)
			if err != nil {
				t.Fatalf("encoding: %v", err)
			}
			if eq, diff := jsonEqual(raw, again); !eq {
				t.Errorf("round trip changed the event: %s", diff)
			}

			var kind lambdafront.Kind
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if ev, ok := lambdafront.EventFromContext(r.Context()); ok {
					kind = ev.Kind
				}
			})
			wantKind := lambdafront.KindFunctionURL
			switch {
			case strings.HasPrefix(rel, "admin"+string(filepath.Separator)):
				// The admin function sits behind a buffered REST integration.
				wantKind = lambdafront.KindREST
				if _, err := lambdafront.BufferedHandler(h)(context.Background(), raw); err != nil {
					t.Fatalf("BufferedHandler: %v", err)
				}
			default:
				if _, ok := typed.(*events.APIGatewayProxyRequest); ok {
					wantKind = lambdafront.KindRESTStream
				}
				resp, err := lambdafront.Handler(h)(context.Background(), raw)
				if err != nil {
					t.Fatalf("Handler: %v", err)
				}
				if _, err := readAll(t, resp); err != nil {
					t.Fatal(err)
				}
			}
			if kind != wantKind {
				t.Errorf("served as %q, want %q", kind, wantKind)
			}
		})
	}
}

// TestSamconfigEvents checks that every file samconfig.toml names exists, so
// that moving a sample event cannot silently break `sam local invoke`.
func TestSamconfigEvents(t *testing.T) {
	b, err := os.ReadFile("../../samconfig.toml")
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`(?m)^(event|env_vars) = "([^"]+)"$`).FindAllStringSubmatch(string(b), -1)
	if len(named) < 10 {
		t.Fatalf("samconfig.toml names %d event and env files, want at least 10", len(named))
	}
	for _, m := range named {
		if _, err := os.Stat(filepath.Join("../..", m[2])); err != nil {
			t.Errorf("samconfig.toml %s: %v", m[1], err)
		}
	}
}
