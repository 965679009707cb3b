package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestUpstreamRedirectsAreNotFollowed: an upstream that answers a call with
// a redirect is misconfigured, and following it would resend the call, and
// the deployment's credentials in headers net/http does not strip (api-key,
// x-api-key), to whatever host the Location names. The adapters send through
// the client's transport, so no CheckRedirect policy protects them: this
// holds the behaviour for any future change to how they send.
func TestUpstreamRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		http.Error(w, "should never be reached", http.StatusTeapot)
	}))
	t.Cleanup(thief.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)

	families := map[string]string{
		"openai": `model: openai/gpt-4o-mini
      api_base: ` + redirector.URL + `/v1
      api_key: sk-test`,
		"azure": `model: azure/gpt-4o-prod
      api_base: ` + redirector.URL + `
      api_version: "2024-10-21"
      api_key: azure-test-key`,
	}
	for family, params := range families {
		for _, stream := range []string{"false", "true"} {
			t.Run(family+"/stream="+stream, func(t *testing.T) {
				elsewhere.Store(0)
				cfg := `model_list:
  - model_name: m
    litellm_params:
      ` + params + `
      num_retries: 0
`
				gw := startGateway(t, cfg, map[string]string{"TOLLGATE_DATA_DIR": t.TempDir()})
				resp, body := postChat(t, gw, `{"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": `+stream+`}`)
				if n := elsewhere.Load(); n != 0 {
					t.Fatalf("the redirect's target received %d calls; a redirect must not be followed", n)
				}
				if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "api_base") {
					t.Fatalf("status %d, body %s: want 502 naming the deployment's api_base", resp.StatusCode, body)
				}
			})
		}
	}
}
