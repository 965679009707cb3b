package bedrock_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

func TestImages(t *testing.T) {
	titanReply := awsfake.Reply{Body: json.RawMessage(`{"images":["aW1nMQ==","aW1nMg=="],"error":null}`)}
	stabilityReply := awsfake.Reply{Body: json.RawMessage(`{"seeds":[1],"finish_reasons":[null],"images":["c3RhYg=="]}`)}
	tests := []struct {
		name   string
		model  string
		req    llm.ImageRequest
		reply  awsfake.Reply
		bodies []string
		want   []llm.GeneratedImage
	}{
		{
			name: "titan v2", model: "amazon.titan-image-generator-v2:0",
			req:   llm.ImageRequest{Prompt: "a lighthouse", N: ptr(2), Size: "1024x768", Quality: "hd"},
			reply: titanReply,
			bodies: []string{`{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a lighthouse"},
				"imageGenerationConfig":{"numberOfImages":2,"width":1024,"height":768,"quality":"premium"}}`},
			want: []llm.GeneratedImage{{B64JSON: "aW1nMQ=="}, {B64JSON: "aW1nMg=="}},
		},
		{
			name: "titan v1 defaults", model: "amazon.titan-image-generator-v1",
			req:    llm.ImageRequest{Prompt: "a cat"},
			reply:  awsfake.Reply{Body: json.RawMessage(`{"images":["aW1nMQ=="]}`)},
			bodies: []string{`{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a cat"},"imageGenerationConfig":{"numberOfImages":1}}`},
			want:   []llm.GeneratedImage{{B64JSON: "aW1nMQ=="}},
		},
		{
			name: "nova canvas with negative text, seed and url format", model: "amazon.nova-canvas-v1:0",
			req: llm.ImageRequest{Prompt: "a fox", Size: "512x512", ResponseFormat: "url",
				Extra: []llm.Field{{Name: "negative_prompt", Value: json.RawMessage(`"blurry"`)}, {Name: "seed", Value: json.RawMessage(`42`)}}},
			reply: awsfake.Reply{Body: json.RawMessage(`{"images":["aW1nMQ=="]}`)},
			bodies: []string{`{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a fox","negativeText":"blurry"},
				"imageGenerationConfig":{"numberOfImages":1,"width":512,"height":512,"seed":42}}`},
			want: []llm.GeneratedImage{{URL: "data:image/png;base64,aW1nMQ=="}},
		},
		{
			name: "stability refuses an aspect ratio it does not take", model: "stability.stable-image-ultra-v1:1",
			req:    llm.ImageRequest{Prompt: "a robot", N: ptr(2), Size: "1344x768"},
			reply:  stabilityReply,
			bodies: []string{`{"prompt":"a robot","aspect_ratio":"7:4","output_format":"png"}`},
		},
		{
			name: "stability sd3", model: "stability.sd3-5-large-v1:0",
			req:    llm.ImageRequest{Prompt: "a robot", N: ptr(2), Size: "1920x1080"},
			reply:  stabilityReply,
			bodies: []string{`{"prompt":"a robot","aspect_ratio":"16:9","output_format":"png"}`, `{"prompt":"a robot","aspect_ratio":"16:9","output_format":"png"}`},
			want:   []llm.GeneratedImage{{B64JSON: "c3RhYg=="}, {B64JSON: "c3RhYg=="}},
		},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.bedrock.Reset()
			h.bedrock.Script(tt.model, tt.reply)
			a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: tt.model})
			got, err := a.GenerateImage(context.Background(), &tt.req)
			if tt.want == nil {
				// 1344x768 is 7:4, which Stability does not take.
				if !isKind(err, provider.KindBadRequest) || len(h.bedrock.Calls()) != 0 {
					t.Fatalf("error %v, want a bad request before any call", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			calls := h.bedrock.Calls()
			if len(calls) != len(tt.bodies) {
				t.Fatalf("%d calls, want %d", len(calls), len(tt.bodies))
			}
			for i, c := range calls {
				jsonEqual(t, c.Body, []byte(tt.bodies[i]))
			}
			if !reflect.DeepEqual(got.Images, tt.want) || got.Created != 1700000000 {
				t.Errorf("got %+v, want %+v", got.Images, tt.want)
			}
		})
	}
}

func TestImageRefusals(t *testing.T) {
	tests := []struct {
		name  string
		model string
		reply *awsfake.Reply
		req   llm.ImageRequest
		kind  provider.Kind
	}{
		{"style on titan", "amazon.titan-image-generator-v2:0", nil, llm.ImageRequest{Prompt: "x", Style: "vivid"}, provider.KindUnsupported},
		{"too many images", "amazon.nova-canvas-v1:0", nil, llm.ImageRequest{Prompt: "x", N: ptr(6)}, provider.KindBadRequest},
		{"bad size", "amazon.nova-canvas-v1:0", nil, llm.ImageRequest{Prompt: "x", Size: "big"}, provider.KindBadRequest},
		{"empty prompt", "amazon.nova-canvas-v1:0", nil, llm.ImageRequest{}, provider.KindBadRequest},
		{"chat model", claude, nil, llm.ImageRequest{Prompt: "x"}, provider.KindUnsupported},
		{"titan refuses content", "amazon.titan-image-generator-v1",
			&awsfake.Reply{Body: json.RawMessage(`{"images":[],"error":"This request has been blocked by our content filters."}`)},
			llm.ImageRequest{Prompt: "x"}, provider.KindContentPolicy},
		{"stability filters", "stability.stable-image-core-v1:1",
			&awsfake.Reply{Body: json.RawMessage(`{"images":[""],"finish_reasons":["Filter reason: prompt"]}`)},
			llm.ImageRequest{Prompt: "x"}, provider.KindContentPolicy},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.bedrock.Reset()
			if tt.reply != nil {
				h.bedrock.Script(tt.model, *tt.reply)
			}
			a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: tt.model})
			if _, err := a.GenerateImage(context.Background(), &tt.req); !isKind(err, tt.kind) {
				t.Fatalf("error %v, want kind %v", err, tt.kind)
			}
		})
	}
}
