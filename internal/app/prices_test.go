package app

import (
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/period"
)

// TestPriceOverrides: a deployment's own prices come from model_info, else
// from litellm_params (both are LiteLLM's places for them), and its
// base_model likewise; a deployment with none has no override.
func TestPriceOverrides(t *testing.T) {
	const src = `
model_list:
  - model_name: info-only
    litellm_params: {model: fake/a}
    model_info: {id: info-only, input_cost_per_token: 0.000001, output_cost_per_token: 0.000002}
  - model_name: params-only
    litellm_params: {model: fake/b, input_cost_per_token: 0.000003, output_cost_per_token: 0.000004, base_model: gpt-4o}
    model_info: {id: params-only}
  - model_name: both
    litellm_params: {model: fake/c, input_cost_per_token: 0.9, output_cost_per_token: 0.9, base_model: gpt-4o}
    model_info: {id: both, input_cost_per_token: 0.000005, base_model: gpt-4o-mini}
  - model_name: none
    litellm_params: {model: fake/d}
    model_info: {id: none}
`
	cfg, err := config.Parse("config.yaml", []byte(src), &config.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range cfg.Notices {
		t.Errorf("notice for a setting that is read: %v", n)
	}
	got := priceOverrides(cfg)
	num := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	tests := []struct {
		id        string
		in, out   float64 // -1: not set
		baseModel string
	}{
		{"info-only", 0.000001, 0.000002, ""},
		{"params-only", 0.000003, 0.000004, "gpt-4o"},
		{"both", 0.000005, 0.9, "gpt-4o-mini"}, // model_info's input price and base_model win; params fill the gap
	}
	for _, tt := range tests {
		o, ok := got[tt.id]
		if !ok {
			t.Errorf("%s: no override", tt.id)
			continue
		}
		if num(o.InputPerToken) != tt.in || num(o.OutputPerToken) != tt.out || o.BaseModel != tt.baseModel {
			t.Errorf("%s: input %v output %v base %q, want %v %v %q", tt.id, num(o.InputPerToken), num(o.OutputPerToken), o.BaseModel, tt.in, tt.out, tt.baseModel)
		}
	}
	if o, ok := got["none"]; ok {
		t.Errorf("none: override %+v for a deployment without prices", o)
	}
}

func TestRetention(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{{"7d", 7 * 24 * time.Hour}, {"12h", 12 * time.Hour}, {"2w", 14 * 24 * time.Hour}, {"1mo", 30 * 24 * time.Hour}, {"monthly", 30 * 24 * time.Hour}} {
		p, err := period.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := retention(p); got != tt.want {
			t.Errorf("retention(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
