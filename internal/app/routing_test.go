package app

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

const (
	routeMaster  = "sk-routing-test-master"
	routeGateway = "arn:aws:iam::111111111111:user/tollgate"
	routeRoleFin = "arn:aws:iam::222222222222:role/TollgateBedrockAccess"
	routeRoleEng = "arn:aws:iam::333333333333:role/TollgateBedrockAccess"
)

// startGateway starts an app on cfg with env over the process environment.
func startGateway(t *testing.T, cfg string, env map[string]string) *httptest.Server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	a, err := New(context.Background(), Options{
		ConfigPaths: []string{path},
		LookupEnv: func(k string) (string, bool) {
			if k == "TOLLGATE_MASTER_KEY" {
				return routeMaster, true
			}
			if v, ok := env[k]; ok {
				return v, true
			}
			if k == "TOLLGATE_DATA_DIR" { // not the package directory, shared by every test
				return dataDir, true
			}
			return os.LookupEnv(k)
		},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(a.Handler)
	t.Cleanup(func() { gw.Close(); a.Close() })
	return gw
}

func postChat(t *testing.T, gw *httptest.Server, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", gw.URL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+routeMaster)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestTagRoutingByDepartment is the seeds' per-department setup behind one
// model name: enable_tag_filtering sends each department's requests (tags
// in the body or in metadata) to its own deployment, signed by its own
// AWS role; untagged requests go to the default deployment.
func TestTagRoutingByDepartment(t *testing.T) {
	iam := awsfake.NewIAM(time.Now)
	user := iam.AddUser(routeGateway)
	iam.AddRole(awsfake.Role{ARN: routeRoleFin, Trust: []awsfake.Trust{{Principal: routeGateway}}})
	iam.AddRole(awsfake.Role{ARN: routeRoleEng, Trust: []awsfake.Trust{{Principal: routeGateway}}})
	sts, br := awsfake.NewSTS(iam, nil), awsfake.NewBedrock(iam, nil)
	stsSrv, brSrv := httptest.NewServer(sts), httptest.NewServer(br)
	t.Cleanup(func() { stsSrv.Close(); brSrv.Close() })
	t.Setenv("AWS_ACCESS_KEY_ID", user.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", user.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dep := func(id, role, tags string) string {
		return `
  - model_name: claude
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-4-6
      aws_region_name: us-west-2
      aws_role_name: ` + role + `
      aws_sts_endpoint: ` + stsSrv.URL + `
      aws_bedrock_runtime_endpoint: ` + brSrv.URL + `
      tags: ` + tags + `
    model_info:
      id: ` + id
	}
	cfg := "model_list:" + dep("finance", routeRoleFin, "[finance]") + dep("engineering", routeRoleEng, "[engineering, default]") +
		"\nrouter_settings:\n  enable_tag_filtering: true\n"
	gw := startGateway(t, cfg, map[string]string{"TOLLGATE_DATA_DIR": t.TempDir()})

	tests := []struct {
		body    string
		dep     string
		account string
	}{
		{`{"model":"claude","tags":["finance"],"messages":[{"role":"user","content":"q1"}]}`, "finance", "222222222222"},
		{`{"model":"claude","metadata":{"tags":["engineering"]},"messages":[{"role":"user","content":"q2"}]}`, "engineering", "333333333333"},
		{`{"model":"claude","messages":[{"role":"user","content":"q3"}]}`, "engineering", "333333333333"},
		{`{"model":"claude","tags":["finance"],"stream":true,"messages":[{"role":"user","content":"q4"}]}`, "finance", "222222222222"},
	}
	for i, tt := range tests {
		resp, body := postChat(t, gw, tt.body)
		if resp.StatusCode != 200 || resp.Header.Get("X-Litellm-Model-Id") != tt.dep {
			t.Fatalf("request %d: %d served by %q: %s", i, resp.StatusCode, resp.Header.Get("X-Litellm-Model-Id"), body)
		}
		calls := br.Calls()
		if len(calls) != i+1 {
			t.Fatalf("request %d: %d bedrock calls", i, len(calls))
		}
		if p := calls[i].Principal; !strings.HasPrefix(p, "arn:aws:sts::"+tt.account+":assumed-role/") {
			t.Fatalf("request %d signed by %s, want account %s", i, p, tt.account)
		}
	}
}

// TestCooldownSeenBySecondInstance: a deployment answering 429 on one
// gateway instance cools down in the shared store, and a second instance
// (its own process state, the same store) skips it without calling it.
func TestCooldownSeenBySecondInstance(t *testing.T) {
	// The embedded store is locked by the one process that opens it, so
	// two instances share only DynamoDB; the router's tests share one
	// embedded store between two routers (TestCooldownSharedThroughStore).
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		if strings.HasSuffix(t.Name(), "/embedded") {
			t.Skip("the embedded store serves one process")
		}
		var hits atomic.Int64
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"message":"slow down","type":"rate_limit_error"}}`)
		}))
		t.Cleanup(up.Close)
		cfg := `
model_list:
  - model_name: g
    litellm_params: {model: openai/gpt-4o-mini, api_base: ` + up.URL + `, api_key: sk-up, order: 1}
    model_info: {id: throttled}
  - model_name: g
    litellm_params: {model: openai/gpt-4o-mini, mock_response: "from b", order: 2}
    model_info: {id: healthy}
router_settings:
  num_retries: 1
  cooldown_time: 60
`
		env := newStoreEnv(t)
		one := startGateway(t, cfg, env)
		resp, body := postChat(t, one, `{"model":"g","messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 200 || resp.Header.Get("X-Litellm-Model-Id") != "healthy" || hits.Load() != 1 {
			t.Fatalf("instance one: %d by %q after %d upstream calls: %s", resp.StatusCode, resp.Header.Get("X-Litellm-Model-Id"), hits.Load(), body)
		}
		two := startGateway(t, cfg, env)
		for range 3 {
			resp, body = postChat(t, two, `{"model":"g","messages":[{"role":"user","content":"hi"}]}`)
			if resp.StatusCode != 200 || resp.Header.Get("X-Litellm-Model-Id") != "healthy" {
				t.Fatalf("instance two: %d by %q: %s", resp.StatusCode, resp.Header.Get("X-Litellm-Model-Id"), body)
			}
		}
		if n := hits.Load(); n != 1 {
			t.Fatalf("the cooling deployment was called %d times in all, want 1", n)
		}
	})
}

