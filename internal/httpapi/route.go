package httpapi

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// The upstream call of every model route goes through the router's attempt
// loop (router.Do): retries, fallbacks and cooldowns happen here, before
// the first byte reaches the client; the response cache is consulted
// before the loop and filled after it (cache.go).

// routeRequest is the router's view of a call.
func routeRequest(model string, gw *llm.GatewayOptions, first *router.Deployment, tokens int) *router.Request {
	return &router.Request{Model: model, Tags: gw.Tags, Fallbacks: gw.Fallbacks, NumRetries: gw.NumRetries, Tokens: tokens, First: first}
}

// run calls the router and records the attempts and the deployment that
// finally served in the request record.
func (d *DataPlane) run(r *http.Request, rq *router.Request, call router.Call) (*router.Deployment, error) {
	rec := obs.RecordFrom(r.Context())
	res, err := d.Router.Do(r.Context(), rq, call)
	for _, a := range res.Attempts {
		rec.Attempts = append(rec.Attempts, obs.Attempt{Deployment: a.Deployment, Group: a.Group, Fallback: a.Fallback,
			Retry: a.Retry, Duration: a.Duration, ErrorKind: a.Kind, Error: a.Error})
	}
	if dep := res.Deployment; dep != nil {
		rec.Deployment, rec.Provider = dep.ID, dep.Provider
	}
	return res.Deployment, err
}

// served tells the router a deployment's tokens, for usage-based routing.
func (d *DataPlane) served(ctx context.Context, dep *router.Deployment, u *llm.Usage) {
	tokens := 0
	if u != nil {
		tokens = u.PromptTokens + u.CompletionTokens
	}
	d.Router.Served(ctx, dep, tokens)
}

// routeChat answers a non-streamed chat call from the cache or through the
// router; the deployment returned is the one that served (first on a
// cache hit).
func (d *DataPlane) routeChat(w http.ResponseWriter, r *http.Request, first *router.Deployment, req *llm.Request) (*llm.Response, *router.Deployment, error) {
	rec := obs.RecordFrom(r.Context())
	lookup := d.chatCache(r, req)
	if resp, ok := lookup.chat(r.Context()); ok {
		markHit(w, rec, lookup)
		return resp, first, nil
	}
	var resp *llm.Response
	upStart := time.Now()
	dep, err := d.run(r, routeRequest(req.Model, &req.Gateway, first, router.EstimateTokens(req)),
		func(ctx context.Context, dep *router.Deployment) (err error) {
			resp, err = dep.Model.Chat(ctx, req)
			return err
		})
	rec.Upstream = time.Since(upStart)
	if err != nil {
		return nil, nil, err
	}
	d.served(r.Context(), dep, resp.Usage)
	lookup.putChat(r.Context(), resp)
	markMiss(w, lookup)
	return resp, dep, nil
}

// openChatStream opens a streamed chat call and reads its first chunk,
// from the cache (a hit is replayed as a stream) or through the router: an
// attempt is opening the stream and receiving the first chunk, so a
// failure before any byte reaches the client is retried or falls back.
// first is nil for a stream that ended at once. The stream returned
// fills the cache and counts usage when it ends.
func (d *DataPlane) openChatStream(w http.ResponseWriter, r *http.Request, dep *router.Deployment, req *llm.Request) (llm.Stream, *llm.Chunk, *router.Deployment, error) {
	rec := obs.RecordFrom(r.Context())
	lookup := d.chatCache(r, req)
	if resp, ok := lookup.chat(r.Context()); ok {
		markHit(w, rec, lookup)
		s := replay(resp)
		c, _ := s.Recv()
		return s, c, dep, nil
	}
	var stream llm.Stream
	var firstChunk *llm.Chunk
	served, err := d.run(r, routeRequest(req.Model, &req.Gateway, dep, router.EstimateTokens(req)),
		func(ctx context.Context, dep *router.Deployment) error {
			s, err := dep.Model.ChatStream(ctx, req)
			if err != nil {
				return err
			}
			c, err := s.Recv()
			if err != nil && err != io.EOF {
				_ = s.Close()
				return err
			}
			stream, firstChunk = s, c
			return nil
		})
	if err != nil {
		return nil, nil, nil, err
	}
	markMiss(w, lookup)
	return &tee{Stream: stream, d: d, r: r, dep: served, lookup: lookup, first: firstChunk}, firstChunk, served, nil
}

