package fake

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
)

// Embed returns, after Options.Latency, one unit vector per input derived
// from a hash of that input: equal inputs embed equally, different inputs
// almost never do.
func (m *Model) Embed(ctx context.Context, req *llm.EmbeddingRequest) (*llm.EmbeddingResponse, error) {
	dim := m.opts.Dimensions
	if req.Dimensions != nil {
		if err := checkCount("dimensions", req.Dimensions, maxDimensions); err != nil {
			return nil, err
		}
		if *req.Dimensions > 0 {
			dim = *req.Dimensions
		}
	}
	tokenInputs, err := tokenArrays(req.InputTokens)
	if err != nil {
		return nil, err
	}
	if err := wait(ctx, m.opts.Latency); err != nil {
		return nil, err
	}

	n := len(req.Input) + len(tokenInputs)
	resp := &llm.EmbeddingResponse{
		Model:   m.opts.ModelID,
		Vectors: make([][]float32, n),
		Usage:   &llm.Usage{},
	}
	if resp.Model == "" {
		resp.Model = req.Model
	}
	backing := make([]float32, n*dim)
	for i := range resp.Vectors {
		resp.Vectors[i] = backing[i*dim : (i+1)*dim : (i+1)*dim]
	}
	for i, in := range req.Input {
		unitVector(resp.Vectors[i], uint64(newFNV().str(in)))
		resp.Usage.PromptTokens += tokens(len(in))
	}
	for i, toks := range tokenInputs {
		h := newFNV()
		for _, t := range toks {
			h = h.u64(uint64(t))
		}
		unitVector(resp.Vectors[len(req.Input)+i], uint64(h))
		resp.Usage.PromptTokens += len(toks)
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens
	return resp, nil
}

// tokenArrays reads pre-tokenized input: one array of token ids, or an array
// of them.
func tokenArrays(raw json.RawMessage) ([][]int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var many [][]int64
	if json.Unmarshal(raw, &many) == nil {
		return many, nil
	}
	var one []int64
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, &provider.Error{
			Kind:     provider.KindBadRequest,
			Provider: Name,
			Status:   http.StatusBadRequest,
			Type:     "invalid_request_error",
			Param:    "input",
			Message:  "input must be a string, an array of strings, an array of token ids or an array of such arrays: " + strconv.Quote(err.Error()),
			Err:      err,
		}
	}
	return [][]int64{one}, nil
}

// unitVector fills v with a deterministic pseudo-random direction for seed,
// scaled to length 1.
func unitVector(v []float32, seed uint64) {
	if len(v) == 0 {
		return
	}
	sum := 0.0
	s := seed
	for i := range v {
		s = splitmix(s)
		// The top 53 bits as a float in [-1, 1).
		f := float64(s>>11)/(1<<52) - 1
		v[i] = float32(f)
		sum += f * f
	}
	if sum == 0 {
		v[0], sum = 1, 1
	}
	scale := 1 / math.Sqrt(sum)
	for i := range v {
		v[i] = float32(float64(v[i]) * scale)
	}
}
