package lambdafront_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/lambdafront"
)

// FuzzHandler feeds arbitrary event bytes to both fronts: each must answer
// with a response or an error, never a panic, and a response must read to
// the end.
func FuzzHandler(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(eventsDir, "*", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no sample events to seed from: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"rawPath":"","requestContext":{"http":{}}}`))
	f.Add([]byte(`{"httpMethod":"GET","path":"relative"}`))
	f.Add([]byte(`{"resource":"/x"}`))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	})
	stream := lambdafront.Handler(h, lambdafront.WithLogger(discardLogger()))
	buffered := lambdafront.BufferedHandler(h, lambdafront.WithLogger(discardLogger()))
	f.Fuzz(func(t *testing.T, event []byte) {
		if resp, err := stream(context.Background(), event); err == nil {
			if _, err := readAll(t, resp); err != nil {
				t.Errorf("reading a response: %v", err)
			}
		}
		_, _ = buffered(context.Background(), event)
	})
}