// TestResponseCacheFromConfig: litellm_settings.cache with a Redis
// cache_params (as existing configs have it) is served by the store's
// cache: the second identical request is a hit, for both stores.
func TestResponseCacheFromConfig(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		cfg := `
model_list:
  - model_name: g
    litellm_params: {model: openai/gpt-4o-mini, mock_response: "cached?"}
litellm_settings:
  cache: true
  cache_params: {type: redis, host: redis.internal, port: 6379, ttl: 600}
`
		gw := startGateway(t, cfg, newStoreEnv(t))
		body := `{"model":"g","messages":[{"role":"user","content":"hi"}]}`
		first, _ := postChat(t, gw, body)
		second, text := postChat(t, gw, body)
		if first.StatusCode != 200 || first.Header.Get("X-Litellm-Cache-Hit") != "" {
			t.Fatalf("first: %d hit=%q", first.StatusCode, first.Header.Get("X-Litellm-Cache-Hit"))
		}
		if second.StatusCode != 200 || second.Header.Get("X-Litellm-Cache-Hit") != "True" || !strings.Contains(text, "cached?") {
			t.Fatalf("second: %d hit=%q %s", second.StatusCode, second.Header.Get("X-Litellm-Cache-Hit"), text)
		}
	})
}

// TestWildcardDeployment: a "fake/*" entry serves any fake model, built on
// demand with the entry's parameters.
func TestWildcardDeployment(t *testing.T) {
	cfg := `
model_list:
  - model_name: "fake/*"
    litellm_params: {model: "fake/*"}
`
	gw := startGateway(t, cfg, map[string]string{"TOLLGATE_DATA_DIR": t.TempDir()})
	resp, body := postChat(t, gw, `{"model":"fake/echo","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("X-Tollgate-Deployment") != "fake/echo" {
		t.Fatalf("%d %q %s", resp.StatusCode, resp.Header.Get("X-Tollgate-Deployment"), body)
	}
}

// TestDeploymentNumRetriesFromConfig: litellm_params num_retries and
// max_retries bound the retries after that deployment fails, in place of
// router_settings.num_retries.
func TestDeploymentNumRetriesFromConfig(t *testing.T) {
	var calls atomic.Int64
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if calls.Add(1)%2 == 1 { // every other call fails
			http.Error(w, `{"error":{"message":"overloaded","type":"server_error"}}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	}))
	t.Cleanup(flaky.Close)
	for _, c := range []struct {
		param  string
		status int
	}{
		{"", 200},               // router_settings.num_retries 1: the retry succeeds
		{"num_retries: 0", 503}, // no retry for this deployment
		{"max_retries: 0", 503}, // the same, under the OpenAI client's name
		{"num_retries: 1", 200}, // explicit
	} {
		t.Run(cmp.Or(c.param, "router's num_retries"), func(t *testing.T) {
			calls.Store(0)
			gw := startGateway(t, `model_list:
  - model_name: m
    litellm_params:
      model: openai/m
      api_base: `+flaky.URL+`/v1
      api_key: sk-x
      `+c.param+`
router_settings:
  num_retries: 1
  retry_after: 0
`, nil)
			resp, body := postChat(t, gw, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
		})
	}
}
