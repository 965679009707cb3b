package awsfake

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// BedrockOptions configure a fake Bedrock runtime. The zero value is usable.
type BedrockOptions struct {
	// Latency is the delay before each answer; zero means DefaultLatency,
	// negative means none.
	Latency time.Duration
}

// BedrockCall is one request the fake Bedrock runtime received, including
// requests it refused.
type BedrockCall struct {
	// Operation is Converse, ConverseStream, InvokeModel or
	// InvokeModelWithResponseStream.
	Operation string
	// ModelID is the model id from the path, unescaped.
	ModelID string
	// Body is the request body as sent (JSON for every operation here).
	Body []byte
	// Header holds the request headers.
	Header http.Header
	// AccessKeyID, Principal and Region come from the SigV4 signature.
	AccessKeyID string
	Principal   string
	Region      string
	// ErrorCode is the error returned, empty on success.
	ErrorCode string
}

// Fault is a scripted AWS error.
type Fault struct {
	// Status is the HTTP status; zero means 400.
	Status int
	// Code is the exception name, e.g. ThrottlingException.
	Code    string
	Message string
}

// Event is one event-stream message: a ConverseStream event such as
// messageStart with its JSON payload, or an InvokeModelWithResponseStream
// "chunk" (see ChunkEvent).
type Event struct {
	Type    string
	Payload json.RawMessage
}

// ChunkEvent wraps one native model streaming payload as the "chunk" event
// InvokeModelWithResponseStream sends.
func ChunkEvent(payload []byte) Event {
	b, _ := json.Marshal(map[string]string{"bytes": base64.StdEncoding.EncodeToString(payload)})
	return Event{Type: "chunk", Payload: b}
}

// Reply is a scripted answer.
type Reply struct {
	// Fault, when set, is returned as the HTTP error.
	Fault *Fault
	// Body is the Converse or InvokeModel response body.
	Body json.RawMessage
	// ContentType is InvokeModel's response content type; empty means
	// application/json.
	ContentType string
	// Events are the stream events, sent in order.
	Events []Event
	// StreamFault, when set, is sent as an exception message after Events.
	StreamFault *Fault
}

// Bedrock is a fake Amazon Bedrock runtime. It is an http.Handler.
type Bedrock struct {
	callLog[BedrockCall]
	iam     *IAM
	latency time.Duration

	mu      sync.Mutex
	scripts map[string][]Reply
	prompts map[string]Prompt
}

// NewBedrock returns a fake Bedrock runtime over iam. opts may be nil.
func NewBedrock(iam *IAM, opts *BedrockOptions) *Bedrock {
	var o BedrockOptions
	if opts != nil {
		o = *opts
	}
	if o.Latency == 0 {
		o.Latency = DefaultLatency
	}
	return &Bedrock{iam: iam, latency: o.Latency, scripts: map[string][]Reply{}}
}

// Script queues replies for modelID ("" matches any model without its own
// script). Each call takes the next reply; the last one repeats.
func (b *Bedrock) Script(modelID string, replies ...Reply) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scripts[modelID] = append(b.scripts[modelID], replies...)
}

// Reset forgets recorded calls and scripts; prompts stay.
func (b *Bedrock) Reset() {
	b.callLog.Reset()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scripts = map[string][]Reply{}
}

func (b *Bedrock) next(modelID string) (Reply, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := modelID
	q, ok := b.scripts[key]
	if !ok {
		key = ""
		q, ok = b.scripts[key]
	}
	if !ok || len(q) == 0 {
		return Reply{}, false
	}
	r := q[0]
	if len(q) > 1 {
		b.scripts[key] = q[1:]
	}
	return r, true
}

var operations = map[string]string{
	"converse":                    "Converse",
	"converse-stream":             "ConverseStream",
	"invoke":                      "InvokeModel",
	"invoke-with-response-stream": "InvokeModelWithResponseStream",
}

