package openai

import (
	"net/http"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
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
	e := rawjson.Builder(dst)
	e.OpenObject()
	e.Obj("error")
	e.Str("message", b.Message)
	e.Str("type", b.Type)
	if b.Param != "" {
		e.Str("param", b.Param)
	} else {
		e.Null("param")
	}
	if b.Code != "" {
		e.Str("code", b.Code)
	} else {
		e.Null("code")
	}
	e.CloseObject()
	e.CloseObject()
	return e
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
			return ErrorBody{Message: inner.Message, Type: inner.Type, Param: scalar(inner.Param), Code: scalar(inner.Code)}
		}
	case '"':
		var s string
		_ = json.Unmarshal(w.Error, &s, errorOptions)
		return ErrorBody{Message: s, Type: w.Type, Code: scalar(w.Code)}
	}
	if w.Message != "" {
		return ErrorBody{Message: w.Message, Type: w.Type, Code: scalar(w.Code)}
	}
	if len(w.Detail) > 0 {
		if s := scalar(w.Detail); s != "" {
			return ErrorBody{Message: s}
		}
		return ErrorBody{Message: truncate(string(w.Detail), 500)}
	}
	return ErrorBody{Message: truncate(string(data), 500)}
}

// errorOptions read error bodies as encoding/json did: member names match
// without regard to case, as some servers capitalise them.
var errorOptions = json.JoinOptions(decodeOptions, json.MatchCaseInsensitiveNames(true))

// scalar renders a JSON string or number as text; other values give "".
func scalar(v jsontext.Value) string {
	switch v.Kind() {
	case '"':
		var s string
		_ = json.Unmarshal(v, &s, decodeOptions)
		return s
	case '0':
		return string(v)
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
