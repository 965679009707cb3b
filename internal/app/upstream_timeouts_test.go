package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/provider/upstream/faulttest"
)

// TestUpstreamTimeoutsReachEveryAdapter: a deployment's timeout and
// stream_timeout, as written in the config, bound its calls on every
// provider family. Bedrock deployments used to ignore both, so a stalled
// endpoint held the call until the function's limit.
func TestUpstreamTimeoutsReachEveryAdapter(t *testing.T) {
	stalled := httptest.NewServer(faulttest.Stall("", "", nil))
	t.Cleanup(stalled.Close)
	families := map[string]string{
		"openai": `model: openai/gpt-4o-mini
      api_base: ` + stalled.URL + `/v1
      api_key: sk-test`,
		"azure": `model: azure/gpt-4o-prod
      api_base: ` + stalled.URL + `
      api_version: "2024-10-21"
      api_key: azure-test-key`,
		"bedrock": `model: bedrock/us.anthropic.claude-sonnet-4-6
      aws_region_name: us-east-1
      aws_access_key_id: AKIAIOSFODNN7EXAMPLE
      aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
      aws_bedrock_runtime_endpoint: ` + stalled.URL,
	}
	for family, params := range families {
		for _, tt := range []struct {
			name, limits, body, want string
		}{
			{"timeout", "timeout: 0.2", `"stream": false`, "did not answer within 200ms"},
			{"stream_timeout", "stream_timeout: 0.2", `"stream": true`, "within 200ms"},
		} {
			t.Run(family+"/"+tt.name, func(t *testing.T) {
				cfg := `model_list:
  - model_name: m
    litellm_params:
      ` + params + `
      num_retries: 0
      ` + tt.limits + "\n"
				gw := startGateway(t, cfg, map[string]string{"TOLLGATE_DATA_DIR": t.TempDir()})
				resp, body := postChat(t, gw, `{"model": "m", "messages": [{"role": "user", "content": "hi"}], `+tt.body+`}`)
				if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(body, tt.want) {
					t.Fatalf("status %d, body %s: want 504 saying %q", resp.StatusCode, body, tt.want)
				}
			})
		}
	}
}
