package bedrock_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

// TestEmbeddings: per model family, the bodies sent and the vectors read.
func TestEmbeddings(t *testing.T) {
	titan := awsfake.Reply{Body: json.RawMessage(`{"embedding":[0.5,-1],"inputTextTokenCount":3}`)}
	tests := []struct {
		name    string
		model   string
		req     llm.EmbeddingRequest
		replies []awsfake.Reply
		bodies  []string
		want    llm.EmbeddingResponse
	}{
		{
			name: "titan v1", model: "amazon.titan-embed-text-v1",
			req:     llm.EmbeddingRequest{Input: []string{"a", "b"}},
			replies: []awsfake.Reply{titan},
			bodies:  []string{`{"inputText":"a"}`, `{"inputText":"b"}`},
			want: llm.EmbeddingResponse{Model: "amazon.titan-embed-text-v1", Vectors: [][]float32{{0.5, -1}, {0.5, -1}},
				Usage: &llm.Usage{PromptTokens: 6, TotalTokens: 6}},
		},
		{
			name: "titan v2 with dimensions and normalize", model: "amazon.titan-embed-text-v2:0",
			req: llm.EmbeddingRequest{Input: []string{"a"}, Dimensions: ptr(256),
				Extra: []llm.Field{{Name: "normalize", Value: json.RawMessage(`false`)}}},
			replies: []awsfake.Reply{titan},
			bodies:  []string{`{"inputText":"a","dimensions":256,"normalize":false}`},
			want: llm.EmbeddingResponse{Model: "amazon.titan-embed-text-v2:0", Vectors: [][]float32{{0.5, -1}},
				Usage: &llm.Usage{PromptTokens: 3, TotalTokens: 3}},
		},
		{
			name: "cohere v3 default input type", model: "cohere.embed-english-v3",
			req: llm.EmbeddingRequest{Input: []string{"a", "b"}},
			replies: []awsfake.Reply{{Body: json.RawMessage(`{"id":"1","response_type":"embeddings_by_type",
				"embeddings":{"float":[[1,2],[3,4]]},"texts":["a","b"]}`)}},
			bodies: []string{`{"texts":["a","b"],"input_type":"search_document","embedding_types":["float"]}`},
			want: llm.EmbeddingResponse{Model: "cohere.embed-english-v3", Vectors: [][]float32{{1, 2}, {3, 4}},
				Usage: &llm.Usage{}},
		},
		{
			name: "cohere v3 query input type, legacy response shape", model: "cohere.embed-multilingual-v3",
			req:     llm.EmbeddingRequest{Input: []string{"q"}, Extra: []llm.Field{{Name: "input_type", Value: json.RawMessage(`"search_query"`)}}},
			replies: []awsfake.Reply{{Body: json.RawMessage(`{"id":"1","response_type":"embeddings_floats","embeddings":[[9]],"texts":["q"]}`)}},
			bodies:  []string{`{"texts":["q"],"input_type":"search_query","embedding_types":["float"]}`},
			want:    llm.EmbeddingResponse{Model: "cohere.embed-multilingual-v3", Vectors: [][]float32{{9}}, Usage: &llm.Usage{}},
		},
		{
			name: "nova multimodal text", model: "amazon.nova-2-multimodal-embeddings-v1:0",
			req:     llm.EmbeddingRequest{Input: []string{"hello"}, Dimensions: ptr(1024)},
			replies: []awsfake.Reply{{Body: json.RawMessage(`{"embeddings":[{"embeddingType":"TEXT","embedding":[0.25,0.75]}]}`)}},
			bodies: []string{`{"schemaVersion":"nova-multimodal-embed-v1","taskType":"SINGLE_EMBEDDING","singleEmbeddingParams":{
				"embeddingPurpose":"GENERIC_INDEX","embeddingDimension":1024,"text":{"truncationMode":"END","value":"hello"}}}`},
			want: llm.EmbeddingResponse{Model: "amazon.nova-2-multimodal-embeddings-v1:0", Vectors: [][]float32{{0.25, 0.75}}, Usage: &llm.Usage{}},
		},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.bedrock.Reset()
			h.bedrock.Script(tt.model, tt.replies...)
			a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: tt.model})
			got, err := a.Embed(context.Background(), &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			calls := h.bedrock.Calls()
			if len(calls) != len(tt.bodies) {
				t.Fatalf("%d calls, want %d", len(calls), len(tt.bodies))
			}
			for i, c := range calls {
				if c.Operation != "InvokeModel" || c.ModelID != tt.model {
					t.Errorf("call %d: %s on %s", i, c.Operation, c.ModelID)
				}
				jsonEqual(t, c.Body, []byte(tt.bodies[i]))
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

// TestCohereBatches: more than 96 texts go in several calls, in order.
func TestCohereBatches(t *testing.T) {
	h := newHarness(t)
	const model = "cohere.embed-english-v3"
	var replies []awsfake.Reply
	inputs := make([]string, 200)
	for i := range inputs {
		inputs[i] = fmt.Sprint(i)
	}
	for _, batch := range [][2]int{{0, 96}, {96, 192}, {192, 200}} {
		var vecs []string
		for i := batch[0]; i < batch[1]; i++ {
			vecs = append(vecs, fmt.Sprintf("[%d]", i))
		}
		replies = append(replies, awsfake.Reply{Body: json.RawMessage(`{"embeddings":{"float":[` + strings.Join(vecs, ",") + `]}}`)})
	}
	h.bedrock.Script(model, replies...)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: model})
	got, err := a.Embed(context.Background(), &llm.EmbeddingRequest{Input: inputs})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.bedrock.Calls()); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
	for i, v := range got.Vectors {
		if len(v) != 1 || v[0] != float32(i) {
			t.Fatalf("vector %d = %v, out of order", i, v)
		}
	}
}

func TestEmbeddingRefusals(t *testing.T) {
	tests := []struct {
		name  string
		model string
		req   llm.EmbeddingRequest
		kind  provider.Kind
	}{
		{"titan v1 dimensions", "amazon.titan-embed-text-v1", llm.EmbeddingRequest{Input: []string{"a"}, Dimensions: ptr(256)}, provider.KindUnsupported},
		{"titan v2 odd dimensions", "amazon.titan-embed-text-v2:0", llm.EmbeddingRequest{Input: []string{"a"}, Dimensions: ptr(300)}, provider.KindBadRequest},
		{"token arrays", "amazon.titan-embed-text-v2:0", llm.EmbeddingRequest{InputTokens: json.RawMessage(`[[1,2]]`)}, provider.KindUnsupported},
		{"empty input", "amazon.titan-embed-text-v2:0", llm.EmbeddingRequest{}, provider.KindBadRequest},
		{"unknown extra", "cohere.embed-english-v3", llm.EmbeddingRequest{Input: []string{"a"}, Extra: []llm.Field{{Name: "frobnicate", Value: json.RawMessage(`1`)}}}, provider.KindUnsupported},
		{"chat model", claude, llm.EmbeddingRequest{Input: []string{"a"}}, provider.KindUnsupported},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: tt.model})
			if _, err := a.Embed(context.Background(), &tt.req); !isKind(err, tt.kind) {
				t.Fatalf("error %v, want kind %v", err, tt.kind)
			}
			if n := len(h.bedrock.Calls()); n != 0 {
				t.Fatalf("a refused request reached Bedrock")
			}
		})
	}
}
