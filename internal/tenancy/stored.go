package tenancy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// StoredModels is what the model routes need besides the store (LiteLLM's
// store_model_in_db): the config's own parser for one deployment, the ids
// of the config file's deployments, which are not the API's to change, and
// whom to tell after a change so that this instance serves it at once.
type StoredModels struct {
	// Parse is config.Config.ParseDeployment of the serving config.
	Parse func(name string, doc []byte) (config.Deployment, error)
	// FileIDs are the deployment ids of the config file's models.
	FileIDs map[string]bool
	// Changed is called after every stored change; nil means nobody is
	// told (the next reload check lists the models).
	Changed func(ctx context.Context)
}

// ModelRequest is the body of /model/new and /model/update (LiteLLM's
// Deployment and updateDeployment).
type ModelRequest struct {
	ModelName     *string         `json:"model_name"`
	LiteLLMParams json.RawMessage `json:"litellm_params"`
	ModelInfo     json.RawMessage `json:"model_info"`
}

// ModelDeleteRequest is the body of /model/delete (LiteLLM's
// ModelInfoDelete).
type ModelDeleteRequest struct {
	ID string `json:"id"`
}

// StoredModelView is a stored model as /model/new and /model/update answer
// (LiteLLM's LiteLLM_ProxyModelTable row). Its credentials are os.environ/
// references, never values.
type StoredModelView struct {
	ModelID       string          `json:"model_id"`
	ModelName     string          `json:"model_name"`
	LiteLLMParams json.RawMessage `json:"litellm_params"`
	ModelInfo     json.RawMessage `json:"model_info"`
	CreatedAt     time.Time       `json:"created_at"`
	CreatedBy     string          `json:"created_by"`
	UpdatedAt     time.Time       `json:"updated_at"`
	UpdatedBy     string          `json:"updated_by"`
}

// ModelDeleteResponse is /model/delete's answer, LiteLLM's words.
type ModelDeleteResponse struct {
	Message string `json:"message"`
}

// errStoreModelOff is the refusal while store_model_in_db is off.
func errStoreModelOff() *Error {
	return invalid("", "models are managed through the API only with general_settings.store_model_in_db: true in the config; set it, or add the model to the config's model_list")
}

// storedOn authorizes op and checks store_model_in_db.
func (s *Service) storedOn(p *auth.Principal, op Op) error {
	if _, err := authorize(p, op); err != nil {
		return err
	}
	if s.stored == nil {
		return errStoreModelOff()
	}
	return nil
}

// NewModel stores a deployment (LiteLLM's /model/new). It is parsed with
// the config's own rules first, and refused with the config's message
// (nothing stored) when the config would refuse it; credentials must be
// os.environ/ references.
func (s *Service) NewModel(ctx context.Context, p *auth.Principal, req *ModelRequest) (*StoredModelView, error) {
	if err := s.storedOn(p, OpModelNew); err != nil {
		return nil, err
	}
	info, err := object("model_info", req.ModelInfo)
	if err != nil {
		return nil, err
	}
	id, _ := info["id"].(string)
	if _, set := info["id"]; set && id == "" {
		return nil, invalid("model_info.id", "model_info.id must be a non-empty string, or left out for a generated one")
	}
	if id == "" {
		id = newID()
		info["id"] = id
	}
	if s.stored.FileIDs[id] {
		return nil, &Error{Kind: ErrConflict, Field: "model_info.id", Message: "model " + quote(id) + " is a model of the config file; choose another model_info.id"}
	}
	params, err := object("litellm_params", req.LiteLLMParams)
	if err != nil {
		return nil, err
	}
	m := &store.Model{ModelID: id, ModelName: deref(req.ModelName), CreatedBy: actor(p), UpdatedBy: actor(p)}
	if err := s.checkModel(m, params, info); err != nil {
		return nil, err
	}
	if err := s.st.CreateModel(ctx, m); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Kind: ErrConflict, Field: "model_info.id", Message: "model " + quote(id) + " already exists; use /model/update", Err: err}
		}
		return nil, storeErr("creating model", err)
	}
	s.modelsChanged(ctx)
	return storedView(m), nil
}

