package awsfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// jsonRequest is an awsJson1_1 request as Secrets Manager and SSM receive
// it: POST / with the operation in X-Amz-Target ("Service.Operation") and
// the input as a JSON body.
type jsonRequest struct {
	target    string // the X-Amz-Target prefix, e.g. "secretsmanager"
	operation string
	body      []byte
	sig       signature
}

// readJSONRequest reads and checks an awsJson1_1 request for the service
// whose X-Amz-Target prefix is target, verifying its SigV4 signature against
// iam when iam is set. On failure it has already written the error.
func readJSONRequest(w http.ResponseWriter, r *http.Request, iam *IAM, target string) (*jsonRequest, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", "cannot read body")
		return nil, false
	}
	req := &jsonRequest{target: target, body: body}
	prefix, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	req.operation = op
	if r.Method != http.MethodPost || r.URL.Path != "/" || prefix != target || op == "" {
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", "expected POST / with X-Amz-Target: "+target+".<Operation>")
		return req, false
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", "Content-Type must be application/x-amz-json-1.1, got "+ct)
		return req, false
	}
	if iam != nil {
		sig, aerr := iam.verify(r, body)
		req.sig = sig
		if aerr != nil {
			code := aerr.code
			if code == "MissingAuthenticationToken" {
				code = "MissingAuthenticationTokenException"
			}
			writeJSONError(w, aerr.status, code, aerr.message)
			return req, false
		}
	}
	if !json.Valid(body) {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", "the request body is not valid JSON")
		return req, false
	}
	return req, true
}

// writeJSONError writes an awsJson1_1 error: the code both in
// X-Amzn-ErrorType and in the body's __type, as the services send it.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("X-Amzn-Requestid", "req-error")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeJSON writes an awsJson1_1 result.
func writeJSON(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "req-ok")
	_, _ = w.Write(body)
}