// tee relays a routed stream and, at its end, counts the deployment's
// usage and stores the complete reply in the cache.
type tee struct {
	llm.Stream
	d      *DataPlane
	r      *http.Request
	dep    *router.Deployment
	lookup *cacheLookup
	first  *llm.Chunk
	col    streamCollector
	done   bool
}

func (t *tee) Recv() (*llm.Chunk, error) {
	if t.first != nil {
		t.col.add(t.first)
		t.first = nil
	}
	c, err := t.Stream.Recv()
	if c != nil {
		t.col.add(c)
	}
	if err == io.EOF && !t.done {
		t.done = true
		resp := t.col.response()
		t.d.served(t.r.Context(), t.dep, resp.Usage)
		t.lookup.putChat(t.r.Context(), resp)
	}
	return c, err
}

// routeEmbed runs an embeddings call from the cache or through the router.
func (d *DataPlane) routeEmbed(w http.ResponseWriter, r *http.Request, first *router.Deployment, req *llm.EmbeddingRequest) (*llm.EmbeddingResponse, *router.Deployment, error) {
	return routeCached(d, w, r, d.embedCache(r, req), routeRequest(req.Model, &req.Gateway, first, router.EstimateTextTokens(req.Input)),
		func(ctx context.Context, dep *router.Deployment) (*llm.EmbeddingResponse, error) {
			emb, ok := dep.Model.(provider.Embedder)
			if !ok {
				return nil, badRequest("model", "model %q (%s) does not support embeddings", req.Model, dep.Label())
			}
			return emb.Embed(ctx, req)
		},
		func(resp *llm.EmbeddingResponse) *llm.Usage { return resp.Usage })
}

// routeImage runs an image generation from the cache or through the router.
func (d *DataPlane) routeImage(w http.ResponseWriter, r *http.Request, first *router.Deployment, req *llm.ImageRequest) (*llm.ImageResponse, *router.Deployment, error) {
	return routeCached(d, w, r, d.imageCache(r, req), routeRequest(req.Model, &req.Gateway, first, router.EstimateTextTokens([]string{req.Prompt})),
		func(ctx context.Context, dep *router.Deployment) (*llm.ImageResponse, error) {
			gen, ok := dep.Model.(provider.ImageGenerator)
			if !ok {
				return nil, badRequest("model", "model %q (%s) does not support image generation", req.Model, dep.Label())
			}
			return gen.GenerateImage(ctx, req)
		},
		func(resp *llm.ImageResponse) *llm.Usage { return resp.Usage })
}

// routeCached is the path every non-chat model call shares: the response
// from the cache (served by rq.First), else call through the router, the
// served deployment told its usage and the response cached.
func routeCached[Resp any](d *DataPlane, w http.ResponseWriter, r *http.Request, lookup *cacheLookup, rq *router.Request,
	call func(context.Context, *router.Deployment) (Resp, error), usage func(Resp) *llm.Usage) (Resp, *router.Deployment, error) {
	rec := obs.RecordFrom(r.Context())
	var resp Resp
	if lookup.get(r.Context(), &resp) {
		markHit(w, rec, lookup)
		return resp, rq.First, nil
	}
	upStart := time.Now()
	dep, err := d.run(r, rq, func(ctx context.Context, dep *router.Deployment) (err error) {
		resp, err = call(ctx, dep)
		return err
	})
	rec.Upstream = time.Since(upStart)
	if err != nil {
		var zero Resp
		return zero, nil, err
	}
	d.served(r.Context(), dep, usage(resp))
	lookup.put(r.Context(), resp)
	markMiss(w, lookup)
	return resp, dep, nil
}
