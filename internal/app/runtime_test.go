package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/configsource"
	"github.com/tollgate-gw/tollgate/internal/lambdafront"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/secrets"
)

const (
	masterARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:tollgate/master-AbCdEf"
	keysARN   = "arn:aws:secretsmanager:us-east-1:111111111111:secret:tollgate/provider-keys-GhIjKl"
	originARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:tollgate/origin-MnOpQr"
	// Secret values carry "5ecret" so a log scan can find any of them.
	secretMaster = "sk-master-5ecret-aaaa"
	secretOpenAI = "sk-openai-5ecret-bbbb"
	secretAzure  = "azure-5ecret-cccc"
	secretOrigin = "origin-5ecret-dddd"
	envMaster    = "sk-master-from-env"
	bucket       = "tollgate-config"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// world is the AWS account the gateway runs in, as loopback fakes the real
// SDK clients reach through AWS_ENDPOINT_URL_*, plus an OpenAI upstream.
type world struct {
	sm    *awsfake.SecretsManager
	s3    *awsfake.S3
	ssm   *awsfake.SSM
	up    *openaitest.Server
	clock *clocktest.Clock
	logs  *syncBuffer
	env   map[string]string
	// upstreamHook, when set, answers chat calls instead of the default.
	upstreamHook http.HandlerFunc
}

func newWorld(t *testing.T) *world {
	t.Helper()
	iam := awsfake.NewIAM(time.Now)
	role := iam.NewSession("arn:aws:iam::111111111111:role/tollgate-gateway", "gateway", time.Hour)
	w := &world{
		sm: awsfake.NewSecretsManager(iam, nil), s3: awsfake.NewS3(iam, nil), ssm: awsfake.NewSSM(iam, nil),
		clock: clocktest.New(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)), logs: &syncBuffer{}, env: map[string]string{},
	}
	for name, h := range map[string]http.Handler{"SECRETS_MANAGER": w.sm, "S3": w.s3, "SSM": w.ssm} {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		t.Setenv("AWS_ENDPOINT_URL_"+name, srv.URL)
	}
	// The ambient identity: the Lambda execution role's session.
	t.Setenv("AWS_ACCESS_KEY_ID", role.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", role.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", role.SessionToken)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	w.up = openaitest.NewServer(t, func(rw http.ResponseWriter, r *http.Request) {
		if w.upstreamHook != nil {
			w.upstreamHook(rw, r)
			return
		}
		openaitest.JSON(200, `{"id":"c0","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)(rw, r)
	})
	return w
}

func (w *world) lookup(k string) (string, bool) { v, ok := w.env[k]; return v, ok }

// start assembles the gateway with the world's clock and serves it.
func (w *world) start(t *testing.T) (*App, string) {
	t.Helper()
	a, err := start(context.Background(), Options{LookupEnv: w.lookup, Logger: slog.New(slog.NewJSONHandler(w.logs, nil))}, w.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() { srv.Close(); _ = a.Close() })
	return a, srv.URL
}

// configFile writes a local config and points TOLLGATE_CONFIG at it.
func (w *world) configFile(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env["TOLLGATE_CONFIG"] = path
	return path
}

// noSecretsLeaked fails when a secret value shows in the logs or the
// process environment.
func (w *world) noSecretsLeaked(t *testing.T) {
	t.Helper()
	logs := w.logs.String()
	if strings.Contains(logs, "5ecret") {
		t.Fatalf("a secret value was logged:\n%s", logs)
	}
	for _, kv := range os.Environ() {
		if strings.Contains(kv, "5ecret") {
			t.Fatalf("a secret value is in the process environment: %s", kv)
		}
	}
}

func call(t *testing.T, url, method, path, key, body string, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func chat(t *testing.T, url, key, model string) (int, string) {
	t.Helper()
	return call(t, url, "POST", "/v1/chat/completions", key, `{"model":"`+model+`","messages":[{"role":"user","content":"hello"}]}`)
}

func models(t *testing.T, url, key string) []string {
	t.Helper()
	status, body := call(t, url, "GET", "/v1/models", key, "")
	if status != 200 {
		t.Fatalf("GET /v1/models: %d %s", status, body)
	}
	var list struct{ Data []struct{ ID string } }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	return ids
}

// concurrently runs f n times at once.
func concurrently(n int, f func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() { <-start; f() })
	}
	close(start)
	wg.Wait()
}

func fakeModels(names ...string) string {
	var b strings.Builder
	b.WriteString("model_list:\n")
	for _, n := range names {
		b.WriteString("  - model_name: " + n + "\n    litellm_params:\n      model: fake/" + n + "\n")
	}
	return b.String()
}

// TestSecretsFetchedOncePerTTL: at cold start each secret is read once;
// 50 concurrent requests cost no call within the TTL and one per secret
// after it.
func TestSecretsFetchedOncePerTTL(t *testing.T) {
	w := newWorld(t)
	w.sm.PutSecretString(masterARN, secretMaster)
	w.sm.PutSecretString(keysARN, `{"OPENAI_API_KEY":"`+secretOpenAI+`"}`)
	w.configFile(t, "model_list:\n  - model_name: gpt-4o\n    litellm_params: {model: openai/gpt-4o, api_base: \""+w.up.URL+"/v1\"}\n")
	w.env["TOLLGATE_MASTER_KEY_SECRET_ARN"] = masterARN
	w.env["TOLLGATE_PROVIDER_KEYS_SECRET_ARN"] = keysARN
	_, url := w.start(t)

	rounds := []struct {
		advance time.Duration
		calls   int // GetSecretValue per secret so far
	}{
		{0, 1},
		{secrets.DefaultTTL - time.Second, 1},
		{time.Second, 2},
		{time.Minute, 2},
		{secrets.DefaultTTL, 3},
	}
	for i, r := range rounds {
		w.clock.Advance(r.advance)
		var mu sync.Mutex
		statuses := map[int]int{}
		concurrently(50, func() {
			status, _ := chat(t, url, secretMaster, "gpt-4o")
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
		if statuses[200] != 50 {
			t.Fatalf("round %d: statuses %v", i, statuses)
		}
		for _, arn := range []string{masterARN, keysARN} {
			if n := w.sm.Count("GetSecretValue", arn); n != r.calls {
				t.Fatalf("round %d: %d GetSecretValue for %s, want %d", i, n, arn, r.calls)
			}
		}
	}
	if w.s3.Count("", 0) != 0 || w.ssm.Count("") != 0 {
		t.Fatal("S3 or SSM called for a local config")
	}
	for _, c := range w.sm.Calls() {
		if !strings.HasPrefix(c.Principal, "arn:aws:sts::111111111111:assumed-role/tollgate-gateway/") {
			t.Fatalf("secret read by %s", c.Principal)
		}
	}
	w.noSecretsLeaked(t)
}

// TestProviderKeysFromSecret: a key in the provider keys secret reaches the
// upstream through os.environ/NAME and through the catalog's default
// variables, wins over the process environment, and the environment still
// answers for names the secret does not hold.
func TestProviderKeysFromSecret(t *testing.T) {
	tests := []struct {
		name   string
		params string // litellm_params after model and api_base
		model  string // provider/model
		secret string
		env    map[string]string
		header string
		want   string
	}{
		{name: "os.environ reference", model: "openai/gpt-4o", params: "api_key: os.environ/OPENAI_API_KEY",
			secret: `{"OPENAI_API_KEY":"` + secretOpenAI + `"}`, header: "Authorization", want: "Bearer " + secretOpenAI},
		{name: "catalog default", model: "openai/gpt-4o",
			secret: `{"OPENAI_API_KEY":"` + secretOpenAI + `"}`, header: "Authorization", want: "Bearer " + secretOpenAI},
		{name: "secret wins over the environment", model: "openai/gpt-4o", params: "api_key: os.environ/OPENAI_API_KEY",
			secret: `{"OPENAI_API_KEY":"` + secretOpenAI + `"}`, env: map[string]string{"OPENAI_API_KEY": "sk-from-env"},
			header: "Authorization", want: "Bearer " + secretOpenAI},
		{name: "environment answers what the secret lacks", model: "openai/gpt-4o",
			secret: `{"AZURE_API_KEY":"` + secretAzure + `","OPENAI_API_KEY":""}`, env: map[string]string{"OPENAI_API_KEY": "sk-from-env"},
			header: "Authorization", want: "Bearer sk-from-env"},
		{name: "azure catalog default", model: "azure/my-deployment", params: "api_version: \"2024-10-21\"",
			secret: `{"AZURE_API_KEY":"` + secretAzure + `"}`, header: "Api-Key", want: secretAzure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.sm.PutSecretString(keysARN, tt.secret)
			base := w.up.URL + "/v1"
			if strings.HasPrefix(tt.model, "azure/") {
				base = w.up.URL
			}
			params := "{model: " + tt.model + ", api_base: \"" + base + "\""
			if tt.params != "" {
				params += ", " + tt.params
			}
			w.configFile(t, "model_list:\n  - model_name: m\n    litellm_params: "+params+"}\n")
			w.env["TOLLGATE_PROVIDER_KEYS_SECRET_ARN"] = keysARN
			w.env["TOLLGATE_MASTER_KEY"] = envMaster
			for k, v := range tt.env {
				w.env[k] = v
			}
			_, url := w.start(t)
			if status, body := chat(t, url, envMaster, "m"); status != 200 {
				t.Fatalf("chat: %d %s", status, body)
			}
			if got := w.up.Last(t).Header.Get(tt.header); got != tt.want {
				t.Fatalf("upstream saw %s %q, want %q", tt.header, got, tt.want)
			}
			if _, ok := os.LookupEnv("OPENAI_API_KEY"); ok && os.Getenv("OPENAI_API_KEY") == secretOpenAI {
				t.Fatal("the secret was exported to the environment")
			}
			w.noSecretsLeaked(t)
		})
	}
}

// TestMasterKeySecret: the Secrets Manager key, plain or JSON, is the one
// that authenticates, over TOLLGATE_MASTER_KEY and general_settings.
func TestMasterKeySecret(t *testing.T) {
	for name, value := range map[string]string{
		"plain": secretMaster + "\n",
		"json":  `{"master_key":"` + secretMaster + `","note":"rotated by ops"}`,
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.sm.PutSecretString(masterARN, value)
			w.configFile(t, fakeModels("alpha")+"general_settings:\n  master_key: sk-from-config\n")
			w.env["TOLLGATE_MASTER_KEY_SECRET_ARN"] = masterARN
			w.env["TOLLGATE_MASTER_KEY"] = envMaster
			_, url := w.start(t)
			for key, want := range map[string]int{secretMaster: 200, envMaster: 401, "sk-from-config": 401, "": 401} {
				if status, body := call(t, url, "GET", "/v1/models", key, ""); status != want {
					t.Errorf("key %q: %d %s", key, status, body)
				}
			}
			w.noSecretsLeaked(t)
		})
	}
}

// TestSecretRotation: rotated secrets are picked up after their TTL
// without a restart; a malformed rotation is logged and the previous
// secrets keep serving.
func TestSecretRotation(t *testing.T) {
	w := newWorld(t)
	w.sm.PutSecretString(masterARN, secretMaster)
	w.sm.PutSecretString(keysARN, `{"OPENAI_API_KEY":"`+secretOpenAI+`"}`)
	w.configFile(t, "model_list:\n  - model_name: gpt-4o\n    litellm_params: {model: openai/gpt-4o, api_base: \""+w.up.URL+"/v1\"}\n")
	w.env["TOLLGATE_MASTER_KEY_SECRET_ARN"] = masterARN
	w.env["TOLLGATE_PROVIDER_KEYS_SECRET_ARN"] = keysARN
	_, url := w.start(t)

	const master2, openai2 = secretMaster + "-2", secretOpenAI + "-2"
	w.sm.PutSecretString(masterARN, master2)
	w.sm.PutSecretString(keysARN, `{"OPENAI_API_KEY":"`+openai2+`"}`)
	if status, _ := chat(t, url, secretMaster, "gpt-4o"); status != 200 {
		t.Fatalf("before the TTL the old key works: %d", status)
	}
	w.clock.Advance(secrets.DefaultTTL)
	if status, _ := chat(t, url, master2, "gpt-4o"); status != 200 {
		t.Fatalf("the rotated master key: %d", status)
	}
	if got := w.up.Last(t).Header.Get("Authorization"); got != "Bearer "+openai2 {
		t.Fatalf("upstream saw %q", got)
	}
	if status, _ := chat(t, url, secretMaster, "gpt-4o"); status != 401 {
		t.Fatalf("the old master key still works: %d", status)
	}

	w.sm.PutSecretString(keysARN, `{"OPENAI_API_KEY": sk-5ecret-not-json}`)
	w.clock.Advance(secrets.DefaultTTL)
	if status, _ := chat(t, url, master2, "gpt-4o"); status != 200 || w.up.Last(t).Header.Get("Authorization") != "Bearer "+openai2 {
		t.Fatalf("after a malformed rotation: %d", status)
	}
	if logs := w.logs.String(); !strings.Contains(logs, "previous one keeps serving") || !strings.Contains(logs, keysARN) {
		t.Fatalf("malformed rotation not logged:\n%s", logs)
	}
	w.noSecretsLeaked(t)
}

// TestMasterKeyRotationWindow: while the secret holds previous_master_key
// (make -C infra rotate-master-key), the old and the new key both work, on
// the data plane and the management API; once the window ends
// (end-master-key-rotation), only the new one does.
func TestMasterKeyRotationWindow(t *testing.T) {
	w := newWorld(t)
	w.sm.PutSecretString(masterARN, secretMaster)
	w.configFile(t, fakeModels("alpha"))
	w.env["TOLLGATE_MASTER_KEY_SECRET_ARN"] = masterARN
	_, url := w.start(t)

	const master2 = secretMaster + "-new"
	w.sm.PutSecretString(masterARN, `{"master_key":"`+master2+`","previous_master_key":"`+secretMaster+`"}`)
	w.clock.Advance(secrets.DefaultTTL)
	for key, want := range map[string]int{secretMaster: 200, master2: 200, secretMaster + "x": 401} {
		for _, path := range []string{"/v1/models", "/key/list"} {
			if status, body := call(t, url, "GET", path, key, ""); status != want {
				t.Errorf("during the window, key %q on %s: %d %s", key, path, status, body)
			}
		}
	}
	w.sm.PutSecretString(masterARN, `{"master_key":"`+master2+`"}`)
	w.clock.Advance(secrets.DefaultTTL)
	for key, want := range map[string]int{secretMaster: 401, master2: 200} {
		if status, body := call(t, url, "GET", "/key/list", key, ""); status != want {
			t.Errorf("after the window, key %q: %d %s", key, status, body)
		}
	}
	w.noSecretsLeaked(t)
}

// TestOriginSecretRotation: with the origin secret in its JSON shape, the
// current and the previous value are both accepted (CloudFront may send
// either while a rotation propagates); nothing else is.
func TestOriginSecretRotation(t *testing.T) {
	w := newWorld(t)
	const next = secretOrigin + "-next"
	w.sm.PutSecretString(originARN, `{"current":"`+next+`","previous":"`+secretOrigin+`"}`)
	w.configFile(t, fakeModels("alpha"))
	w.env["TOLLGATE_MASTER_KEY"] = envMaster
	w.env["TOLLGATE_ORIGIN_HEADER"] = "X-Tollgate-Origin-Secret"
	w.env["TOLLGATE_ORIGIN_SECRET_ARN"] = originARN
	_, url := w.start(t)
	for value, want := range map[string]int{next: 200, secretOrigin: 200, secretOrigin + "x": 403, "": 403} {
		var hs []string
		if value != "" {
			hs = []string{"X-Tollgate-Origin-Secret", value}
		}
		if status, body := call(t, url, "GET", "/v1/models", envMaster, "", hs...); status != want {
			t.Errorf("origin %q: %d %s", value, status, body)
		}
	}
	w.sm.PutSecretString(originARN, `{"current":"`+next+`","previous":""}`)
	w.clock.Advance(secrets.DefaultTTL)
	if status, _ := call(t, url, "GET", "/v1/models", envMaster, "", "X-Tollgate-Origin-Secret", secretOrigin); status != 403 {
		t.Errorf("after the rotation the previous value still works: %d", status)
	}
	w.noSecretsLeaked(t)
}

// reloadStep is one TTL window of a hot-reload scenario.
type reloadStep struct {
	name    string
	advance time.Duration
	upload  string // new config content, "" for none
	models  []string
	reads   int // config reads (GetObject or GetParameter) so far
	n304    int // of which answered 304 (S3)
	errors  int // "was not loaded" log lines so far
}

// runReload uploads, moves the clock, sends five requests in each window
// and checks what they saw and what the config store was asked.
func runReload(t *testing.T, w *world, url string, upload func(string), reads func() (int, int), steps []reloadStep) {
	t.Helper()
	for _, s := range steps {
		if s.upload != "" {
			upload(s.upload)
		}
		w.clock.Advance(s.advance)
		for range 5 {
			if got := models(t, url, envMaster); !slices.Equal(got, s.models) {
				t.Fatalf("%s: models %v, want %v", s.name, got, s.models)
			}
		}
		if n, n304 := reads(); n != s.reads || n304 != s.n304 {
			t.Fatalf("%s: %d reads (%d of them 304), want %d (%d)", s.name, n, n304, s.reads, s.n304)
		}
		if n := strings.Count(w.logs.String(), "the new config was not loaded"); n != s.errors {
			t.Fatalf("%s: %d load errors logged, want %d:\n%s", s.name, n, s.errors, w.logs.String())
		}
	}
}

// brokenConfig has an unknown key on line 4.
const brokenConfig = "model_list:\n  - model_name: alpha\n    litellm_params:\n      modle: fake/alpha\n"

// TestConfigFromS3HotReload: the config is read from S3 once at start and
// checked once per TTL window with If-None-Match (304s in between); a new
// object changes /v1/models without a restart; a broken one is logged with
// s3://...:line and the previous config keeps serving.
func TestConfigFromS3HotReload(t *testing.T) {
	w := newWorld(t)
	w.s3.PutObject(bucket, "config.yaml", []byte(fakeModels("alpha")))
	w.env["TOLLGATE_CONFIG"] = "s3://" + bucket + "/config.yaml"
	w.env["TOLLGATE_MASTER_KEY"] = envMaster
	a, url := w.start(t)
	ttl := configsource.DefaultTTL
	upload := func(s string) { w.s3.PutObject(bucket, "config.yaml", []byte(s)) }
	reads := func() (int, int) {
		return w.s3.Count("GetObject", 0), w.s3.Count("GetObject", http.StatusNotModified)
	}
	runReload(t, w, url, upload, reads, []reloadStep{
		{name: "cold start", models: []string{"alpha"}, reads: 1},
		{name: "upload, within the TTL", advance: ttl / 3, upload: fakeModels("alpha", "beta"), models: []string{"alpha"}, reads: 1},
		{name: "TTL reached", advance: ttl - ttl/3, models: []string{"alpha", "beta"}, reads: 2},
		{name: "unchanged: 304", advance: ttl, models: []string{"alpha", "beta"}, reads: 3, n304: 1},
		{name: "broken upload", advance: ttl, upload: brokenConfig, models: []string{"alpha", "beta"}, reads: 4, n304: 1, errors: 1},
		{name: "broken object not retried", advance: ttl, models: []string{"alpha", "beta"}, reads: 5, n304: 2, errors: 1},
		{name: "fixed", advance: ttl, upload: fakeModels("alpha", "beta", "gamma"), models: []string{"alpha", "beta", "gamma"}, reads: 6, n304: 2, errors: 1},
	})
	logs := w.logs.String()
	if !strings.Contains(logs, "s3://"+bucket+"/config.yaml:4: model_list[0].litellm_params.modle") {
		t.Fatalf("the broken config's problem is not logged with file:line:\n%s", logs)
	}
	if cfg, _ := a.Current(); len(cfg.ModelList) != 3 || cfg.Files[0] != "s3://"+bucket+"/config.yaml" {
		t.Fatalf("Current config %v", cfg.Files)
	}
	for _, c := range w.s3.Calls()[1:] {
		if c.IfNoneMatch == "" {
			t.Fatalf("unconditional re-read %+v", c)
		}
	}
	w.noSecretsLeaked(t)
}

// TestConfigFromSSMHotReload: the same through SSM Parameter Store
// (SecureString, read WithDecryption), with ssm:/name:line in errors.
func TestConfigFromSSMHotReload(t *testing.T) {
	w := newWorld(t)
	const param = "/tollgate/prod/config.yaml"
	w.ssm.PutParameter(param, "SecureString", fakeModels("alpha"))
	w.env["TOLLGATE_CONFIG"] = "ssm:" + param
	w.env["TOLLGATE_MASTER_KEY"] = envMaster
	w.env["TOLLGATE_CONFIG_TTL"] = "1m"
	_, url := w.start(t)
	upload := func(s string) { w.ssm.PutParameter(param, "", s) }
	reads := func() (int, int) { return w.ssm.Count("GetParameter"), 0 }
	runReload(t, w, url, upload, reads, []reloadStep{
		{name: "cold start", models: []string{"alpha"}, reads: 1},
		{name: "within the TTL", advance: 59 * time.Second, upload: fakeModels("beta"), models: []string{"alpha"}, reads: 1},
		{name: "TTL reached", advance: time.Second, models: []string{"beta"}, reads: 2},
		{name: "broken", advance: time.Minute, upload: brokenConfig, models: []string{"beta"}, reads: 3, errors: 1},
		{name: "fixed", advance: time.Minute, upload: fakeModels("gamma"), models: []string{"gamma"}, reads: 4, errors: 1},
	})
	if !strings.Contains(w.logs.String(), "ssm:"+param+":4:") {
		t.Fatalf("no file:line in the logs:\n%s", w.logs.String())
	}
	for _, c := range w.ssm.Calls() {
		if !c.WithDecryption || c.Name != param {
			t.Fatalf("call %+v", c)
		}
	}
}

// TestInFlightFinishesOnOldTree: a stream that started before a reload
// finishes on the tree it started on, which is closed only after it.
func TestInFlightFinishesOnOldTree(t *testing.T) {
	w := newWorld(t)
	chunk := func(s string) string {
		return `{"id":"s","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"` + s + `"},"finish_reason":null}]}`
	}
	release := make(chan struct{})
	w.upstreamHook = func(rw http.ResponseWriter, r *http.Request) {
		openaitest.StartSSE(rw)
		openaitest.WriteEvent(rw, chunk("Hel"))
		<-release
		openaitest.WriteEvent(rw, chunk("lo"))
		openaitest.WriteEvent(rw, "[DONE]")
	}
	cfg := func(names ...string) string {
		s := "model_list:\n"
		for _, n := range names {
			s += "  - model_name: " + n + "\n    litellm_params: {model: openai/gpt-4o, api_base: \"" + w.up.URL + "/v1\", api_key: sk-upstream}\n"
		}
		return s
	}
	w.s3.PutObject(bucket, "config.yaml", []byte(cfg("old")))
	w.env["TOLLGATE_CONFIG"] = "s3://" + bucket + "/config.yaml"
	w.env["TOLLGATE_MASTER_KEY"] = envMaster
	a, err := start(context.Background(), Options{LookupEnv: w.lookup, Logger: slog.New(slog.NewJSONHandler(w.logs, nil))}, w.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		a.Handler.ServeHTTP(rw, r)
		if r.URL.Path == "/v1/chat/completions" {
			served <- struct{}{}
		}
	}))
	t.Cleanup(func() { srv.Close(); _ = a.Close() })
	old := a.rt.current.Load()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"old","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+envMaster)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 4096)
	n, err := resp.Body.Read(buf) // the first chunk: the stream is in flight on the old tree
	if err != nil || !strings.Contains(string(buf[:n]), "Hel") {
		t.Fatalf("first chunk %q %v", buf[:n], err)
	}

	w.s3.PutObject(bucket, "config.yaml", []byte(cfg("new")))
	w.clock.Advance(configsource.DefaultTTL)
	if got := models(t, srv.URL, envMaster); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("after the reload: %v", got)
	}
	if a.rt.current.Load() == old || old.refs.Load() != 1 {
		t.Fatalf("old tree: current %v, refs %d (want the stream's 1)", a.rt.current.Load() == old, old.refs.Load())
	}
	close(release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || !strings.Contains(string(rest), `"lo"`) || !strings.Contains(string(rest), "[DONE]") {
		t.Fatalf("the stream did not finish: %q %v", rest, err)
	}
	<-served
	if old.refs.Load() != 0 || old.acquire() {
		t.Fatalf("the old tree was not closed after its last request: refs %d", old.refs.Load())
	}
	if a.rt.current.Load().refs.Load() != 1 {
		t.Fatalf("new tree refs %d", a.rt.current.Load().refs.Load())
	}
}

// lambdaStatus serves a Lambda event through the gateway's streaming front
// and returns the status from the response prelude.
func lambdaStatus(t *testing.T, h http.Handler, eventFile string, headers map[string]string) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "gateway", eventFile))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	hs := ev["headers"].(map[string]any)
	mv, _ := ev["multiValueHeaders"].(map[string]any)
	for k, v := range headers {
		hs[k] = v
		if mv != nil {
			mv[k] = []any{v}
		}
	}
	raw, _ = json.Marshal(ev)
	out, err := lambdafront.Handler(h)(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	prelude, _, ok := bytes.Cut(b, make([]byte, 8))
	var p struct {
		StatusCode int `json:"statusCode"`
	}
	if !ok || json.Unmarshal(prelude, &p) != nil {
		t.Fatalf("response %q", b)
	}
	return p.StatusCode
}

