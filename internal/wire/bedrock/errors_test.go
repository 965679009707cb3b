package bedrock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

// errorCases are shared by the ErrorFor table and the SDK test, which checks
// that the official client raises the class each row names.
var errorCases = []struct {
	caseName
	err       error
	status    int
	errorType string
	message   string
	stream    string // the :exception-type mid-stream
}{
	{name("decode error"), &DecodeError{Field: "messages[0].role", Message: "is required"},
		400, "ValidationException", "messages[0].role: is required", "validationException"},
	{name("bad request"), &Exception{Name: ExceptionFor(400), Message: "bad"},
		400, "ValidationException", "bad", "validationException"},
	{name("other 4xx"), fmt.Errorf("calling: %w", &Exception{Name: ExceptionFor(422), Message: "Input is too long for requested model."}),
		400, "ValidationException", "Input is too long for requested model.", "validationException"},
	{name("auth"), &Exception{Name: ExceptionFor(401), Message: "invalid key"},
		403, "AccessDeniedException", "invalid key", "internalServerException"},
	{name("permission"), &Exception{Name: ExceptionFor(403), Message: "no access"},
		403, "AccessDeniedException", "no access", "internalServerException"},
	{name("not found"), &Exception{Name: ExceptionFor(404), Message: "no such model"},
		404, "ResourceNotFoundException", "no such model", "internalServerException"},
	{name("rate limit"), &Exception{Name: ExceptionFor(429), Message: "slow down", RetryAfter: 1500 * time.Millisecond},
		429, "ThrottlingException", "slow down", "throttlingException"},
	{name("timeout"), &Exception{Name: ExceptionFor(504), Message: "too slow"},
		408, "ModelTimeoutException", "too slow", "modelStreamErrorException"},
	{name("request timeout"), &Exception{Name: ExceptionFor(408), Message: "too slow"},
		408, "ModelTimeoutException", "too slow", "modelStreamErrorException"},
	{name("unavailable"), &Exception{Name: ExceptionFor(502), Message: "upstream 502"},
		503, "ServiceUnavailableException", "upstream 502", "serviceUnavailableException"},
	{name("internal"), &Exception{Name: ExceptionFor(500), Message: "odd"},
		500, "InternalServerException", "odd", "internalServerException"},
	{name("not an error status"), &Exception{Name: ExceptionFor(0), Message: "odd"},
		500, "InternalServerException", "odd", "internalServerException"},
	{name("bedrock upstream exception passes through"), &Exception{Name: ExceptionFor(502, "ModelErrorException"), Message: "model failed"},
		424, "ModelErrorException", "model failed", "modelStreamErrorException"},
	{name("bedrock not ready by code"), &Exception{Name: ExceptionFor(429, "", "ModelNotReadyException"), Message: "warming"},
		429, "ModelNotReadyException", "warming", "throttlingException"},
	{name("bedrock quota"), &Exception{Name: ExceptionFor(400, "ServiceQuotaExceededException"), Message: "quota"},
		400, "ServiceQuotaExceededException", "quota", "validationException"},
	{name("OpenAI error type is not an exception name"), &Exception{Name: ExceptionFor(400, "invalid_request_error"), Message: "x"},
		400, "ValidationException", "x", "validationException"},
	{name("an unknown name is internal"), &Exception{Name: "UnknownOperationException", Message: "x"},
		500, "InternalServerException", "x", "internalServerException"},
	{name("body too large"), &http.MaxBytesError{Limit: 1 << 20},
		400, "ValidationException", "request body is larger than 1048576 bytes", "validationException"},
	{name("deadline"), fmt.Errorf("upstream: %w", context.DeadlineExceeded),
		408, "ModelTimeoutException", "the model did not answer in time", "modelStreamErrorException"},
	{name("internal detail is not shown"), errors.New("dial tcp 10.0.0.7:443: secret detail"),
		500, "InternalServerException", "internal server error", "internalServerException"},
}

func TestErrorFor(t *testing.T) {
	for _, tt := range errorCases {
		tt.run(t, func(t *testing.T) {
			status, typ, body := ErrorFor(tt.err)
			want := string(appendString([]byte(`{"message":`), tt.message)) + "}"
			if status != tt.status || typ != tt.errorType || string(body) != want {
				t.Fatalf("ErrorFor = %d %s %s, want %d %s %s", status, typ, body, tt.status, tt.errorType, want)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, &Exception{Name: ExceptionFor(429), Message: "slow down", RetryAfter: 1500 * time.Millisecond})
	want := http.Header{
		"Content-Type":     {"application/json"},
		"X-Amzn-Errortype": {"ThrottlingException"},
		"Retry-After":      {"2"},
	}
	if rec.Code != 429 || !reflect.DeepEqual(rec.Header(), want) || rec.Body.String() != `{"message":"slow down"}` {
		t.Fatalf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

func TestWriteStreamError(t *testing.T) {
	for _, tt := range errorCases {
		tt.run(t, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteStreamError(&buf, tt.err); err != nil {
				t.Fatal(err)
			}
			want := []frame{{"!" + tt.stream, string(appendString([]byte(`{"message":`), tt.message)) + "}"}}
			if got := decodeFrames(t, buf.Bytes()); !reflect.DeepEqual(got, want) {
				t.Fatalf("got %s, want %s", dump(got), dump(want))
			}
		})
	}
}
