package httpapi

import (
	"net/http"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/auth"

	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// listModels serves GET /v1/models: every model group the caller may use,
// in OpenAI's shape. LiteLLM's query options: include_model_access_groups
// adds the access groups (model_info.access_groups) of those models as
// entries, only_model_access_groups lists only them; wildcard routes
// ("bedrock/*") are always listed as configured, which is what
// return_wildcard_routes=true asks for (LiteLLM's default, false, lists
// a wildcard's provider models instead, which Tollgate does not expand);
// include_metadata is accepted when false (the default), and options
// Tollgate cannot honour are refused by name.
func (d *DataPlane) listModels(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	flag := func(name string) (bool, error) {
		v := q.Get(name)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, badRequest(name, "%s must be true or false, got %q", name, v)
		}
		return b, nil
	}
	var include, only bool
	for _, o := range []struct {
		name string
		dst  *bool
		why  string // why true cannot be honoured ("" when it can)
	}{
		{"include_model_access_groups", &include, ""},
		{"only_model_access_groups", &only, ""},
		{"return_wildcard_routes", new(bool), ""}, // honoured either way: see above
		{"include_metadata", new(bool), "model metadata is at GET /model/info and /model_group/info"},
	} {
		v, err := flag(o.name)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if v && o.why != "" {
			writeError(w, r, badRequest(o.name, "%s=true is not supported by Tollgate: %s", o.name, o.why))
			return
		}
		*o.dst = v
	}
	for _, name := range []string{"team_id", "fallback_type"} {
		if q.Get(name) != "" {
			writeError(w, r, badRequest(name, "%s is not supported by Tollgate on /v1/models: it lists the models of the calling key", name))
			return
		}
	}
	names := d.router.Models()
	if d.access != nil {
		names = d.access.FilterModels(auth.FromContext(r.Context()), names)
	}
	if include || only {
		groups := d.accessGroups(names)
		if only {
			names = groups
		} else {
			names = append(names, groups...)
		}
	}
	models := make([]oai.Model, len(names))
	for i, name := range names {
		models[i] = d.model(name)
	}
	writeRaw(w, oai.AppendModelList(make([]byte, 0, 64+80*len(names)), models))
}

// accessGroups are the access groups of the named models, each once.
func (d *DataPlane) accessGroups(names []string) []string {
	if d.access == nil {
		return nil
	}
	return d.access.AccessGroups(names)
}

// getModel serves GET /v1/models/{id}; ids may contain slashes.
func (d *DataPlane) getModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("id")
	if _, ok := d.router.Group(name); !ok || d.checkModel(r, name, "model") != nil {
		writeError(w, r, &Error{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "model_not_found", Param: "model",
			Message: "model " + strconv.Quote(name) + " not found: GET /v1/models lists the models you can use"})
		return
	}
	writeRaw(w, oai.AppendModel(nil, d.model(name)))
}

// model describes a group; owned_by is the provider of its first deployment.
func (d *DataPlane) model(name string) oai.Model {
	m := oai.Model{ID: name, Created: d.created.Unix(), OwnedBy: "tollgate"}
	if g, _ := d.router.Group(name); len(g) > 0 {
		m.OwnedBy = g[0].Provider
	}
	return m
}

func writeRaw(w http.ResponseWriter, body []byte) { writeRawStatus(w, http.StatusOK, body) }

// writeRawStatus is writeRaw with another status.
func writeRawStatus(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
