package openai

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// DecodeEmbeddingRequest decodes an embeddings request body. input may be a
// string, an array of strings, or pre-tokenized arrays of integers (kept raw).
func DecodeEmbeddingRequest(data []byte) (*llm.EmbeddingRequest, error) {
	var w EmbeddingRequest
	if err := unmarshal("", data, &w); err != nil {
		return nil, err
	}
	req := &llm.EmbeddingRequest{Model: w.Model, EncodingFormat: w.EncodingFormat, Dimensions: w.Dimensions.ptr(), User: w.User}
	if w.Metadata != nil {
		defer func() { req.Gateway.Tags = append(req.Gateway.Tags, w.Metadata.Tags...) }()
	}
	if err := w.GatewayFields.apply(&req.Gateway); err != nil {
		return nil, err
	}
	req.Extra = appendFields(nil, w.Unknown, false)
	if req.Model == "" {
		return nil, &DecodeError{Field: "model", Msg: "required: name the embedding model (see GET /v1/models)"}
	}
	if err := decodeEmbeddingInput(req, w.Input); err != nil {
		return nil, err
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		return nil, &DecodeError{Field: "encoding_format", Msg: fmt.Sprintf("unknown value %q: use float or base64", req.EncodingFormat)}
	}
	return req, nil
}

// decodeEmbeddingInput reads input: a string, strings, or token arrays,
// which are kept raw.
func decodeEmbeddingInput(req *llm.EmbeddingRequest, input jsontext.Value) error {
	if isNull(input) {
		return &DecodeError{Field: "input", Msg: "required: a string or an array of strings"}
	}
	switch input.Kind() {
	case '"':
		var s string
		if err := unmarshal("input", input, &s); err != nil {
			return err
		}
		req.Input, req.SingleInput = []string{s}, true
		return nil
	case '[':
	default:
		return &DecodeError{Field: "input", Msg: "expected a string or an array of strings, got " + kindName(input.Kind())}
	}
	dec := jsontext.NewDecoder(bytes.NewReader(input), decodeOptions)
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	tokens := false
	for i := 0; dec.PeekKind() != ']'; i++ {
		at := func() string { return "input[" + strconv.Itoa(i) + "]" }
		switch k := dec.PeekKind(); {
		case k == '"':
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if tokens {
				return &DecodeError{Field: at(), Msg: "cannot mix strings and token arrays"}
			}
			req.Input = append(req.Input, tok.String())
		case k == '[' || k == '0':
			if req.Input != nil {
				return &DecodeError{Field: at(), Msg: "cannot mix strings and token arrays"}
			}
			tokens = true
			if err := dec.SkipValue(); err != nil {
				return err
			}
		default:
			return &DecodeError{Field: at(), Msg: "expected a string, got " + kindName(k)}
		}
	}
	if tokens {
		req.InputTokens = []byte(input)
	}
	if len(req.Input) == 0 && req.InputTokens == nil {
		return &DecodeError{Field: "input", Msg: "must not be empty"}
	}
	return nil
}

// EncodeEmbeddingRequest encodes req for an OpenAI-compatible upstream.
func EncodeEmbeddingRequest(req *llm.EmbeddingRequest, opts RequestOptions) []byte {
	w := EmbeddingRequest{Model: cmp.Or(opts.Model, req.Model)}
	switch {
	case req.InputTokens != nil:
		w.Input = jsontext.Value(req.InputTokens)
	case req.SingleInput && len(req.Input) == 1:
		w.Input, _ = jsontext.AppendQuote(nil, req.Input[0])
	default:
		w.Input, _ = json.Marshal(req.Input, encodeOptions)
	}
	if opts.keep("encoding_format") {
		w.EncodingFormat = req.EncodingFormat
	}
	if opts.keep("dimensions") {
		w.Dimensions = intPtr(req.Dimensions)
	}
	if opts.keep("user") {
		w.User = req.User
	}
	w.Unknown = extraObject(req.Extra, opts)
	return appendJSON(make([]byte, 0, 256), &w)
}

// DecodeEmbeddingResponse decodes an upstream embeddings list, whether the
// vectors came as float arrays or as base64 little-endian float32.
func DecodeEmbeddingResponse(data []byte) (*llm.EmbeddingResponse, error) {
	var w EmbeddingResponse
	if err := unmarshal("", data, &w); err != nil {
		return nil, fmt.Errorf("decoding embeddings: %w", err)
	}
	resp := &llm.EmbeddingResponse{Model: w.Model, Usage: w.Usage.toLLM(), Vectors: make([][]float32, len(w.Data))}
	for _, d := range w.Data {
		if d.Index < 0 || int(d.Index) >= len(w.Data) {
			return nil, fmt.Errorf("decoding embeddings: index %d out of range", d.Index)
		}
		var vec []float32
		if d.Embedding.Kind() == '"' {
			var s string
			if err := unmarshal("embedding", d.Embedding, &s); err != nil {
				return nil, fmt.Errorf("decoding embeddings: %w", err)
			}
			raw, err := base64.StdEncoding.DecodeString(s)
			if err != nil || len(raw)%4 != 0 {
				return nil, fmt.Errorf("decoding embeddings: malformed base64 vector")
			}
			vec = make([]float32, len(raw)/4)
			for i := range vec {
				vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:]))
			}
		} else if err := unmarshal("embedding", d.Embedding, &vec); err != nil {
			return nil, fmt.Errorf("decoding embeddings: %w", err)
		}
		resp.Vectors[d.Index] = vec
	}
	return resp, nil
}

// EncodeEmbeddingResponse encodes resp as an OpenAI embeddings list in the
// encoding the client asked for (float arrays, or base64 float32).
func EncodeEmbeddingResponse(resp *llm.EmbeddingResponse, req *llm.EmbeddingRequest) []byte {
	size := 64
	for _, v := range resp.Vectors {
		size += 12*len(v) + 48
	}
	e := rawjson.Builder(make([]byte, 0, size))
	e.OpenObject()
	e.Str("object", "list")
	e.Arr("data")
	b64 := req != nil && req.EncodingFormat == "base64"
	var raw []byte
	for i, v := range resp.Vectors {
		e.Elem()
		e.OpenObject()
		e.Str("object", "embedding")
		e.Int("index", int64(i))
		if b64 {
			raw = raw[:0]
			for _, f := range v {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
			}
			e.Key("embedding")
			e = rawjson.AppendBase64(e, raw)
		} else {
			e.Arr("embedding")
			for _, f := range v {
				e.Elem()
				e = strconv.AppendFloat(e, float64(f), 'g', -1, 32)
			}
			e.CloseArray()
		}
		e.CloseObject()
	}
	e.CloseArray()
	e.Str("model", resp.Model)
	u := resp.Usage
	if u == nil {
		u = &llm.Usage{}
	}
	e.Obj("usage")
	e.Int("prompt_tokens", int64(u.PromptTokens))
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens
	}
	e.Int("total_tokens", int64(total))
	e.CloseObject()
	e.CloseObject()
	return e
}
