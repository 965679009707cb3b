package bedrock

import (
	"context"
	"encoding/json"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

// cohereBatch is the most texts Cohere embed takes in one call.
const cohereBatch = 96

// Embed embeds the request's inputs with the deployment's embedding model.
func (a *Adapter) Embed(ctx context.Context, req *llm.EmbeddingRequest) (*llm.EmbeddingResponse, error) {
	if len(req.InputTokens) > 0 {
		return nil, unsupportedContent("input", "bedrock embedding models take strings, not token id arrays")
	}
	if len(req.Input) == 0 {
		return nil, badRequest("input", "input is empty")
	}
	p := params{drop: a.dropParams(req.Gateway)}
	extra := map[string]json.RawMessage{}
	for _, f := range req.Extra {
		extra[f.Name] = f.Value
	}
	var (
		resp *llm.EmbeddingResponse
		err  error
	)
	switch fam := a.family; {
	case isFamily(fam, "amazon.titan-embed-text-v2"):
		resp, err = a.embedTitan(ctx, req, extra, p, true)
	case isFamily(fam, "amazon.titan-embed-text-v1", "amazon.titan-embed-g1-text"):
		resp, err = a.embedTitan(ctx, req, extra, p, false)
	case isFamily(fam, "amazon.titan-embed-image-v1"):
		resp, err = a.embedTitanMultimodal(ctx, req, extra, p)
	case isFamily(fam, "cohere.embed-"):
		resp, err = a.embedCohere(ctx, req, extra, p)
	case isFamily(fam, "amazon.nova-2-multimodal-embeddings", "amazon.nova-multimodal-embeddings"):
		resp, err = a.embedNova(ctx, req, extra, p)
	default:
		return nil, unsupportedContent("model", "bedrock embeddings support Titan text v1/v2, Titan multimodal, "+
			"Cohere embed and Nova multimodal embeddings; %q is none of these (set base_model for an ARN)", a.opts.ModelID)
	}
	if err != nil {
		return nil, err
	}
	resp.Model = a.opts.ModelID
	return resp, nil
}

// takeExtra removes the known fields from extra and refuses the rest.
func takeExtra(extra map[string]json.RawMessage, p params, known ...string) (map[string]json.RawMessage, error) {
	got := map[string]json.RawMessage{}
	for _, k := range known {
		if v, ok := extra[k]; ok {
			got[k] = v
			delete(extra, k)
		}
	}
	for k := range extra {
		if err := p.unsupported(k); err != nil {
			return nil, err
		}
	}
	return got, nil
}

type titanEmbedRequest struct {
	InputText      string          `json:"inputText"`
	Dimensions     *int            `json:"dimensions,omitempty"`
	Normalize      *bool           `json:"normalize,omitempty"`
	EmbeddingTypes json.RawMessage `json:"embeddingTypes,omitempty"`
}

type titanEmbedResponse struct {
	Embedding           []float32 `json:"embedding"`
	InputTextTokenCount int       `json:"inputTextTokenCount"`
}

// embedTitan makes one InvokeModel call per input: Titan text embeds one
// text per call.
func (a *Adapter) embedTitan(ctx context.Context, req *llm.EmbeddingRequest, extra map[string]json.RawMessage,
	p params, v2 bool) (*llm.EmbeddingResponse, error) {
	var known []string
	if v2 {
		known = []string{"normalize"}
	}
	got, err := takeExtra(extra, p, known...)
	if err != nil {
		return nil, err
	}
	tmpl := titanEmbedRequest{}
	if req.Dimensions != nil {
		if !v2 {
			if err := p.unsupported("dimensions"); err != nil {
				return nil, err
			}
		} else {
			switch *req.Dimensions {
			case 256, 512, 1024:
				tmpl.Dimensions = req.Dimensions
			default:
				return nil, badRequest("dimensions", "Titan text embeddings v2 supports dimensions 256, 512 or 1024, not %d", *req.Dimensions)
			}
		}
	}
	if raw, ok := got["normalize"]; ok {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, badRequest("normalize", "normalize must be true or false")
		}
		tmpl.Normalize = &b
	}
	out := &llm.EmbeddingResponse{Usage: &llm.Usage{}}
	for _, text := range req.Input {
		body := tmpl
		body.InputText = text
		res, err := a.invoke(ctx, body, nil, upstream.MaxEmbeddingBytes)
		if err != nil {
			return nil, err
		}
		var r titanEmbedResponse
		if err := decodeBody("Titan embeddings", res.body, &r); err != nil {
			return nil, err
		}
		out.Vectors = append(out.Vectors, r.Embedding)
		out.Usage.PromptTokens += r.InputTextTokenCount
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	return out, nil
}

// embedTitanMultimodal embeds text with Titan multimodal embeddings.
func (a *Adapter) embedTitanMultimodal(ctx context.Context, req *llm.EmbeddingRequest,
	extra map[string]json.RawMessage, p params) (*llm.EmbeddingResponse, error) {
	if _, err := takeExtra(extra, p); err != nil {
		return nil, err
	}
	type config struct {
		OutputEmbeddingLength int `json:"outputEmbeddingLength"`
	}
	type request struct {
		InputText       string  `json:"inputText"`
		EmbeddingConfig *config `json:"embeddingConfig,omitempty"`
	}
	var cfg *config
	if req.Dimensions != nil {
		switch *req.Dimensions {
		case 256, 384, 1024:
			cfg = &config{OutputEmbeddingLength: *req.Dimensions}
		default:
			return nil, badRequest("dimensions", "Titan multimodal embeddings supports dimensions 256, 384 or 1024, not %d", *req.Dimensions)
		}
	}
	out := &llm.EmbeddingResponse{Usage: &llm.Usage{}}
	for _, text := range req.Input {
		res, err := a.invoke(ctx, request{InputText: text, EmbeddingConfig: cfg}, nil, upstream.MaxEmbeddingBytes)
		if err != nil {
			return nil, err
		}
		var r titanEmbedResponse
		if err := decodeBody("Titan multimodal embeddings", res.body, &r); err != nil {
			return nil, err
		}
		out.Vectors = append(out.Vectors, r.Embedding)
		out.Usage.PromptTokens += r.InputTextTokenCount
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	return out, nil
}

type cohereEmbedRequest struct {
	Texts           []string `json:"texts"`
	InputType       string   `json:"input_type"`
	Truncate        string   `json:"truncate,omitempty"`
	EmbeddingTypes  []string `json:"embedding_types,omitempty"`
	OutputDimension *int     `json:"output_dimension,omitempty"`
}

// embedCohere embeds in batches of cohereBatch texts per call.
func (a *Adapter) embedCohere(ctx context.Context, req *llm.EmbeddingRequest, extra map[string]json.RawMessage,
	p params) (*llm.EmbeddingResponse, error) {
	got, err := takeExtra(extra, p, "input_type", "truncate")
	if err != nil {
		return nil, err
	}
	tmpl := cohereEmbedRequest{InputType: "search_document", EmbeddingTypes: []string{"float"}}
	for k, dst := range map[string]*string{"input_type": &tmpl.InputType, "truncate": &tmpl.Truncate} {
		if raw, ok := got[k]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return nil, badRequest(k, "%s must be a string", k)
			}
		}
	}
	if req.Dimensions != nil {
		if !isFamily(a.family, "cohere.embed-v4") {
			if err := p.unsupported("dimensions"); err != nil {
				return nil, err
			}
		} else {
			tmpl.OutputDimension = req.Dimensions
		}
	}
	out := &llm.EmbeddingResponse{Usage: &llm.Usage{}}
	for start := 0; start < len(req.Input); start += cohereBatch {
		end := min(start+cohereBatch, len(req.Input))
		body := tmpl
		body.Texts = req.Input[start:end]
		res, err := a.invoke(ctx, body, nil, upstream.MaxEmbeddingBytes)
		if err != nil {
			return nil, err
		}
		vecs, err := cohereVectors(res.body)
		if err != nil {
			return nil, err
		}
		if len(vecs) != end-start {
			return nil, upstreamError("Cohere embeddings returned %d vectors for %d texts", len(vecs), end-start)
		}
		out.Vectors = append(out.Vectors, vecs...)
		if res.inputTokens > 0 {
			out.Usage.PromptTokens += res.inputTokens
		}
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	return out, nil
}

// cohereVectors reads either response shape: "embeddings" as a list of
// vectors, or keyed by type ({"float": [...]}) when embedding_types was sent.
func cohereVectors(body []byte) ([][]float32, error) {
	var r struct {
		Embeddings json.RawMessage `json:"embeddings"`
	}
	if err := decodeBody("Cohere embeddings", body, &r); err != nil {
		return nil, err
	}
	var byType struct {
		Float [][]float32 `json:"float"`
	}
	if err := json.Unmarshal(r.Embeddings, &byType); err == nil && byType.Float != nil {
		return byType.Float, nil
	}
	var list [][]float32
	if err := decodeBody("Cohere embeddings", r.Embeddings, &list); err != nil {
		return nil, err
	}
	return list, nil
}

// Nova multimodal embeddings request and response, text only.
type novaEmbedRequest struct {
	SchemaVersion string          `json:"schemaVersion"`
	TaskType      string          `json:"taskType"`
	Params        novaEmbedParams `json:"singleEmbeddingParams"`
}

type novaEmbedParams struct {
	EmbeddingPurpose   string        `json:"embeddingPurpose"`
	EmbeddingDimension int           `json:"embeddingDimension"`
	Text               novaEmbedText `json:"text"`
}

type novaEmbedText struct {
	TruncationMode string `json:"truncationMode"`
	Value          string `json:"value"`
}

// embedNova embeds one text per call with Nova multimodal embeddings.
func (a *Adapter) embedNova(ctx context.Context, req *llm.EmbeddingRequest, extra map[string]json.RawMessage,
	p params) (*llm.EmbeddingResponse, error) {
	got, err := takeExtra(extra, p, "embeddingPurpose", "truncationMode")
	if err != nil {
		return nil, err
	}
	prm := novaEmbedParams{EmbeddingPurpose: "GENERIC_INDEX", EmbeddingDimension: 3072,
		Text: novaEmbedText{TruncationMode: "END"}}
	for k, dst := range map[string]*string{"embeddingPurpose": &prm.EmbeddingPurpose, "truncationMode": &prm.Text.TruncationMode} {
		if raw, ok := got[k]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return nil, badRequest(k, "%s must be a string", k)
			}
		}
	}
	if req.Dimensions != nil {
		switch *req.Dimensions {
		case 256, 384, 1024, 3072:
			prm.EmbeddingDimension = *req.Dimensions
		default:
			return nil, badRequest("dimensions", "Nova multimodal embeddings supports dimensions 256, 384, 1024 or 3072, not %d", *req.Dimensions)
		}
	}
	out := &llm.EmbeddingResponse{Usage: &llm.Usage{}}
	for _, text := range req.Input {
		body := novaEmbedRequest{SchemaVersion: "nova-multimodal-embed-v1", TaskType: "SINGLE_EMBEDDING", Params: prm}
		body.Params.Text.Value = text
		res, err := a.invoke(ctx, body, nil, upstream.MaxEmbeddingBytes)
		if err != nil {
			return nil, err
		}
		var r struct {
			Embeddings []struct {
				EmbeddingType string    `json:"embeddingType"`
				Embedding     []float32 `json:"embedding"`
			} `json:"embeddings"`
		}
		if err := decodeBody("Nova embeddings", res.body, &r); err != nil {
			return nil, err
		}
		if len(r.Embeddings) != 1 {
			return nil, upstreamError("Nova embeddings returned %d embeddings for one text", len(r.Embeddings))
		}
		out.Vectors = append(out.Vectors, r.Embeddings[0].Embedding)
		if res.inputTokens > 0 {
			out.Usage.PromptTokens += res.inputTokens
		}
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	return out, nil
}
