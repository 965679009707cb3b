package spend

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

func ptr[T any](v T) *T { return &v }

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-15+1e-9*math.Abs(b) }

const haiku = "anthropic.claude-3-5-haiku-20241022-v1:0"

func TestShippedTable(t *testing.T) {
	tab := Shipped()
	if len(tab.prices) < 20 {
		t.Fatalf("the shipped table has %d models", len(tab.prices))
	}
	for name, p := range tab.prices {
		if p.InputPerToken == 0 && p.OutputPerToken == 0 && p.PerImage == 0 && p.InputPerSecond == 0 {
			t.Errorf("%s has no price", name)
		}
	}
}

func TestLookup(t *testing.T) {
	tab := Shipped()
	h, _ := tab.Lookup("bedrock", haiku)
	g, _ := tab.Lookup("openai", "gpt-4o")
	tests := []struct {
		provider, model string
		want            Price
		ok              bool
	}{
		{"openai", "gpt-4o", g, true},
		{"openai", "openai/gpt-4o", g, true},         // provider prefix
		{"bedrock", haiku, h, true},                  // regional id
		{"bedrock", "us." + haiku, h, true},          // cross-region inference profiles
		{"bedrock", "eu." + haiku, h, true},          //
		{"bedrock", "apac." + haiku, h, true},        //
		{"bedrock", "global." + haiku, h, true},      //
		{"bedrock", "converse/us." + haiku, h, true}, // route prefix and profile
		{"bedrock", "bedrock/" + haiku, h, true},     //
		{"bedrock", "xx." + haiku, Price{}, false},   // not a profile prefix
		{"openai", "no-such-model", Price{}, false},  //
	}
	for _, tt := range tests {
		got, ok := tab.Lookup(tt.provider, tt.model)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Lookup(%q, %q) = %+v, %v; want %+v, %v", tt.provider, tt.model, got, ok, tt.want, tt.ok)
		}
	}
	if h.InputPerToken != 8e-7 || h.CacheWritePerToken != 1e-6 || h.MaxOutputTokens != 8192 {
		t.Errorf("haiku = %+v", h)
	}
}

