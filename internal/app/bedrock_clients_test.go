package app

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// TestWildcardBedrockClientsShared: the deployments a Bedrock wildcard entry
// builds for many model ids share one runtime client per region and
// credentials (they built one each, under the router's lock).
func TestWildcardBedrockClientsShared(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	path := filepath.Join(t.TempDir(), "config.yaml")
	entry := func(name, region string) string {
		return `
  - model_name: ` + name + `
    litellm_params:
      model: bedrock/*
      aws_region_name: ` + region + `
      aws_access_key_id: AKIAEXAMPLEEXAMPLE00
      aws_secret_access_key: example-secret
      aws_bedrock_runtime_endpoint: http://127.0.0.1:1`
	}
	yaml := "model_list:" + entry("bedrock/*", "us-west-2") + entry("eu/*", "eu-west-1") + "\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(nil, path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := &builder{cfg: cfg, http: http.DefaultClient, lookup: os.LookupEnv, logger: slog.New(slog.DiscardHandler)}
	r := router.New(b.deployments(ctx), &router.Options{Build: func(tmpl *router.Deployment, id string) (*router.Deployment, error) {
		return b.wildcard(ctx, tmpl, id)
	}})
	for _, name := range []string{"bedrock/anthropic.a", "bedrock/anthropic.b", "bedrock/meta.c", "eu/anthropic.a", "eu/mistral.d"} {
		if _, ds, err := r.Resolve(name); err != nil || len(ds) != 1 || ds[0].Unavailable != nil {
			t.Fatalf("resolve %s: %v %v", name, ds, err)
		}
	}
	if n := len(b.bedrockClients); n != 2 {
		t.Errorf("%d Bedrock clients for two regions, want 2", n)
	}
}
