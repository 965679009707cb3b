package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tollgate-gw/tollgate/internal/app"
)

// TestGenAIGatewayConfigsServeEveryModel loads the genai-gateway configs as
// that project's deploy script merges them (base file + region file), with
// an empty environment, and checks that /v1/models lists exactly the model
// names the YAML declares, in order.
func TestGenAIGatewayConfigsServeEveryModel(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "config", "compat", "genai-gateway")
	base := filepath.Join(dir, "default-config-base.yaml")
	for _, region := range []string{"us-east-1", "us-west-2", "eu-west-1"} {
		t.Run(region, func(t *testing.T) {
			files := []string{base, filepath.Join(dir, "default-config-"+region+".yaml")}
			want := modelNames(t, files...)
			dataDir := t.TempDir()
			a, err := app.New(context.Background(), app.Options{
				ConfigPaths: files,
				LookupEnv: func(k string) (string, bool) {
					if k == "TOLLGATE_DATA_DIR" { // not the package directory, shared by every test
						return dataDir, true
					}
					if k == "TOLLGATE_MASTER_KEY" {
						return masterKey, true
					}
					return "", false
				},
				Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.URL+"/v1/models", nil)
			req.Header.Set("Authorization", "Bearer "+masterKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var list struct {
				Data []struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range list.Data {
				got = append(got, m.ID)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("/v1/models lists %d models, the YAML declares %d:\n got  %v\n want %v", len(got), len(want), got, want)
			}
			if len(want) < 100 {
				t.Fatalf("only %d models: the merge lost the region file?", len(want))
			}
		})
	}
}

// modelNames reads the distinct model_name values straight from the YAML,
// independently of the config package.
func modelNames(t *testing.T, files ...string) []string {
	t.Helper()
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			ModelList []struct {
				ModelName string `yaml:"model_name"`
			} `yaml:"model_list"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, m := range doc.ModelList {
			if !slices.Contains(names, m.ModelName) {
				names = append(names, m.ModelName)
			}
		}
	}
	return names
}
