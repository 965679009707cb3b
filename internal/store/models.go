package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Model is a deployment added through the management API (LiteLLM's
// /model/new with general_settings.store_model_in_db): the model_list entry
// as the client sent it, which the gateway parses with the config file's own
// rules (config.ParseDeployment) and serves next to the file's models.
// Credentials in Params are only ever os.environ/ references; the caller
// refuses anything else before it reaches the store.
type Model struct {
	// ModelID is model_info.id, the deployment's id.
	ModelID   string `json:"model_id"`
	ModelName string `json:"model_name"`
	// Params is litellm_params as sent (a JSON object).
	Params json.RawMessage `json:"litellm_params"`
	// Info is model_info as sent (a JSON object), or empty.
	Info      json.RawMessage `json:"model_info,omitempty"`
	CreatedBy string          `json:"created_by,omitempty"`
	UpdatedBy string          `json:"updated_by,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	Version   int64           `json:"-"`
}

func (m *Model) validate() error {
	if err := checkID("model_id", m.ModelID); err != nil {
		return err
	}
	if m.ModelName == "" {
		return invalid("model_name is empty")
	}
	if !jsonObject(m.Params) {
		return invalid("litellm_params is not a JSON object")
	}
	if len(m.Info) > 0 && !jsonObject(m.Info) {
		return invalid("model_info is not a JSON object")
	}
	return nil
}

// jsonObject reports whether b is one JSON object.
func jsonObject(b json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}

func (m *Model) item() (*Item, error) {
	doc, err := encode(m)
	if err != nil {
		return nil, err
	}
	it := &Item{Table: StateTable, PK: pkModel(m.ModelID), SK: skModel, Version: m.Version, Doc: doc}
	it.Index[0] = IndexKey{PK: gsiModels, SK: m.ModelID}
	return it, nil
}

func modelFromItem(it *Item) (*Model, error) {
	var m Model
	if err := decode(it, &m); err != nil {
		return nil, err
	}
	m.Version = it.Version
	return &m, nil
}

// CreateModel stores a new model; ErrConflict if the id is taken.
func (s *Store) CreateModel(ctx context.Context, m *Model) error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("creating model: %w", err)
	}
	now := s.now().UTC()
	n := *m
	n.Version, n.CreatedAt, n.UpdatedAt = 1, now, now
	it, err := n.item()
	if err != nil {
		return fmt.Errorf("creating model: %w", err)
	}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondAbsent}}); err != nil {
		return fmt.Errorf("creating model %s: %w", m.ModelID, err)
	}
	*m = n
	return nil
}

// GetModel returns the model with the id, or ErrNotFound.
func (s *Store) GetModel(ctx context.Context, id string) (*Model, error) {
	if err := checkID("model_id", id); err != nil {
		return nil, fmt.Errorf("getting model: %w", err)
	}
	it, err := s.get(ctx, StateTable, pkModel(id), skModel)
	if err != nil {
		return nil, fmt.Errorf("getting model %s: %w", id, err)
	}
	return modelFromItem(it)
}

// UpdateModel replaces a model; m.Version must be the version read
// (ErrConflict otherwise, ErrNotFound when it was deleted).
func (s *Store) UpdateModel(ctx context.Context, m *Model) error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("updating model: %w", err)
	}
	n := *m
	n.Version, n.UpdatedAt = m.Version+1, s.now().UTC()
	it, err := n.item()
	if err != nil {
		return fmt.Errorf("updating model: %w", err)
	}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondVersion, Version: m.Version}}); err != nil {
		return fmt.Errorf("updating model %s: %w", m.ModelID, err)
	}
	*m = n
	return nil
}

// DeleteModel deletes a model (version 0: any version); ErrNotFound if
// there is none.
func (s *Store) DeleteModel(ctx context.Context, id string, version int64) error {
	if err := checkID("model_id", id); err != nil {
		return fmt.Errorf("deleting model: %w", err)
	}
	cond := Cond{Kind: CondLive}
	if version > 0 {
		cond = Cond{Kind: CondVersion, Version: version}
	}
	if err := s.write(ctx, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkModel(id), SK: skModel}, Cond: cond}); err != nil {
		return fmt.Errorf("deleting model %s: %w", id, err)
	}
	return nil
}

// ListModels returns every stored model by id: one index query per page
// of 1,000, which is what a gateway's config reload check costs.
func (s *Store) ListModels(ctx context.Context) ([]*Model, error) {
	items, err := s.queryAll(ctx, Query{Table: StateTable, Index: 1, PK: gsiModels})
	if err != nil {
		return nil, fmt.Errorf("listing models: %w", err)
	}
	out := make([]*Model, 0, len(items))
	for _, it := range items {
		m, err := modelFromItem(it)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
