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

// routeRequest is the router's view of a call: every fallback it may move
// to passes the caller's model access check, as the requested model did.
func (d *DataPlane) routeRequest(r *http.Request, model string, gw *llm.GatewayOptions, first *router.Deployment, tokens int) *router.Request {
	return &router.Request{Model: model, Tags: gw.Tags, Fallbacks: gw.Fallbacks, NumRetries: gw.NumRetries, Tokens: tokens, First: first,
		Allow: func(m string) error { return d.checkModel(r, m, "fallbacks") }}
}

// run calls the router and records the attempts and the deployment that
// finally served in the request record.
func (d *DataPlane) run(r *http.Request, rq *router.Request, call router.Call) (*router.Deployment, error) {
	rec := obs.RecordFrom(r.Context())
	res, err := d.router.Do(r.Context(), rq, call)
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
	d.router.Served(ctx, dep, tokens)
}

// routeChat answers a non-streamed chat call from the cache or through the
// router, each attempt under up (so a client leaving does not cut a call
// the provider bills); the source is what served it. An answer with
// impossible usage is a failed attempt.
func (d *DataPlane) routeChat(w http.ResponseWriter, r *http.Request, up *upstream, first *router.Deployment, req *llm.Request) (*llm.Response, source, error) {
	rec := obs.RecordFrom(r.Context())
	lookup := d.chatCache(r, req)
	if resp, ok := lookup.chat(r.Context()); ok {
		markHit(w, lookup)
		return resp, source{dep: first, cacheHit: true}, nil
	}
	var resp *llm.Response
	upStart := time.Now()
	dep, err := d.run(r, d.routeRequest(r, req.Model, &req.Gateway, first, router.EstimateTokens(req)),
		func(_ context.Context, dep *router.Deployment) (err error) {
			if resp, err = dep.Model.Chat(up.ctx, req); err != nil {
				return err
			}
			return checkUsage(dep, resp.Usage)
		})
	rec.Upstream = time.Since(upStart)
	if err != nil {
		return nil, source{}, err
	}
	d.served(r.Context(), dep, resp.Usage)
	lookup.putChat(r.Context(), resp)
	markMiss(w, lookup)
	return resp, source{dep: dep}, nil
}

// openChatStream opens a streamed chat call and reads its first chunk,
// from the cache (a hit is replayed as a stream) or through the router: an
// attempt is opening the stream under up and receiving the first chunk, so
// a failure before any byte reaches the client is retried or falls back.
// first is nil for a stream that ended at once. The meter returned keeps
// the stream's accounts (what served it, its usage) and fills the cache.
func (d *DataPlane) openChatStream(w http.ResponseWriter, r *http.Request, up *upstream, dep *router.Deployment, req *llm.Request) (*meter, *llm.Chunk, error) {
	lookup := d.chatCache(r, req)
	if resp, ok := lookup.chat(r.Context()); ok {
		markHit(w, lookup)
		m := &meter{Stream: replay(resp), d: d, r: r, req: req, src: source{dep: dep, cacheHit: true}}
		c, _ := m.Recv()
		return m, c, nil
	}
	var m *meter
	var firstChunk *llm.Chunk
	_, err := d.run(r, d.routeRequest(r, req.Model, &req.Gateway, dep, router.EstimateTokens(req)),
		func(_ context.Context, dep *router.Deployment) error {
			s, err := dep.Model.ChatStream(up.ctx, req)
			if err != nil {
				return err
			}
			sm := &meter{Stream: s, d: d, r: r, req: req, src: source{dep: dep}, lookup: lookup}
			c, err := sm.Recv()
			if err != nil && err != io.EOF {
				_ = s.Close()
				return err
			}
			m, firstChunk = sm, c
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	markMiss(w, lookup)
	return m, firstChunk, nil
}

// routeEmbed runs an embeddings call from the cache or through the router.
func (d *DataPlane) routeEmbed(w http.ResponseWriter, r *http.Request, up *upstream, first *router.Deployment, req *llm.EmbeddingRequest) (*llm.EmbeddingResponse, source, error) {
	return routeCached(d, w, r, d.embedCache(r, req), d.routeRequest(r, req.Model, &req.Gateway, first, router.EstimateTextTokens(req.Input)),
		func(dep *router.Deployment) (*llm.EmbeddingResponse, error) {
			emb, ok := dep.Model.(provider.Embedder)
			if !ok {
				return nil, badRequest("model", "model %q (%s) does not support embeddings", req.Model, dep.Label())
			}
			return emb.Embed(up.ctx, req)
		},
		func(resp *llm.EmbeddingResponse) *llm.Usage { return resp.Usage })
}

// routeImage runs an image generation from the cache or through the router.
func (d *DataPlane) routeImage(w http.ResponseWriter, r *http.Request, up *upstream, first *router.Deployment, req *llm.ImageRequest) (*llm.ImageResponse, source, error) {
	return routeCached(d, w, r, d.imageCache(r, req), d.routeRequest(r, req.Model, &req.Gateway, first, router.EstimateTextTokens([]string{req.Prompt})),
		func(dep *router.Deployment) (*llm.ImageResponse, error) {
			gen, ok := dep.Model.(provider.ImageGenerator)
			if !ok {
				return nil, badRequest("model", "model %q (%s) does not support image generation", req.Model, dep.Label())
			}
			return gen.GenerateImage(up.ctx, req)
		},
		func(resp *llm.ImageResponse) *llm.Usage { return resp.Usage })
}

// routeCached is the path every non-chat model call shares: the response
// from the cache (served by rq.First), else call through the router (an
// answer with impossible usage is a failed attempt), the served deployment
// told its usage and the response cached.
func routeCached[Resp any](d *DataPlane, w http.ResponseWriter, r *http.Request, lookup *cacheLookup, rq *router.Request,
	call func(*router.Deployment) (Resp, error), usage func(Resp) *llm.Usage) (Resp, source, error) {
	rec := obs.RecordFrom(r.Context())
	var resp Resp
	if lookup.get(r.Context(), &resp) {
		markHit(w, lookup)
		return resp, source{dep: rq.First, cacheHit: true}, nil
	}
	upStart := time.Now()
	dep, err := d.run(r, rq, func(_ context.Context, dep *router.Deployment) (err error) {
		if resp, err = call(dep); err != nil {
			return err
		}
		return checkUsage(dep, usage(resp))
	})
	rec.Upstream = time.Since(upStart)
	if err != nil {
		var zero Resp
		return zero, source{}, err
	}
	d.served(r.Context(), dep, usage(resp))
	lookup.put(r.Context(), resp)
	markMiss(w, lookup)
	return resp, source{dep: dep}, nil
}
