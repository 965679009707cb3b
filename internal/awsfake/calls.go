package awsfake

import (
	"net/http"
	"sync"
	"time"
)

// callLog records the calls a fake answered, in arrival order, for tests to
// inspect. Fakes embed it, which gives them Calls and Reset.
type callLog[C any] struct {
	mu    sync.Mutex
	calls []C
}

func (l *callLog[C]) record(c C) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

// Calls returns a copy of the calls received so far, in arrival order.
func (l *callLog[C]) Calls() []C {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]C(nil), l.calls...)
}

// Reset forgets the recorded calls; what the fake serves stays.
func (l *callLog[C]) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = nil
}

// count returns how many recorded calls match.
func (l *callLog[C]) count(match func(*C) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for i := range l.calls {
		if match(&l.calls[i]) {
			n++
		}
	}
	return n
}

// jsonCall is what every awsJson1_1 fake records of a request whatever its
// operation: the X-Amz-Target operation, the SigV4 signer (empty when the
// fake has no IAM) and the error code answered (empty on success).
type jsonCall struct {
	Operation, AccessKeyID, Principal, Region, ErrorCode string
}

// answerJSON answers one awsJson1_1 request for service: after the fake's
// latency, the signature check and decoding, serve writes the answer. ok is
// false when the client left during the latency (nothing to record).
func answerJSON(w http.ResponseWriter, r *http.Request, latency time.Duration, iam *IAM, service string,
	serve func(http.ResponseWriter, *jsonRequest)) (call jsonCall, ok bool) {
	if !wait(r, latency) {
		return call, false
	}
	rec := &recordingWriter{ResponseWriter: w}
	req, valid := readJSONRequest(rec, r, iam, service)
	if req != nil {
		call.Operation = req.operation
		call.AccessKeyID, call.Principal, call.Region = req.sig.AccessKeyID, req.sig.Principal, req.sig.Region
	}
	if valid {
		serve(rec, req)
	}
	call.ErrorCode = rec.errorCode
	return call, true
}