// UpdateModel changes a stored deployment (LiteLLM's /model/update): the
// model_name when given, and each litellm_params and model_info key given
// (null removes one), then parses the result as NewModel does.
func (s *Service) UpdateModel(ctx context.Context, p *auth.Principal, req *ModelRequest) (*StoredModelView, error) {
	if err := s.storedOn(p, OpModelUpdate); err != nil {
		return nil, err
	}
	patchInfo, err := object("model_info", req.ModelInfo)
	if err != nil {
		return nil, err
	}
	id, _ := patchInfo["id"].(string)
	if id == "" {
		return nil, invalid("model_info.id", "model_info.id is required: the id of the model to update")
	}
	if s.stored.FileIDs[id] {
		return nil, invalid("model_info.id", "model %s is a model of the config file; change it in the file", quote(id))
	}
	patchParams, err := object("litellm_params", req.LiteLLMParams)
	if err != nil {
		return nil, err
	}
	m, err := s.st.GetModel(ctx, id)
	if err != nil {
		return nil, storeErr("model "+quote(id), err)
	}
	params, err := object("litellm_params", m.Params)
	if err != nil {
		return nil, err
	}
	info, err := object("model_info", m.Info)
	if err != nil {
		return nil, err
	}
	merge(params, patchParams)
	merge(info, patchInfo)
	if req.ModelName != nil {
		m.ModelName = *req.ModelName
	}
	m.UpdatedBy = actor(p)
	if err := s.checkModel(m, params, info); err != nil {
		return nil, err
	}
	if err := s.st.UpdateModel(ctx, m); err != nil {
		return nil, storeErr("updating model "+quote(id), err)
	}
	s.modelsChanged(ctx)
	return storedView(m), nil
}

// DeleteModel deletes a stored deployment (LiteLLM's /model/delete). A
// model of the config file is refused: it lives in the file.
func (s *Service) DeleteModel(ctx context.Context, p *auth.Principal, req *ModelDeleteRequest) (*ModelDeleteResponse, error) {
	if err := s.storedOn(p, OpModelDelete); err != nil {
		return nil, err
	}
	if req.ID == "" {
		return nil, invalid("id", "id is required: the model_info.id of the model to delete")
	}
	if s.stored.FileIDs[req.ID] {
		return nil, invalid("id", "model %s is a model of the config file; remove it from the file", quote(req.ID))
	}
	if err := s.st.DeleteModel(ctx, req.ID, 0); err != nil {
		return nil, storeErr("model "+quote(req.ID), err)
	}
	s.modelsChanged(ctx)
	return &ModelDeleteResponse{Message: fmt.Sprintf("Model: %s deleted successfully", req.ID)}, nil
}

// checkModel fills m's params and info and parses the deployment with the
// config's rules; a refusal carries the config's message.
func (s *Service) checkModel(m *store.Model, params, info map[string]any) error {
	var err error
	if m.Params, err = json.Marshal(params); err != nil {
		return fmt.Errorf("encoding litellm_params: %w", err)
	}
	if m.Info, err = json.Marshal(info); err != nil {
		return fmt.Errorf("encoding model_info: %w", err)
	}
	if _, err := s.stored.Parse("model "+m.ModelID, DeploymentDoc(m)); err != nil {
		e := &Error{Kind: ErrInvalid, Message: err.Error(), Err: err}
		var ce *config.Error
		if errors.As(err, &ce) && len(ce.Problems) == 1 {
			e.Field = ce.Problems[0].Path
		}
		return e
	}
	return nil
}

// DeploymentDoc is a stored model as the model_list entry
// config.Config.ParseDeployment reads.
func DeploymentDoc(m *store.Model) []byte {
	info := m.Info
	if len(info) == 0 {
		info = json.RawMessage("{}")
	}
	doc, _ := json.Marshal(struct { // RawMessages that are valid JSON objects: cannot fail
		ModelName string          `json:"model_name"`
		Params    json.RawMessage `json:"litellm_params"`
		Info      json.RawMessage `json:"model_info"`
	}{m.ModelName, m.Params, info})
	return doc
}

func (s *Service) modelsChanged(ctx context.Context) {
	if s.stored.Changed != nil {
		s.stored.Changed(ctx)
	}
}

// object decodes a JSON object field; absent or null is an empty one.
func object(field string, raw json.RawMessage) (map[string]any, error) {
	out := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil || out == nil {
		return nil, invalid(field, "%s must be a JSON object", field)
	}
	return out, nil
}

// merge applies patch to dst key by key; a null value removes the key.
func merge(dst, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		dst[k] = v
	}
}

func storedView(m *store.Model) *StoredModelView {
	return &StoredModelView{ModelID: m.ModelID, ModelName: m.ModelName, LiteLLMParams: m.Params, ModelInfo: m.Info,
		CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy, UpdatedAt: m.UpdatedAt, UpdatedBy: m.UpdatedBy}
}
