package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeploymentHealth: GET /health (LiteLLM's deployment health check)
// calls every deployment once and lists the healthy and the unhealthy,
// with the reason and without secrets; it is for proxy admins only.
func TestDeploymentHealth(t *testing.T) {
	extra := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(extra, []byte("model_list:\n  - model_name: groq-no-key\n    litellm_params: {model: groq/llama-3.1-8b-instant}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startLocalApp(t, storeBackends[0].env(t), Options{ConfigPaths: []string{localConfig, extra}})
	st, body := call(t, a.gw.URL, "GET", "/health", idMaster, "")
	if st != 200 || !strings.Contains(body, `"unhealthy_count":1`) || !strings.Contains(body, `"model_name":"groq-no-key"`) ||
		!strings.Contains(body, "GROQ_API_KEY") || strings.Contains(body, `"healthy_count":0`) {
		t.Errorf("/health: %d %s", st, body)
	}
	st, body = call(t, a.gw.URL, "GET", "/health?model=text-embedding-3-small", idMaster, "")
	if st != 200 || !strings.Contains(body, `"healthy_count":1,"unhealthy_count":0`) {
		t.Errorf("/health?model=: %d %s", st, body)
	}
	st, body = call(t, a.gw.URL, "POST", "/key/generate", idMaster, `{}`)
	if st != 200 {
		t.Fatal(body)
	}
	if st, body := call(t, a.gw.URL, "GET", "/health", between(body, `"key":"`, `"`), ""); st != 403 {
		t.Errorf("/health for a key: %d %s", st, body)
	}
}
