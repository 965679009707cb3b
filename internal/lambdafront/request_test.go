package lambdafront_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/tollgate-gw/tollgate/internal/lambdafront"
)

const (
	urlHost  = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
	restHost = "k2x7qv4n9d.execute-api.us-east-1.amazonaws.com"
	chatBody = `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello in three words."}]}`
	// An application inference profile ARN, which holds a "/", sent
	// percent-encoded the way the AWS SDK sends a model ID.
	profileARN        = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x1y2z3"
	profilePath       = "/bedrock/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fx1y2z3/converse"
	lambdaInvocation  = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	plainChatNoStream = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello in three words."}]}`
)

// TestStreamingRequest feeds sample events to Handler and checks the request
// the http.Handler saw.
func TestStreamingRequest(t *testing.T) {
	tests := []struct {
		name  string
		event []byte
		want  seenRequest
	}{{
		name:  "function URL GET with repeated query and cookies",
		event: readEvent(t, "gateway/function-url-get-models.json"),
		want: seenRequest{
			Method:     http.MethodGet,
			URL:        "https://" + urlHost + "/v1/models?team=ml&team=search&verbose",
			Host:       urlHost,
			RequestURI: "/v1/models?team=ml&team=search&verbose",
			RemoteAddr: "203.0.113.7",
			Cookies:    []string{"session=4f2a9c", "theme=dark"},
			Kind:       lambdafront.KindFunctionURL,
			RequestID:  "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
			Header: http.Header{
				"Authorization":   {"Bearer sk-tollgate-local-0000"},
				"Accept-Language": {"en-GB,en;q=0.9"},
				"Cookie":          {"session=4f2a9c; theme=dark"},
			},
		},
	}, {
		name:  "function URL POST streaming chat",
		event: readEvent(t, "gateway/function-url-chat-stream.json"),
		want: seenRequest{
			Method:        http.MethodPost,
			URL:           "https://" + urlHost + "/v1/chat/completions",
			Host:          urlHost,
			RequestURI:    "/v1/chat/completions",
			RemoteAddr:    "203.0.113.7",
			ContentLength: int64(len(chatBody)),
			Body:          chatBody,
			Kind:          lambdafront.KindFunctionURL,
			RequestID:     "9f3c1f0e-2b7d-4c55-8a0e-1d2f3a4b5c6d",
			Header: http.Header{
				"Content-Type": {"application/json"},
				"Accept":       {"text/event-stream"},
			},
		},
	}, {
		name:  "function URL POST with base64 body",
		event: readEvent(t, "gateway/function-url-chat-base64.json"),
		want: seenRequest{
			Method:        http.MethodPost,
			URL:           "https://" + urlHost + "/v1/chat/completions",
			Host:          urlHost,
			RequestURI:    "/v1/chat/completions",
			RemoteAddr:    "203.0.113.7",
			ContentLength: int64(len(plainChatNoStream)),
			Body:          plainChatNoStream,
			Kind:          lambdafront.KindFunctionURL,
			RequestID:     "0b6a4d2e-7c1f-4e3a-9b8d-5f6e7a8b9c0d",
			Header:        http.Header{"Content-Type": {"application/json"}},
		},
	}, {
		name: "function URL keeps an escaped slash inside one path segment",
		event: editEvent(t, "gateway/function-url-chat-stream.json", func(m map[string]any) {
			m["rawPath"] = profilePath
		}),
		want: seenRequest{
			Method:        http.MethodPost,
			URL:           "https://" + urlHost + profilePath,
			Host:          urlHost,
			RequestURI:    profilePath,
			RemoteAddr:    "203.0.113.7",
			ContentLength: int64(len(chatBody)),
			Body:          chatBody,
			PathValue:     profileARN,
			Kind:          lambdafront.KindFunctionURL,
			RequestID:     "9f3c1f0e-2b7d-4c55-8a0e-1d2f3a4b5c6d",
			Header:        http.Header{},
		},
	}, {
		name:  "REST streaming POST",
		event: readEvent(t, "gateway/rest-chat-stream.json"),
		want: seenRequest{
			Method:        http.MethodPost,
			URL:           "https://" + restHost + "/v1/chat/completions",
			Host:          restHost,
			RequestURI:    "/v1/chat/completions",
			RemoteAddr:    "198.51.100.23",
			ContentLength: int64(len(chatBody)),
			Body:          chatBody,
			Kind:          lambdafront.KindRESTStream,
			RequestID:     "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
			Header: http.Header{
				"Authorization": {"Bearer sk-tollgate-local-0000"},
				"Content-Type":  {"application/json"},
				"Accept":        {"text/event-stream"},
				"Host":          nil, // moved to r.Host, as net/http does
			},
		},
	}, {
		name: "REST streaming POST with base64 body",
		event: editEvent(t, "gateway/rest-chat-stream.json", func(m map[string]any) {
			m["body"] = base64.StdEncoding.EncodeToString([]byte(plainChatNoStream))
			m["isBase64Encoded"] = true
		}),
		want: seenRequest{
			Method:        http.MethodPost,
			URL:           "https://" + restHost + "/v1/chat/completions",
			Host:          restHost,
			RequestURI:    "/v1/chat/completions",
			RemoteAddr:    "198.51.100.23",
			ContentLength: int64(len(plainChatNoStream)),
			Body:          plainChatNoStream,
			Kind:          lambdafront.KindRESTStream,
			RequestID:     "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
			Header:        http.Header{},
		},
	}, {
		name:  "REST GET with repeated query, repeated header and cookies",
		event: readEvent(t, "admin/rest-health-readiness.json"),
		want: seenRequest{
			Method:     http.MethodGet,
			URL:        "https://p8m3r6t1w5.execute-api.us-east-1.amazonaws.com/health/readiness?include=store&include=config&verbose=true",
			Host:       "p8m3r6t1w5.execute-api.us-east-1.amazonaws.com",
			RequestURI: "/health/readiness?include=store&include=config&verbose=true",
			RemoteAddr: "198.51.100.23",
			Cookies:    []string{"session=4f2a9c", "theme=dark"},
			Kind:       lambdafront.KindRESTStream,
			RequestID:  "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b",
			Header: http.Header{
				"Accept-Language": {"en-GB", "en;q=0.8"},
				"X-Forwarded-For": {"203.0.113.9, 198.51.100.23"},
			},
		},
	}, {
		name: "REST with only single-value query and headers",
		event: editEvent(t, "admin/rest-health-readiness.json", func(m map[string]any) {
			m["multiValueHeaders"] = nil
			m["multiValueQueryStringParameters"] = nil
		}),
		want: seenRequest{
			Method:     http.MethodGet,
			URL:        "https://p8m3r6t1w5.execute-api.us-east-1.amazonaws.com/health/readiness?include=config&verbose=true",
			Host:       "p8m3r6t1w5.execute-api.us-east-1.amazonaws.com",
			RequestURI: "/health/readiness?include=config&verbose=true",
			RemoteAddr: "198.51.100.23",
			Cookies:    []string{"session=4f2a9c", "theme=dark"},
			Kind:       lambdafront.KindRESTStream,
			RequestID:  "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b",
			Header:     http.Header{"Accept-Language": {"en;q=0.8"}},
		},
	}, {
		name: "REST keeps an escaped slash inside one path segment",
		event: editEvent(t, "gateway/rest-chat-stream.json", func(m map[string]any) {
			m["path"] = profilePath
		}),
		want: seenRequest{
			Method:        http.MethodPost,
			URL:           "https://" + restHost + profilePath,
			Host:          restHost,
			RequestURI:    profilePath,
			RemoteAddr:    "198.51.100.23",
			ContentLength: int64(len(chatBody)),
			Body:          chatBody,
			PathValue:     profileARN,
			Kind:          lambdafront.KindRESTStream,
			RequestID:     "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
			Header:        http.Header{},
		},
	}, {
		name: "REST with a decoded question mark in the path",
		event: editEvent(t, "gateway/rest-health-liveliness.json", func(m map[string]any) {
			m["path"] = "/health/what?is=this"
		}),
		want: seenRequest{
			Method:     http.MethodGet,
			URL:        "https://" + restHost + "/health/what%3Fis=this",
			Host:       restHost,
			RequestURI: "/health/what%3Fis=this",
			RemoteAddr: "198.51.100.23",
			Kind:       lambdafront.KindRESTStream,
			RequestID:  "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
			Header:     http.Header{},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seenRequest
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: lambdaInvocation})
			resp, err := lambdafront.Handler(recordRequest(&got, tt.want.Header))(ctx, tt.event)
			if err != nil {
				t.Fatalf("Handler: %v", err)
			}
			if _, err := readAll(t, resp); err != nil {
				t.Fatalf("reading response: %v", err)
			}
			tt.want.InvocationID = lambdaInvocation
			for k, v := range tt.want.Header {
				if v == nil {
					delete(tt.want.Header, k)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("handler saw\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestBufferedRequest feeds the admin sample event to BufferedHandler.
func TestBufferedRequest(t *testing.T) {
	var got seenRequest
	want := seenRequest{
		Method:     http.MethodGet,
		URL:        "https://p8m3r6t1w5.execute-api.us-east-1.amazonaws.com/health/readiness?include=store&include=config&verbose=true",
		Host:       "p8m3r6t1w5.execute-api.us-east-1.amazonaws.com",
		RequestURI: "/health/readiness?include=store&include=config&verbose=true",
		RemoteAddr: "198.51.100.23",
		Cookies:    []string{"session=4f2a9c", "theme=dark"},
		Kind:       lambdafront.KindREST,
		RequestID:  "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b",
		Header: http.Header{
			"Accept-Language": {"en-GB", "en;q=0.8"},
			"Authorization":   {"Bearer sk-tollgate-local-0000"},
		},
	}
	event := readEvent(t, "admin/rest-health-readiness.json")
	// api-proxy builds the query from a map, so its order is random; compare
	// the decoded query instead of the string.
	resp, err := lambdafront.BufferedHandler(recordRequest(&got, want.Header))(context.Background(), event)
	if err != nil {
		t.Fatalf("BufferedHandler: %v", err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("status %d, want 204", resp.StatusCode)
	}
	gotQ, wantQ := queryOf(t, got.URL), queryOf(t, want.URL)
	if !reflect.DeepEqual(gotQ, wantQ) {
		t.Errorf("query %v, want %v", gotQ, wantQ)
	}
	got.URL, got.RequestURI = want.URL, want.RequestURI
	if !reflect.DeepEqual(got, want) {
		t.Errorf("handler saw\n%+v\nwant\n%+v", got, want)
	}
}

// TestEventFromContext checks that the raw event reaches the handler unchanged
// through every front, cookie rewriting included.
func TestEventFromContext(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		buffered bool
	}{
		{"function URL", "gateway/function-url-get-models.json", false},
		{"REST streaming", "gateway/rest-chat-stream.json", false},
		{"REST buffered", "admin/rest-health-readiness.json", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event := readEvent(t, tt.file)
			var raw json.RawMessage
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if ev, ok := lambdafront.EventFromContext(r.Context()); ok {
					raw = ev.Raw
				}
			})
			if tt.buffered {
				if _, err := lambdafront.BufferedHandler(h)(context.Background(), event); err != nil {
					t.Fatalf("BufferedHandler: %v", err)
				}
			} else {
				resp, err := lambdafront.Handler(h)(context.Background(), event)
				if err != nil {
					t.Fatalf("Handler: %v", err)
				}
				if _, err := readAll(t, resp); err != nil {
					t.Fatal(err)
				}
			}
			if string(raw) != string(event) {
				t.Errorf("EventFromContext().Raw differs from the event:\n%s", raw)
			}
		})
	}
	if _, ok := lambdafront.EventFromContext(context.Background()); ok {
		t.Error("EventFromContext reports an event on a bare context")
	}
}
