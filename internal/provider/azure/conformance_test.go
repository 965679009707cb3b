package azure_test

import (
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider/azure"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/provider/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T, s providertest.Script) providertest.Upstream {
		srv := openaitest.NewServer(t, openaitest.Conformance(s))
		opts := azure.Options{Timeout: time.Minute, StreamTimeout: time.Minute}
		if s.Timeout != 0 {
			opts.Timeout = s.Timeout
		}
		if s.StreamTimeout != 0 {
			opts.StreamTimeout = s.StreamTimeout
		}
		return providertest.Upstream{Model: newModel(t, srv, opts), Bodies: openaitest.Bodies(srv)}
	}, providertest.Caps{Name: "azure", Wire: true, Tools: true, ImagesIn: true, ExactUsage: true})
}
