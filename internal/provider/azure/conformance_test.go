package azure_test

import (
	"testing"

	"github.com/tollgate-gw/tollgate/internal/provider/azure"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/provider/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T, s providertest.Script) providertest.Upstream {
		srv := openaitest.NewServer(t, openaitest.Conformance(s))
		var opts azure.Options
		opts.Timeout, opts.StreamTimeout = s.Limits()
		return providertest.Upstream{Model: newModel(t, srv, opts), Bodies: openaitest.Bodies(srv)}
	}, providertest.Caps{Name: "azure", Wire: true, Tools: true, ImagesIn: true, ExactUsage: true})
}
