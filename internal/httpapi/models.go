package httpapi

import (
	"net/http"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/auth"

	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// listModels serves GET /v1/models: every model group, in OpenAI's shape.
func (d *DataPlane) listModels(w http.ResponseWriter, r *http.Request) {
	names := d.Router.Models()
	if d.Access != nil {
		names = d.Access.FilterModels(auth.FromContext(r.Context()), names)
	}
	models := make([]oai.Model, len(names))
	for i, name := range names {
		models[i] = d.model(name)
	}
	writeRaw(w, oai.AppendModelList(make([]byte, 0, 64+80*len(names)), models))
}

// getModel serves GET /v1/models/{id}; ids may contain slashes.
func (d *DataPlane) getModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("id")
	if _, ok := d.Router.Group(name); !ok || d.checkModel(r, name, "model") != nil {
		writeError(w, r, &Error{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "model_not_found", Param: "model",
			Message: "model " + strconv.Quote(name) + " not found: GET /v1/models lists the models you can use"})
		return
	}
	writeRaw(w, oai.AppendModel(nil, d.model(name)))
}

// model describes a group; owned_by is the provider of its first deployment.
func (d *DataPlane) model(name string) oai.Model {
	m := oai.Model{ID: name, Created: d.Created.Unix(), OwnedBy: "tollgate"}
	if g, _ := d.Router.Group(name); len(g) > 0 {
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
