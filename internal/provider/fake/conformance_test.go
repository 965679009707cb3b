package fake_test

import (
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider/fake"
	"github.com/tollgate-gw/tollgate/internal/provider/providertest"
)

// TestConformance: the fake has no wire, so upstream errors, timeouts and
// mid-stream failures do not apply, and its usage is an estimate; the rest
// of the suite holds for it as for every real adapter.
func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T, s providertest.Script) providertest.Upstream {
		opts := fake.Options{MockResponse: providertest.ReplyText}
		if s.Scenario == providertest.Stall {
			// The fake "stalls" by waiting: a chat before its answer, a
			// stream after its first chunk. It never gets that far.
			opts.Latency, opts.ChunkDelay = time.Hour, time.Hour
			if s.Stream {
				opts.Latency = 0
			}
			if s.Started != nil {
				close(s.Started)
			}
		}
		return providertest.Upstream{Model: fake.New(opts)}
	}, providertest.Caps{Name: fake.Name, Tools: true, ImagesIn: true})
}
