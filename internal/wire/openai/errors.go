package openai

import (
	"net/http"
	"strconv"

	"github.com/go-json-experiment/json"
)

// ErrorBody is the "error" object of an OpenAI error response.
type ErrorBody struct {
	Message string
	Type    string
	Param   string
	Code    string
}

// AppendError appends {"error":{...}} to dst. Empty Param and Code encode as
// null, as OpenAI does.
func AppendError(dst []byte, b ErrorBody) []byte {
	var w struct {
		Error ErrorObject `json:"error"`
	}
	w.Error = ErrorObject{Message: b.Message, Type: b.Type, Param: Scalar(b.Param), Code: Scalar(b.Code)}
	return appendJSON(dst, &w)
}

// WriteError writes an OpenAI-style error response.
func WriteError(w http.ResponseWriter, status int, errType, code, param, message string) {
	body := AppendError(make([]byte, 0, 128+len(message)), ErrorBody{Message: message, Type: errType, Param: param, Code: code})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// DecodeErrorBody extracts what it can from an upstream error body. It accepts
// OpenAI's {"error":{...}}, {"error":"text"}, Azure's content-filter errors
// ({"error":{"code":"content_filter","innererror":...}}), and the bare
// {"message":...} / {"detail":...} shapes several compatible servers use. It
// never fails: an unrecognised body yields its text as the message.
func DecodeErrorBody(data []byte) ErrorBody {
	var w ErrorResponse
	if json.Unmarshal(data, &w, errorOptions) != nil {
		return ErrorBody{Message: truncate(string(data), 500)}
	}
	switch w.Error.Kind() {
	case '{':
		var inner ErrorObject
		if json.Unmarshal(w.Error, &inner, errorOptions) == nil {
			return ErrorBody{Message: inner.Message, Type: inner.Type, Param: string(inner.Param), Code: string(inner.Code)}
		}
	case '"':
		var s string
		_ = json.Unmarshal(w.Error, &s, errorOptions)
		return ErrorBody{Message: s, Type: w.Type, Code: string(w.Code)}
	}
	if w.Message != "" {
		return ErrorBody{Message: w.Message, Type: w.Type, Code: string(w.Code)}
	}
	if len(w.Detail) > 0 {
		var s Scalar
		if json.Unmarshal(w.Detail, &s) == nil && s != "" {
			return ErrorBody{Message: string(s)}
		}
		return ErrorBody{Message: truncate(string(w.Detail), 500)}
	}
	return ErrorBody{Message: truncate(string(data), 500)}
}

// errorOptions read error bodies as encoding/json did: member names match
// without regard to case, as some servers capitalise them.
var errorOptions = json.JoinOptions(decodeOptions, json.MatchCaseInsensitiveNames(true))

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
