package lambdafront_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/lambdafront"
)

// eventsDir holds the sample events shipped for sam local invoke; the tests
// feed the same files to the adapters.
const eventsDir = "../../events"

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatalf("reading sample event: %v", err)
	}
	return b
}

// editEvent decodes a sample event into a generic map, lets edit change it
// and encodes it again, for cases that vary one member of a real event.
func editEvent(t *testing.T, name string, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readEvent(t, name), &m); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("encoding %s: %v", name, err)
	}
	return b
}

// seenRequest is what a recording handler saw of its request.
type seenRequest struct {
	Method        string
	URL           string
	Host          string
	RequestURI    string
	RemoteAddr    string
	ContentLength int64
	Body          string
	Cookies       []string
	PathValue     string
	Kind          lambdafront.Kind
	RequestID     string
	InvocationID  string
	Header        http.Header // only the names listed in the case's want
}

// recordRequest returns a handler that records its request into got, keeping
// only the headers named in keep, and answers 204.
func recordRequest(got *seenRequest, keep http.Header) http.Handler {
	mux := http.NewServeMux()
	h := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		*got = seenRequest{
			Method:        r.Method,
			URL:           r.URL.String(),
			Host:          r.Host,
			RequestURI:    r.RequestURI,
			RemoteAddr:    r.RemoteAddr,
			ContentLength: r.ContentLength,
			Body:          string(body),
			PathValue:     r.PathValue("id"),
			Header:        http.Header{},
		}
		for _, c := range r.Cookies() {
			got.Cookies = append(got.Cookies, c.Name+"="+c.Value)
		}
		for k := range keep {
			if v, ok := r.Header[k]; ok {
				got.Header[k] = v
			}
		}
		if ev, ok := lambdafront.EventFromContext(r.Context()); ok {
			got.Kind, got.RequestID, got.InvocationID = ev.Kind, ev.RequestID, ev.InvocationID
		}
		w.WriteHeader(http.StatusNoContent)
	}
	mux.HandleFunc("/", h)
	mux.HandleFunc("/bedrock/model/{id}/converse", h)
	return mux
}

// prelude is the byte string a streaming response starts with: the JSON
// metadata and the eight NUL bytes that end it.
func prelude(metaJSON string) string {
	return metaJSON + "\x00\x00\x00\x00\x00\x00\x00\x00"
}

// jsonEqual reports whether two JSON documents hold the same value, and a
// description of the first difference when they do not.
func jsonEqual(a, b []byte) (bool, string) {
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		return false, fmt.Sprintf("first document: %v", err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		return false, fmt.Sprintf("second document: %v", err)
	}
	if reflect.DeepEqual(va, vb) {
		return true, ""
	}
	return false, firstDiff("$", va, vb)
}

func firstDiff(path string, a, b any) string {
	ma, oka := a.(map[string]any)
	mb, okb := b.(map[string]any)
	if oka && okb {
		keys := map[string]bool{}
		for k := range ma {
			keys[k] = true
		}
		for k := range mb {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			va, ina := ma[k]
			vb, inb := mb[k]
			switch {
			case !ina:
				return fmt.Sprintf("%s.%s: missing in first", path, k)
			case !inb:
				return fmt.Sprintf("%s.%s: missing in second", path, k)
			case !reflect.DeepEqual(va, vb):
				return firstDiff(path+"."+k, va, vb)
			}
		}
	}
	sa, oka := a.([]any)
	sb, okb := b.([]any)
	if oka && okb && len(sa) == len(sb) {
		for i := range sa {
			if !reflect.DeepEqual(sa[i], sb[i]) {
				return firstDiff(fmt.Sprintf("%s[%d]", path, i), sa[i], sb[i])
			}
		}
	}
	return fmt.Sprintf("%s: %v != %v", path, a, b)
}

// readAll drains a streaming response and closes it as the Lambda runtime
// does.
func readAll(t *testing.T, r io.Reader) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	_, err := io.Copy(&buf, r)
	if c, ok := r.(io.Closer); ok {
		if cerr := c.Close(); cerr != nil {
			t.Errorf("closing response: %v", cerr)
		}
	}
	return buf.String(), err
}

// contentTyper is what the Lambda runtime asks a response for.
type contentTyper interface{ ContentType() string }

func quoteNUL(s string) string { return strings.ReplaceAll(s, "\x00", `\0`) }

func queryOf(t *testing.T, rawURL string) url.Values {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parsing %q: %v", rawURL, err)
	}
	return u.Query()
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
