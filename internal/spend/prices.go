package spend

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

//go:embed prices.json
var shippedPrices []byte

// Price is one model's prices in USD, with LiteLLM's field names, so a
// refresh file can be cut from LiteLLM's model_prices_and_context_window.json.
type Price struct {
	InputPerToken      float64 `json:"input_cost_per_token,omitempty"`
	OutputPerToken     float64 `json:"output_cost_per_token,omitempty"`
	CacheReadPerToken  float64 `json:"cache_read_input_token_cost,omitempty"`
	CacheWritePerToken float64 `json:"cache_creation_input_token_cost,omitempty"`
	PerImage           float64 `json:"output_cost_per_image,omitempty"`
	InputPerSecond     float64 `json:"input_cost_per_second,omitempty"`
	OutputPerSecond    float64 `json:"output_cost_per_second,omitempty"`
	MaxInputTokens     int     `json:"max_input_tokens,omitempty"`
	MaxOutputTokens    int     `json:"max_output_tokens,omitempty"`
}

// Table is a model price table: the shipped one, optionally refreshed from
// a file. It is read-only once built.
type Table struct {
	prices map[string]Price
}

// Shipped returns the table embedded in the binary.
func Shipped() *Table {
	t, err := parse(shippedPrices)
	if err != nil {
		panic("spend: the shipped price table does not parse: " + err.Error()) // a build defect
	}
	return t
}

func parse(b []byte) (*Table, error) {
	m := map[string]Price{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for name, p := range m {
		for what, v := range map[string]float64{"input": p.InputPerToken, "output": p.OutputPerToken,
			"cache read": p.CacheReadPerToken, "cache write": p.CacheWritePerToken, "image": p.PerImage} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("model %q: %s price %v is not a finite amount of 0 or more", name, what, v)
			}
		}
	}
	return &Table{prices: m}, nil
}

// Refreshed returns a copy of t with the prices in r (a JSON object of
// model name → price, LiteLLM's format; unknown fields such as
// litellm_provider or mode are ignored) laid over it.
func (t *Table) Refreshed(r io.Reader) (*Table, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the price table: %w", err)
	}
	add, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("decoding the price table: %w", err)
	}
	out := &Table{prices: make(map[string]Price, len(t.prices)+len(add.prices))}
	for k, v := range t.prices {
		out.prices[k] = v
	}
	for k, v := range add.prices {
		out.prices[k] = v
	}
	return out, nil
}

// RefreshedFromFile is Refreshed with the contents of a file.
func (t *Table) RefreshedFromFile(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the price table: %w", err)
	}
	defer f.Close()
	out, err := t.Refreshed(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// crossRegion are the inference-profile prefixes Bedrock puts before a
// model id; they are priced as the model itself.
var crossRegion = []string{"us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."}

// Lookup finds the price of provider's model: "provider/model" first, then
// the model alone, then the model without a Bedrock cross-region prefix or
// a route prefix ("converse/", "invoke/").
func (t *Table) Lookup(provider, model string) (Price, bool) {
	cands := []string{provider + "/" + model, model}
	m := model
	for _, pre := range []string{"converse/", "invoke/", provider + "/"} {
		m = strings.TrimPrefix(m, pre)
	}
	cands = append(cands, m)
	for _, pre := range crossRegion {
		if s, ok := strings.CutPrefix(m, pre); ok {
			cands = append(cands, s)
			break
		}
	}
	for _, c := range cands {
		if p, ok := t.prices[c]; ok {
			return p, true
		}
	}
	return Price{}, false
}

// Cost is the USD cost of a call with usage u and images images at price p.
// Cache reads and writes are charged at their own prices when the table has
// them (prompt tokens include them), else as input.
func (p Price) Cost(u llm.Usage, images int) float64 {
	prompt := float64(u.PromptTokens)
	c := 0.0
	if p.CacheReadPerToken > 0 && u.CacheReadTokens > 0 {
		c += float64(u.CacheReadTokens) * p.CacheReadPerToken
		prompt -= float64(u.CacheReadTokens)
	}
	if p.CacheWritePerToken > 0 && u.CacheWriteTokens > 0 {
		c += float64(u.CacheWriteTokens) * p.CacheWritePerToken
		prompt -= float64(u.CacheWriteTokens)
	}
	if prompt > 0 {
		c += prompt * p.InputPerToken
	}
	c += float64(u.CompletionTokens) * p.OutputPerToken
	c += float64(images) * p.PerImage
	return c
}

// MaxCost is the most a call of at most inputTokens in, outputTokens out
// and images generated may cost (the strict-mode reservation): every input
// token at the dearer of the input and cache-write prices.
func (p Price) MaxCost(inputTokens, outputTokens, images int64) float64 {
	return float64(inputTokens)*max(p.InputPerToken, p.CacheWritePerToken) + float64(outputTokens)*p.OutputPerToken +
		float64(images)*p.PerImage
}

// Override is a deployment's own pricing from its config: model_info or
// litellm_params input/output_cost_per_token, and base_model, the model
// whose table prices apply (an Azure deployment name says nothing).
type Override struct {
	BaseModel      string
	InputPerToken  *float64
	OutputPerToken *float64
	// MaxOutputTokens is model_info.max_output_tokens: the deployment's
	// output limit, over the table's.
	MaxOutputTokens *int
}

// Pricer prices deployments: the table, with each deployment's override.
type Pricer struct {
	table     *Table
	overrides map[string]Override // by deployment id
}

// NewPricer returns a pricer over t with per-deployment overrides.
func NewPricer(t *Table, overrides map[string]Override) *Pricer {
	return &Pricer{table: t, overrides: overrides}
}

// Price returns the price of a deployment (by id) of provider's model.
// ok is false when nothing prices it: the call is then counted at zero
// cost, as LiteLLM does for an unknown model.
func (p *Pricer) Price(deployment, provider, model string) (Price, bool) {
	o, has := p.overrides[deployment]
	name := model
	if has && o.BaseModel != "" {
		name = o.BaseModel
	}
	pr, ok := p.table.Lookup(provider, name)
	if has {
		if o.InputPerToken != nil {
			pr.InputPerToken, ok = *o.InputPerToken, true
		}
		if o.OutputPerToken != nil {
			pr.OutputPerToken, ok = *o.OutputPerToken, true
		}
		if o.MaxOutputTokens != nil {
			pr.MaxOutputTokens = *o.MaxOutputTokens
		}
	}
	return pr, ok
}
