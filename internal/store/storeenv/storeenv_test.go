package storeenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	noAWS := func(context.Context) (aws.Config, error) { return aws.Config{}, errors.New("no AWS in this test") }
	cases := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "embedded by default", env: map[string]string{EnvDataDir: filepath.Join(dir, "a")}},
		{name: "embedded by name", env: map[string]string{EnvStore: "embedded", EnvDataDir: filepath.Join(dir, "b")}},
		{name: "unknown store", env: map[string]string{EnvStore: "redis"}, wantErr: `TOLLGATE_STORE="redis"`},
		{name: "dynamodb needs tables", env: map[string]string{EnvStore: "dynamodb", "TOLLGATE_STATE_TABLE": "s"}, wantErr: "is not set"},
		{name: "dynamodb needs AWS config", env: map[string]string{EnvStore: "dynamodb", "TOLLGATE_STATE_TABLE": "s",
			"TOLLGATE_SPEND_TABLE": "p", "TOLLGATE_CACHE_TABLE": "c"}, wantErr: "no AWS in this test"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(context.Background(), func(k string) string { return c.env[k] }, noAWS, nil)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := os.Stat(filepath.Join(c.env[EnvDataDir], embedded.FileName)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