// TestOriginSecret: with the CloudFront front on, function URL and local
// requests need the origin header with the secret's value (health too);
// REST API events, which CloudFront does not front, do not.
func TestOriginSecret(t *testing.T) {
	w := newWorld(t)
	w.sm.PutSecretString(originARN, secretOrigin)
	w.configFile(t, fakeModels("alpha"))
	w.env["TOLLGATE_MASTER_KEY"] = envMaster
	w.env["TOLLGATE_ORIGIN_HEADER"] = "X-Tollgate-Origin-Secret"
	w.env["TOLLGATE_ORIGIN_SECRET_ARN"] = originARN
	a, url := w.start(t)

	tests := []struct {
		name   string
		event  string // Lambda event file; "" for a plain HTTP request to /v1/models
		header string // origin header value; "" for none
		want   int
	}{
		{name: "function URL without the header", event: "function-url-health-liveliness.json", want: 403},
		{name: "function URL with a wrong value", event: "function-url-health-liveliness.json", header: "origin-guess", want: 403},
		{name: "function URL with the secret", event: "function-url-health-liveliness.json", header: secretOrigin, want: 200},
		{name: "REST API needs no header", event: "rest-health-liveliness.json", want: 200},
		{name: "local without the header", want: 403},
		{name: "local with a wrong value", header: secretOrigin + "x", want: 403},
		{name: "local with the secret", header: secretOrigin, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.event != "" {
				hs := map[string]string{}
				if tt.header != "" {
					hs["x-tollgate-origin-secret"] = tt.header
				}
				if got := lambdaStatus(t, a.Handler, tt.event, hs); got != tt.want {
					t.Fatalf("status %d, want %d", got, tt.want)
				}
				return
			}
			var hs []string
			if tt.header != "" {
				hs = []string{"X-Tollgate-Origin-Secret", tt.header}
			}
			status, body := call(t, url, "GET", "/v1/models", envMaster, "", hs...)
			if status != tt.want || strings.Contains(body, "5ecret") {
				t.Fatalf("status %d, want %d: %s", status, tt.want, body)
			}
		})
	}
	if n := w.sm.Count("GetSecretValue", originARN); n != 1 {
		t.Fatalf("origin secret read %d times within its TTL", n)
	}
	if !strings.Contains(w.logs.String(), "request refused") {
		t.Fatal("refusals are not logged")
	}
	w.noSecretsLeaked(t)
}