// ServeHTTP answers one restJson1 request.
func (b *Bedrock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !wait(r, b.latency) {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeBedrockError(w, &Fault{Code: "ValidationException", Message: "cannot read body"})
		return
	}
	call := BedrockCall{Body: body, Header: r.Header.Clone()}
	// The SDK percent-encodes the model id as one path segment (ARNs carry
	// ':' and '/'), so split the escaped path, then unescape the id.
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if len(segs) == 3 && segs[0] == "model" {
		call.Operation = operations[segs[2]]
		call.ModelID, _ = url.PathUnescape(segs[1])
	}
	fault := b.authorize(r, body, &call)
	var reply Reply
	if fault == nil {
		if call.Operation == "" {
			fault = &Fault{Status: http.StatusNotFound, Code: "UnknownOperationException", Message: "unknown path " + r.URL.Path}
		} else if !json.Valid(body) {
			fault = &Fault{Code: "ValidationException", Message: "Malformed input request, please reformat your input and try again."}
		} else {
			var ok bool
			if reply, ok = b.promptCall(&call); !ok {
				if reply, ok = b.next(call.ModelID); !ok {
					reply = defaultReply(call.Operation, call.ModelID)
				}
			}
			fault = reply.Fault
		}
	}
	if fault != nil {
		call.ErrorCode = fault.Code
	}
	b.record(call)

	if fault != nil {
		writeBedrockError(w, fault)
		return
	}
	w.Header().Set("X-Amzn-Requestid", "req-"+strings.ToLower(call.Operation))
	switch call.Operation {
	case "Converse":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply.Body)
	case "InvokeModel":
		ct := reply.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(reply.Body)
	default:
		writeEvents(w, reply)
	}
}

func (b *Bedrock) authorize(r *http.Request, body []byte, call *BedrockCall) *Fault {
	sig, aerr := b.iam.verify(r, body)
	call.AccessKeyID, call.Principal, call.Region = sig.AccessKeyID, sig.Principal, sig.Region
	if aerr != nil {
		return &Fault{Status: aerr.status, Code: aerr.code, Message: aerr.message}
	}
	if sig.Service != "bedrock" {
		return &Fault{Status: http.StatusForbidden, Code: "InvalidSignatureException", Message: "Credential should be scoped to correct service: 'bedrock'."}
	}
	return nil
}

func defaultReply(op, modelID string) Reply {
	switch op {
	case "Converse":
		return Reply{Body: json.RawMessage(`{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},` +
			`"stopReason":"end_turn","usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":3}}`)}
	case "ConverseStream":
		return Reply{Events: []Event{
			{Type: "messageStart", Payload: json.RawMessage(`{"role":"assistant"}`)},
			{Type: "contentBlockDelta", Payload: json.RawMessage(`{"contentBlockIndex":0,"delta":{"text":"ok"}}`)},
			{Type: "contentBlockStop", Payload: json.RawMessage(`{"contentBlockIndex":0}`)},
			{Type: "messageStop", Payload: json.RawMessage(`{"stopReason":"end_turn"}`)},
			{Type: "metadata", Payload: json.RawMessage(`{"usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":3}}`)},
		}}
	}
	return Reply{Fault: &Fault{Code: "ValidationException", Message: "awsfake: no reply scripted for " + op + " on " + modelID}}
}

func writeBedrockError(w http.ResponseWriter, f *Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", f.Code+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": f.Message})
	_, _ = w.Write(b)
}

func writeEvents(w http.ResponseWriter, reply Reply) {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := eventstream.NewEncoder()
	for _, ev := range reply.Events {
		var msg eventstream.Message
		msg.Headers.Set(":event-type", eventstream.StringValue(ev.Type))
		msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		msg.Headers.Set(":message-type", eventstream.StringValue("event"))
		msg.Payload = ev.Payload
		if err := enc.Encode(w, msg); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	if f := reply.StreamFault; f != nil {
		// Exceptions in a stream are named by their union member, which is
		// the exception name with a lower-case first letter.
		name := "internalServerException"
		if f.Code != "" {
			name = strings.ToLower(f.Code[:1]) + f.Code[1:]
		}
		var msg eventstream.Message
		msg.Headers.Set(":exception-type", eventstream.StringValue(name))
		msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		msg.Headers.Set(":message-type", eventstream.StringValue("exception"))
		msg.Payload, _ = json.Marshal(map[string]string{"message": f.Message})
		_ = enc.Encode(w, msg)
	}
}