func TestPricerOverrides(t *testing.T) {
	tab := Shipped()
	g, _ := tab.Lookup("openai", "gpt-4o")
	p := NewPricer(tab, map[string]Override{
		"azure-1":  {BaseModel: "gpt-4o"},                                                    // Azure deployment name says nothing
		"custom":   {InputPerToken: ptr(1e-6), OutputPerToken: ptr(2e-6)},                    // model_info prices
		"half":     {BaseModel: "gpt-4o", OutputPerToken: ptr(1e-6)},                         // base model, one price overridden
		"unknown":  {InputPerToken: ptr(3e-6)},                                               // an unpriced model made priced
		"nothing":  {},                                                                       //
		"baseless": {BaseModel: "no-such-model"},                                             //
		"zero":     {BaseModel: "gpt-4o", InputPerToken: ptr(0.0), OutputPerToken: ptr(0.0)}, // free
	})
	tests := []struct {
		dep, provider, model string
		in, out              float64
		ok                   bool
	}{
		{"azure-1", "azure", "my-deployment", g.InputPerToken, g.OutputPerToken, true},
		{"custom", "openai", "gpt-4o", 1e-6, 2e-6, true},
		{"half", "azure", "x", g.InputPerToken, 1e-6, true},
		{"unknown", "fake", "m", 3e-6, 0, true},
		{"nothing", "openai", "gpt-4o", g.InputPerToken, g.OutputPerToken, true},
		{"baseless", "openai", "gpt-4o", 0, 0, false},
		{"zero", "openai", "gpt-4o", 0, 0, true},
		{"no-override", "fake", "m", 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := p.Price(tt.dep, tt.provider, tt.model)
		if ok != tt.ok || got.InputPerToken != tt.in || got.OutputPerToken != tt.out {
			t.Errorf("Price(%s) = %+v, %v; want in %g out %g, %v", tt.dep, got, ok, tt.in, tt.out, tt.ok)
		}
	}
}

func TestCost(t *testing.T) {
	p := Price{InputPerToken: 1e-6, OutputPerToken: 4e-6, CacheReadPerToken: 1e-7, CacheWritePerToken: 1.25e-6, PerImage: 0.04}
	noCache := Price{InputPerToken: 1e-6, OutputPerToken: 4e-6}
	tests := []struct {
		name   string
		p      Price
		u      llm.Usage
		images int
		want   float64
	}{
		{"plain", p, llm.Usage{PromptTokens: 1000, CompletionTokens: 100}, 0, 1000*1e-6 + 100*4e-6},
		{"cache read", p, llm.Usage{PromptTokens: 1000, CompletionTokens: 100, CacheReadTokens: 800}, 0, 200*1e-6 + 800*1e-7 + 100*4e-6},
		{"cache write", p, llm.Usage{PromptTokens: 1000, CacheWriteTokens: 600}, 0, 400*1e-6 + 600*1.25e-6},
		{"both", p, llm.Usage{PromptTokens: 1000, CacheReadTokens: 300, CacheWriteTokens: 200}, 0, 500*1e-6 + 300*1e-7 + 200*1.25e-6},
		{"no cache prices: cached tokens are input", noCache, llm.Usage{PromptTokens: 1000, CacheReadTokens: 800}, 0, 1000 * 1e-6},
		{"images", p, llm.Usage{}, 3, 0.12},
		{"nothing", p, llm.Usage{}, 0, 0},
		{"unpriced", Price{}, llm.Usage{PromptTokens: 1000, CompletionTokens: 1000}, 0, 0},
	}
	for _, tt := range tests {
		if got := tt.p.Cost(tt.u, tt.images); !near(got, tt.want) {
			t.Errorf("%s: Cost = %g, want %g", tt.name, got, tt.want)
		}
	}
	// The strict-mode reservation: every input token at the dearer of
	// input and cache write, the output bound and the images.
	if got := p.MaxCost(100, 50, 0); !near(got, 100*1.25e-6+50*4e-6) {
		t.Errorf("MaxCost(100, 50, 0) = %g", got)
	}
	q := Price{InputPerToken: 1e-6, OutputPerToken: 2e-6, PerImage: 0.04}
	if got := q.MaxCost(10, 1000, 2); !near(got, 10*1e-6+1000*2e-6+2*0.04) {
		t.Errorf("MaxCost(10, 1000, 2) = %g", got)
	}
}

// TestRefresh: a refresh file in LiteLLM's format lays new prices over the
// shipped table without a code change; the shipped table is left as is.
func TestRefresh(t *testing.T) {
	tab := Shipped()
	dir := t.TempDir()
	good := filepath.Join(dir, "prices.json")
	if err := os.WriteFile(good, []byte(`{
		"gpt-4o": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "litellm_provider": "openai", "mode": "chat"},
		"brand-new-model": {"input_cost_per_token": 5e-7, "max_output_tokens": 100}
	}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := tab.RefreshedFromFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := r.Lookup("openai", "gpt-4o"); p.InputPerToken != 1e-6 || p.OutputPerToken != 2e-6 {
		t.Errorf("refreshed gpt-4o = %+v", p)
	}
	if p, ok := r.Lookup("x", "brand-new-model"); !ok || p.InputPerToken != 5e-7 || p.MaxOutputTokens != 100 {
		t.Errorf("new model = %+v, %v", p, ok)
	}
	if _, ok := r.Lookup("bedrock", "us."+haiku); !ok {
		t.Error("the refresh dropped the shipped models")
	}
	if p, _ := tab.Lookup("openai", "gpt-4o"); p.InputPerToken != 2.5e-6 {
		t.Errorf("the shipped table changed: %+v", p)
	}

	for name, tt := range map[string]struct{ body, want string }{
		"not json":       {`{`, "decoding"},
		"negative price": {`{"m": {"input_cost_per_token": -1}}`, "finite amount"},
		"wrong type":     {`{"m": {"input_cost_per_token": "cheap"}}`, "decoding"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := tab.RefreshedFromFile(path); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and %q", name, err, tt.want)
		}
	}
	if _, err := tab.RefreshedFromFile(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file refreshed")
	}
}