// TestLocalFiles: without TOLLGATE_CONFIG_TTL a local config is read once
// and nothing is fetched from AWS; with it, an edit reloads within the TTL.
func TestLocalFiles(t *testing.T) {
	tests := []struct {
		name     string
		ttl      string // TOLLGATE_CONFIG_TTL; "" for unset
		reload   bool
		advance  time.Duration
		reloaded bool
	}{
		{name: "read once by default", advance: time.Hour},
		{name: "off", ttl: "off", advance: time.Hour},
		{name: "TTL set but not reached", ttl: "10s", reload: true, advance: 9 * time.Second},
		{name: "TTL set and reached", ttl: "10", reload: true, advance: 10 * time.Second, reloaded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			path := w.configFile(t, fakeModels("alpha"))
			w.env["TOLLGATE_MASTER_KEY"] = envMaster
			if tt.ttl != "" {
				w.env["TOLLGATE_CONFIG_TTL"] = tt.ttl
			}
			a, url := w.start(t)
			if a.rt.reload != tt.reload || a.rt.secrets != nil {
				t.Fatalf("reload %v, secrets cache %v", a.rt.reload, a.rt.secrets != nil)
			}
			if err := os.WriteFile(path, []byte(fakeModels("alpha", "beta")), 0o600); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(tt.advance)
			want := []string{"alpha"}
			if tt.reloaded {
				want = []string{"alpha", "beta"}
			}
			if got := models(t, url, envMaster); !slices.Equal(got, want) {
				t.Fatalf("models %v, want %v", got, want)
			}
			if w.sm.Count("", "")+w.s3.Count("", 0)+w.ssm.Count("") != 0 {
				t.Fatal("AWS was called for a local config without secrets")
			}
		})
	}
}

