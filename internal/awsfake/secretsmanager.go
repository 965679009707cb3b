package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SecretsManagerOptions configure a fake Secrets Manager. The zero value is
// usable.
type SecretsManagerOptions struct {
	// Latency is the delay before each answer; zero means DefaultLatency,
	// negative means none.
	Latency time.Duration
}

// SecretsManagerCall is one request the fake Secrets Manager received.
type SecretsManagerCall struct {
	// Operation (e.g. GetSecretValue), AccessKeyID, Principal and Region
	// (from the SigV4 signature; empty when the fake has no IAM) and
	// ErrorCode (empty on success).
	jsonCall
	// SecretID is the SecretId as sent: an ARN or a name.
	SecretID     string
	VersionID    string
	VersionStage string
}

// SecretsManager is a fake AWS Secrets Manager speaking awsJson1_1
// (X-Amz-Target: secretsmanager.GetSecretValue). It answers GetSecretValue
// only; secrets are put in place by the test with PutSecretString. It is an
// http.Handler.
type SecretsManager struct {
	callLog[SecretsManagerCall]
	iam     *IAM
	latency time.Duration

	mu      sync.Mutex
	secrets map[string]*fakeSecret // by ARN
	faults  map[string]*Fault      // by ARN: the next GetSecretValue fails with it
}

type fakeSecret struct {
	arn, name string
	versions  []fakeSecretVersion // oldest first; the last is AWSCURRENT
	created   time.Time
}

type fakeSecretVersion struct {
	id     string
	value  string
	binary bool
}

// NewSecretsManager returns a fake Secrets Manager. Requests are verified
// against iam's credentials; a nil iam accepts any signature. opts may be
// nil.
func NewSecretsManager(iam *IAM, opts *SecretsManagerOptions) *SecretsManager {
	var o SecretsManagerOptions
	if opts != nil {
		o = *opts
	}
	if o.Latency == 0 {
		o.Latency = DefaultLatency
	}
	return &SecretsManager{iam: iam, latency: o.Latency, secrets: map[string]*fakeSecret{}, faults: map[string]*Fault{}}
}

// PutSecretString stores value as the new current (AWSCURRENT) version of the
// secret arn, creating the secret if needed, and returns the version id. The
// ARN has the real shape arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX;
// GetSecretValue accepts it or NAME as SecretId.
func (s *SecretsManager) PutSecretString(arn, value string) string {
	return s.put(arn, value, false)
}

// PutSecretBinary is PutSecretString for a SecretBinary value.
func (s *SecretsManager) PutSecretBinary(arn string, value []byte) string {
	return s.put(arn, string(value), true)
}

func (s *SecretsManager) put(arn, value string, binary bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[arn]
	if sec == nil {
		sec = &fakeSecret{arn: arn, name: secretName(arn), created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		s.secrets[arn] = sec
	}
	id := fmt.Sprintf("%08d-0000-4000-8000-%012d", len(sec.versions)+1, len(s.secrets))
	sec.versions = append(sec.versions, fakeSecretVersion{id: id, value: value, binary: binary})
	return id
}

// FailNext makes the next GetSecretValue of arn fail with f (a 5xx
// InternalServiceError when f is nil); later calls succeed again.
func (s *SecretsManager) FailNext(arn string, f *Fault) {
	if f == nil {
		f = &Fault{Status: http.StatusInternalServerError, Code: "InternalServiceError", Message: "An error occurred on the server side."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[arn] = f
}

// secretName takes NAME out of ...:secret:NAME-XXXXXX (the six random
// characters AWS appends); other strings are their own name.
func secretName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":secret:")
	if !ok {
		return arn
	}
	if i := strings.LastIndexByte(rest, '-'); i > 0 && len(rest)-i == 7 {
		return rest[:i]
	}
	return rest
}

// Count returns how many calls of operation arrived for the secret id
// (either may be "" for all).
func (s *SecretsManager) Count(operation, secretID string) int {
	return s.count(func(c *SecretsManagerCall) bool {
		return (operation == "" || c.Operation == operation) && (secretID == "" || c.SecretID == secretID)
	})
}

// ServeHTTP answers one awsJson1_1 request.
func (s *SecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var call SecretsManagerCall
	info, ok := answerJSON(w, r, s.latency, s.iam, "secretsmanager", func(w http.ResponseWriter, req *jsonRequest) { s.serve(w, req, &call) })
	if ok {
		call.jsonCall = info
		s.record(call)
	}
}

func (s *SecretsManager) serve(w http.ResponseWriter, req *jsonRequest, call *SecretsManagerCall) {
	if req.operation != "GetSecretValue" {
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", "the fake answers GetSecretValue only")
		return
	}
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionID    string `json:"VersionId"`
		VersionStage string `json:"VersionStage"`
	}
	if err := json.Unmarshal(req.body, &in); err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", "cannot decode the request")
		return
	}
	call.SecretID, call.VersionID, call.VersionStage = in.SecretID, in.VersionID, in.VersionStage
	if in.SecretID == "" {
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null")
		return
	}
	s.mu.Lock()
	sec := s.lookupLocked(in.SecretID)
	var fault *Fault
	if sec != nil {
		fault = s.faults[sec.arn]
		delete(s.faults, sec.arn)
	}
	s.mu.Unlock()
	if fault != nil {
		status := fault.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		writeJSONError(w, status, fault.Code, fault.Message)
		return
	}
	if sec == nil || len(sec.versions) == 0 {
		writeJSONError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	v := sec.versions[len(sec.versions)-1]
	stages := []string{"AWSCURRENT"}
	switch {
	case in.VersionID != "":
		found := false
		for i, x := range sec.versions {
			if x.id == in.VersionID {
				v, found = x, true
				if i != len(sec.versions)-1 {
					stages = []string{}
				}
			}
		}
		if !found {
			writeJSONError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: "+in.VersionID)
			return
		}
	case in.VersionStage != "" && in.VersionStage != "AWSCURRENT":
		if in.VersionStage != "AWSPREVIOUS" || len(sec.versions) < 2 {
			writeJSONError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: "+in.VersionStage)
			return
		}
		v, stages = sec.versions[len(sec.versions)-2], []string{"AWSPREVIOUS"}
	}
	out := map[string]any{
		"ARN": sec.arn, "Name": sec.name, "VersionId": v.id, "VersionStages": stages,
		"CreatedDate": float64(sec.created.Unix()),
	}
	if v.binary {
		out["SecretBinary"] = []byte(v.value) // base64, as the wire has it
	} else {
		out["SecretString"] = v.value
	}
	writeJSON(w, out)
}

// lookupLocked finds a secret by ARN or by name.
func (s *SecretsManager) lookupLocked(id string) *fakeSecret {
	if sec, ok := s.secrets[id]; ok {
		return sec
	}
	for _, sec := range s.secrets {
		if sec.name == id {
			return sec
		}
	}
	return nil
}

// recordingWriter notes the error code a fake answered with.
type recordingWriter struct {
	http.ResponseWriter
	errorCode string
}

func (w *recordingWriter) WriteHeader(code int) {
	if code >= 300 && w.errorCode == "" {
		w.errorCode = w.Header().Get("X-Amzn-ErrorType")
		if w.errorCode == "" {
			w.errorCode = http.StatusText(code)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}
