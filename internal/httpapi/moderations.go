package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/auth"
)

// moderations serves POST /v1/moderations and /moderations. No provider
// adapter Tollgate ships can moderate, so a request is answered as
// LiteLLM's proxy answers one it cannot route: an unknown (or missing)
// model is a 400 naming it, and a configured model is a 501 that says
// moderation is not available for it, the answer Tollgate gives every
// feature a provider is recognised for but not yet served.
func (d *DataPlane) moderations(w http.ResponseWriter, r *http.Request) {
	body, err := d.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Model string          `json:"model"`
		Input json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, badRequest("", "request body is not valid JSON: %v", err))
		return
	}
	if len(req.Input) == 0 || asksNothing(req.Input) {
		writeError(w, r, badRequest("input", "input is required: the text (or list of texts) to classify"))
		return
	}
	name := auth.FromContext(r.Context()).ModelFor(req.Model)
	g, ok := d.router.Group(name)
	if req.Model == "" || !ok {
		writeError(w, r, &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "model_not_found", Param: "model",
			Message: "/moderations: Invalid model name passed in model=" + strconv.Quote(req.Model) + ". Call `/v1/models` to view available models for your key."})
		return
	}
	if err := d.checkModel(r, name, "model"); err != nil {
		writeError(w, r, err)
		return
	}
	writeError(w, r, &Error{Status: http.StatusNotImplemented, Type: "invalid_request_error", Code: "not_implemented", Param: "model",
		Message: "moderation is not available in Tollgate yet: no provider adapter serves it, so model " + strconv.Quote(name) +
			" (" + g[0].Provider + ") cannot moderate"})
}