// TestStartErrors: misconfigurations fail at cold start with a message that
// says what to fix, names secrets by ARN and shows no secret value.
func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "remote config in a list", env: map[string]string{"TOLLGATE_CONFIG": "s3://b/config.yaml,region.yaml"}, want: "must be the only location"},
		{name: "malformed location", env: map[string]string{"TOLLGATE_CONFIG": "s3:/b/config.yaml"}, want: "want s3://BUCKET/KEY"},
		{name: "missing object", env: map[string]string{"TOLLGATE_CONFIG": "s3://" + bucket + "/nope.yaml"}, want: "s3://" + bucket + "/nope.yaml"},
		{name: "bad TTL", env: map[string]string{"TOLLGATE_CONFIG_TTL": "soon"}, want: "TOLLGATE_CONFIG_TTL"},
		{name: "half an origin setup", env: map[string]string{"TOLLGATE_ORIGIN_HEADER": "X-Tollgate-Origin-Secret"}, want: "set both"},
		{name: "missing master key secret", env: map[string]string{"TOLLGATE_MASTER_KEY_SECRET_ARN": masterARN + "x"}, want: masterARN + "x"},
		{name: "malformed provider keys", env: map[string]string{"TOLLGATE_PROVIDER_KEYS_SECRET_ARN": keysARN}, want: keysARN + ": provider keys must be a JSON object"},
		{name: "missing origin secret", env: map[string]string{"TOLLGATE_ORIGIN_HEADER": "X-O", "TOLLGATE_ORIGIN_SECRET_ARN": originARN}, want: originARN},
		{name: "broken remote config", env: map[string]string{"TOLLGATE_CONFIG": "s3://" + bucket + "/broken.yaml"}, want: "s3://" + bucket + "/broken.yaml:4:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.s3.PutObject(bucket, "broken.yaml", []byte(brokenConfig))
			w.sm.PutSecretString(keysARN, "sk-5ecret-not-json")
			w.configFile(t, fakeModels("alpha"))
			w.env["TOLLGATE_MASTER_KEY"] = envMaster
			for k, v := range tt.env {
				w.env[k] = v
			}
			_, err := start(context.Background(), Options{LookupEnv: w.lookup, Logger: slog.New(slog.NewJSONHandler(w.logs, nil))}, w.clock.Now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "5ecret") {
				t.Fatalf("the error shows a secret: %v", err)
			}
		})
	}
}

func TestConfigTTL(t *testing.T) {
	tests := []struct {
		in  string
		ttl time.Duration
		set bool
		err bool
	}{
		{in: "", ttl: 0},
		{in: "30s", ttl: 30 * time.Second, set: true},
		{in: " 5m ", ttl: 5 * time.Minute, set: true},
		{in: "45", ttl: 45 * time.Second, set: true},
		{in: "off", ttl: -1, set: true},
		{in: "OFF", ttl: -1, set: true},
		{in: "0", ttl: -1, set: true},
		{in: "0s", ttl: -1, set: true},
		{in: "-5s", err: true},
		{in: "-5", err: true},
		{in: "soon", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ttl, set, err := configTTL(strings.TrimSpace(tt.in))
			if (err != nil) != tt.err || ttl != tt.ttl || set != tt.set {
				t.Fatalf("got %v %v %v", ttl, set, err)
			}
		})
	}
}
