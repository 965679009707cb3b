package anthropic_test

import (
	"net/http"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/provider/anthropic"
	"github.com/tollgate-gw/tollgate/internal/provider/anthropic/anthropictest"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/provider/providertest"
)

func newModel(t *testing.T, srv *anthropictest.Server, opts anthropic.Options) *anthropic.Model {
	t.Helper()
	opts.BaseURL = srv.URL
	if opts.APIKey == "" {
		opts.APIKey = anthropictest.Key
	}
	if opts.ModelID == "" {
		opts.ModelID = "claude-test"
	}
	m, err := anthropic.New(&http.Client{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T, s providertest.Script) providertest.Upstream {
		srv := anthropictest.NewServer(t, anthropictest.Conformance(s))
		var opts anthropic.Options
		opts.Timeout, opts.StreamTimeout = s.Limits()
		return providertest.Upstream{Model: newModel(t, srv, opts), Bodies: openaitest.Bodies(srv)}
	}, providertest.Caps{Name: "anthropic", Wire: true, Tools: true, ImagesIn: true, ExactUsage: true})
}
