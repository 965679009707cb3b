package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
)

func testModels(t *testing.T, h *harness) {
	ctx := context.Background()
	m := &store.Model{ModelID: "m-1", ModelName: "claude", Params: json.RawMessage(`{"model":"anthropic/claude-3","api_key":"os.environ/ANTHROPIC_API_KEY"}`),
		Info: json.RawMessage(`{"id":"m-1"}`), CreatedBy: "admin"}
	must(t, h.CreateModel(ctx, m))
	if m.Version != 1 || m.CreatedAt.IsZero() {
		t.Fatalf("created model = %+v", m)
	}
	wantErr(t, h.CreateModel(ctx, &store.Model{ModelID: "m-1", ModelName: "x", Params: json.RawMessage(`{}`)}), store.ErrConflict)
	for _, bad := range []*store.Model{
		{ModelID: "", ModelName: "x", Params: json.RawMessage(`{}`)},
		{ModelID: "a#b", ModelName: "x", Params: json.RawMessage(`{}`)},
		{ModelID: "m-2", ModelName: "", Params: json.RawMessage(`{}`)},
		{ModelID: "m-2", ModelName: "x", Params: json.RawMessage(`[1]`)},
		{ModelID: "m-2", ModelName: "x", Params: nil},
		{ModelID: "m-2", ModelName: "x", Params: json.RawMessage(`{}`), Info: json.RawMessage(`"s"`)},
	} {
		wantErr(t, h.CreateModel(ctx, bad), store.ErrInvalid)
	}
	if _, err := h.GetModel(ctx, "m-2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused model was stored: %v", err)
	}
	must(t, h.CreateModel(ctx, &store.Model{ModelID: "m-0", ModelName: "gpt", Params: json.RawMessage(`{"model":"openai/gpt-4o"}`)}))

	got, err := h.GetModel(ctx, "m-1")
	must(t, err)
	if got.ModelName != "claude" || string(got.Info) != `{"id":"m-1"}` || got.Version != 1 || got.CreatedBy != "admin" {
		t.Fatalf("GetModel = %+v", got)
	}
	var params map[string]string
	must(t, json.Unmarshal(got.Params, &params))
	if params["api_key"] != "os.environ/ANTHROPIC_API_KEY" {
		t.Fatalf("params = %v", params)
	}

	stale := *got
	got.ModelName = "claude-v2"
	h.clock.Advance(time.Second)
	must(t, h.UpdateModel(ctx, got))
	wantErr(t, h.UpdateModel(ctx, &stale), store.ErrConflict)
	got, err = h.GetModel(ctx, "m-1")
	must(t, err)
	if got.ModelName != "claude-v2" || got.Version != 2 || !got.UpdatedAt.After(got.CreatedAt) {
		t.Fatalf("after update: %+v", got)
	}

	all, err := h.ListModels(ctx)
	must(t, err)
	if len(all) != 2 || all[0].ModelID != "m-0" || all[1].ModelID != "m-1" || all[1].ModelName != "claude-v2" {
		t.Fatalf("ListModels = %+v", all)
	}

	wantErr(t, h.DeleteModel(ctx, "m-1", 1), store.ErrConflict)
	must(t, h.DeleteModel(ctx, "m-1", 2))
	wantErr(t, h.DeleteModel(ctx, "m-1", 0), store.ErrNotFound)
	wantErr(t, h.UpdateModel(ctx, got), store.ErrNotFound)
	if _, err := h.GetModel(ctx, "m-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted model: %v", err)
	}
	all, err = h.ListModels(ctx)
	must(t, err)
	if len(all) != 1 || all[0].ModelID != "m-0" {
		t.Fatalf("ListModels after delete = %+v", all)
	}
}
