package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/cache"
	"github.com/tollgate-gw/tollgate/internal/history"
	"github.com/tollgate-gw/tollgate/internal/llm"
)

// cacheLookup is one request's entry in the response cache; a nil
// *cacheLookup (no cache, or the request is not cached) misses and stores
// nothing.
type cacheLookup struct{ *cache.Lookup }

// tenant scopes cache entries: the caller's team, else its user, else its
// key (or master).
func tenant(r *http.Request) string {
	p := auth.FromContext(r.Context())
	switch {
	case p == nil:
		return ""
	case p.TeamID != "":
		return "team:" + p.TeamID
	case p.UserID != "":
		return "user:" + p.UserID
	}
	return "key:" + p.ID
}

func (d *DataPlane) lookup(r *http.Request, callType string, gw *llm.GatewayOptions, canonical any) *cacheLookup {
	if d.cache == nil {
		return nil
	}
	l := d.cache.For(callType, tenant(r), gw.Cache, canonical)
	if l == nil {
		return nil
	}
	return &cacheLookup{l}
}

// chatCache keys a chat request by everything that shapes the answer:
// the model asked for, messages, tools and sampling parameters; gateway
// controls, streaming, user and metadata are left out.
func (d *DataPlane) chatCache(r *http.Request, req *llm.Request) *cacheLookup {
	if d.cache == nil {
		return nil
	}
	c := *req
	c.Gateway, c.Stream, c.IncludeUsage, c.User, c.Metadata = llm.GatewayOptions{}, false, false, "", nil
	return d.lookup(r, cache.Completion, &req.Gateway, &c)
}

func (d *DataPlane) embedCache(r *http.Request, req *llm.EmbeddingRequest) *cacheLookup {
	if d.cache == nil {
		return nil
	}
	c := *req
	c.Gateway, c.User = llm.GatewayOptions{}, ""
	return d.lookup(r, cache.Embedding, &req.Gateway, &c)
}

func (d *DataPlane) imageCache(r *http.Request, req *llm.ImageRequest) *cacheLookup {
	if d.cache == nil {
		return nil
	}
	c := *req
	c.Gateway, c.User = llm.GatewayOptions{}, ""
	return d.lookup(r, cache.Image, &req.Gateway, &c)
}

func (l *cacheLookup) get(ctx context.Context, v any) bool {
	if l == nil {
		return false
	}
	b, ok := l.Get(ctx)
	return ok && json.Unmarshal(b, v) == nil
}

func (l *cacheLookup) put(ctx context.Context, v any) {
	if l == nil {
		return
	}
	if b, err := json.Marshal(v); err == nil {
		l.Put(ctx, b)
	}
}

func (l *cacheLookup) chat(ctx context.Context) (*llm.Response, bool) {
	var resp *llm.Response
	if !l.get(ctx, &resp) || resp == nil {
		return nil, false
	}
	return resp, true
}

func (l *cacheLookup) putChat(ctx context.Context, resp *llm.Response) {
	if resp == nil || len(resp.Choices) == 0 {
		return
	}
	l.put(ctx, resp)
}

// markHit marks a response served from the cache with LiteLLM's headers
// (the call's source says so to billing: a hit costs nothing).
func markHit(w http.ResponseWriter, l *cacheLookup) {
	h := w.Header()
	h.Set("X-Litellm-Cache-Hit", "True")
	h.Set("X-Litellm-Cache-Key", l.Key)
}

// markMiss names the key a cached request was stored under.
func markMiss(w http.ResponseWriter, l *cacheLookup) {
	if l != nil {
		w.Header().Set("X-Litellm-Cache-Key", l.Key)
	}
}

// replay turns a cached reply into a stream: a chunk per choice with its
// whole message, then a usage chunk.
func replay(resp *llm.Response) llm.Stream {
	created := resp.Created
	if created == 0 {
		created = time.Now().Unix()
	}
	s := &llm.SliceStream{}
	for _, ch := range resp.Choices {
		m := &ch.Message
		delta := llm.Delta{Role: m.Role, Content: m.Text(), Refusal: m.Refusal, Reasoning: m.Reasoning, HasContent: true}
		for i, tc := range m.ToolCalls {
			delta.ToolCalls = append(delta.ToolCalls, llm.ToolCallDelta{Index: i, ID: tc.ID, Type: tc.Type, Name: tc.Name, Arguments: tc.Arguments})
		}
		s.Chunks = append(s.Chunks, &llm.Chunk{ID: resp.ID, Model: resp.Model, Created: created, SystemFingerprint: resp.SystemFingerprint,
			Choices: []llm.ChunkChoice{{Index: ch.Index, Delta: delta, FinishReason: ch.FinishReason, NativeFinishReason: ch.NativeFinishReason}}})
	}
	if resp.Usage != nil {
		u := *resp.Usage
		s.Chunks = append(s.Chunks, &llm.Chunk{ID: resp.ID, Model: resp.Model, Created: created, Usage: &u})
	}
	return s
}

// streamCollector rebuilds a complete reply from a stream's chunks (choice
// 0), so a streamed answer can be cached and replayed to either kind of
// request.
type streamCollector struct {
	col    history.Collector
	resp   llm.Response
	finish string
	native string
	n      int
}

func (c *streamCollector) add(ch *llm.Chunk) {
	c.n++
	if c.resp.ID == "" {
		c.resp.ID, c.resp.Model, c.resp.Created, c.resp.SystemFingerprint = ch.ID, ch.Model, ch.Created, ch.SystemFingerprint
	}
	if ch.Usage != nil {
		u := *ch.Usage
		c.resp.Usage = &u
	}
	for i := range ch.Choices {
		if cc := &ch.Choices[i]; cc.Index == 0 && cc.FinishReason != "" {
			c.finish, c.native = cc.FinishReason, cc.NativeFinishReason
		}
	}
	c.col.Add(ch)
}

// response is the reply collected; without a finish reason it has no
// choices (an unfinished reply is not cached).
func (c *streamCollector) response() *llm.Response {
	resp := c.resp
	if c.finish != "" {
		resp.Choices = []llm.Choice{{Message: c.col.Message(true), FinishReason: c.finish, NativeFinishReason: c.native}}
	}
	return &resp
}
