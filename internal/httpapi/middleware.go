package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/obs"
)

type middleware struct {
	next   http.Handler
	logger *slog.Logger
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &obs.Record{Start: time.Now(), Method: r.Method}
	rec.RequestID, rec.ClientRequestID = requestID(r)
	sw := &statusWriter{ResponseWriter: w}
	sw.Header().Set("X-Request-Id", rec.RequestID)
	r = r.WithContext(obs.WithRecord(r.Context(), rec))
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			m.logger.ErrorContext(r.Context(), "panic serving request",
				slog.String("request_id", rec.RequestID), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			if !sw.wrote {
				writeError(sw, r, fmt.Errorf("panic: %v", p))
			}
		}
		rec.Route = r.Pattern
		rec.Status = sw.status
		rec.Log(r.Context(), m.logger)
	}()
	m.next.ServeHTTP(sw, r)
}

// requestID honours an incoming X-Request-Id that is safe as ours (so a
// caller can correlate its logs with ours) and otherwise makes a random
// one, returning the client's as orig for the log line. Ours names the
// spend record and the parallel-request lease, so a client's bytes must
// never decide whether those writes succeed: only letters, digits and
// "-_.:" are taken, up to 128 bytes (UUIDs, ULIDs, AWS and trace ids).
func requestID(r *http.Request) (id, orig string) {
	in := r.Header.Get("X-Request-Id")
	if in != "" && len(in) <= 128 && safeID(in) {
		return in, ""
	}
	if len(in) > 256 {
		in = in[:256]
	}
	return newRequestID(), in
}

// newRequestID makes a random request id in LiteLLM's call-id layout.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // UUID v4 layout, as LiteLLM's call ids
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// safeID accepts letters, digits and "-_.:".
func safeID(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// statusWriter records the status for the log line. It unwraps, so
// http.NewResponseController reaches the real writer's Flush.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// authed runs the authenticator before h.
func (d *DataPlane) authed(h http.HandlerFunc) http.HandlerFunc {
	return d.authedWith(writeError, h)
}

// authedWith is authed for routes that answer errors in their own format
// (the Bedrock interface's): fail renders a refused key.
func (d *DataPlane) authedWith(fail func(http.ResponseWriter, *http.Request, error), h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := d.auth.Authenticate(r.Context(), r)
		if err != nil {
			fail(w, r, err)
			return
		}
		obs.RecordFrom(r.Context()).Principal = p.ID
		h(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}
}

// readBody reads a JSON request body within the size limit. The whole body
// is read before anything is sent upstream (see bench/README: streaming the
// request body through lost SSE streams).
func (d *DataPlane) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if err := checkContentType(ct, nil); err != nil {
		return nil, err
	}
	limit := d.maxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	size := r.ContentLength
	if size <= 0 || size > 64<<10 {
		size = 4 << 10
	}
	buf := make([]byte, 0, size+1)
	body := http.MaxBytesReader(w, r.Body, limit)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge(limit)
			}
			if err == io.EOF {
				break
			}
			return nil, &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: "reading request body", Err: err}
		}
	}
	if len(buf) == 0 {
		return nil, &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: "request body is empty: send a JSON object"}
	}
	if err := checkContentType(ct, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func tooLarge(limit int64) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "request_too_large",
		Message: fmt.Sprintf("request body exceeds the %d-byte limit (general_settings.max_request_size_mb)", limit)}
}

// formType is what curl -d sends without a -H 'Content-Type: ...'.
const formType = "application/x-www-form-urlencoded"

// checkContentType refuses a body that is not JSON by its Content-Type ct:
// none or a JSON type passes. curl's default for -d (formType) passes when
// the body parses as JSON, as LiteLLM accepts it, so a first curl without
// the header works; body is nil before it has been read, and the form type
// then passes until it has. Every other type is a 415.
func checkContentType(ct string, body []byte) error {
	if ct == "" {
		return nil
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case mt == "application/json", mt == "text/json", strings.HasSuffix(mt, "+json"):
		return nil
	case mt == formType && (body == nil || json.Valid(body)):
		return nil
	}
	return &Error{Status: http.StatusUnsupportedMediaType, Type: "invalid_request_error", Code: "unsupported_media_type",
		Message: "Content-Type " + ct + " is not supported: send the body as JSON with 'Content-Type: application/json'"}
}
