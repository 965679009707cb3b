// Command gatedstream is the bootstrap lambdafront's end-to-end test runs
// under the fake Runtime API. Its streaming route writes one chunk, then asks
// the test for permission (GET $GATE_URL) before each further chunk, so the
// test can prove a chunk left the function while the handler was still
// running without guessing at timings.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/tollgate-gw/tollgate/internal/lambdafront"
)

func main() {
	gate := os.Getenv("GATE_URL")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 1; i <= 3; i++ {
			if i > 1 {
				if err := wait(r, gate, i); err != nil {
					_, _ = fmt.Fprintf(w, "event: error\ndata: %v\n\n", err)
					return
				}
			}
			_, _ = fmt.Fprintf(w, "data: %d\n\n", i)
		}
	})
	mux.HandleFunc("POST /panic-before", func(w http.ResponseWriter, r *http.Request) {
		panic("before the status")
	})
	mux.HandleFunc("POST /panic-after", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "data: 1\n\n")
		panic("after the status")
	})
	lambdafront.Start(mux)
}

// wait blocks until the test opens the gate for chunk n.
func wait(r *http.Request, gate string, n int) error {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, fmt.Sprintf("%s?chunk=%d", gate, n), nil)
	if err != nil {
		return fmt.Errorf("building gate request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("waiting at the gate: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("gate answered %s", resp.Status)
	}
	return nil
}
