package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// decodeAndPick is the start every model route shares: read the body within
// the limit, decode it with the route's codec, record the model asked for,
// check that the caller may use it and every fallback it names, and pick
// the deployment that serves it. The caller renders an error in its own
// wire format.
func decodeAndPick[T any](d *DataPlane, w http.ResponseWriter, r *http.Request,
	decode func([]byte) (T, error), model func(T) (name *string, gw *llm.GatewayOptions, stream bool)) (T, *router.Deployment, error) {
	var zero T
	body, err := d.readBody(w, r)
	if err != nil {
		return zero, nil, err
	}
	deployment := r.PathValue("deployment") // Azure-style routes (azure.go)
	if deployment != "" {
		body = withModel(body, deployment)
	}
	req, err := decode(body)
	if err != nil {
		return zero, nil, err
	}
	rec := obs.RecordFrom(r.Context())
	name, gw, stream := model(req)
	if deployment != "" {
		*name = deployment
	} else if strings.Contains(*name, ",") {
		if _, ok := d.router.Group(*name); !ok {
			return zero, nil, newBatch(*name, body, stream)
		}
	}
	// The key's alias for the name, if any, is the model served: access,
	// routing, limits and spend all apply to it (and to a fallback named
	// the same way).
	p := auth.FromContext(r.Context())
	asked := *name
	*name = p.ModelFor(asked)
	for i, f := range gw.Fallbacks {
		gw.Fallbacks[i] = p.ModelFor(f)
	}
	rec.Model, rec.Stream = *name, stream
	dep, err := d.pick(rec, *name)
	if err != nil {
		if asked != *name {
			err = fmt.Errorf("your key's alias %q: %w", asked, err)
		}
		return zero, nil, err
	}
	if err := d.checkModel(r, *name, "model"); err != nil {
		return zero, nil, err
	}
	// A fallback the client names is a model it asks for: one it may not
	// use is refused here, with the reason. Configured fallbacks are
	// checked as the router reaches them (routeRequest).
	for _, f := range gw.Fallbacks {
		if err := d.checkModel(r, f, "fallbacks"); err != nil {
			return zero, nil, err
		}
	}
	return req, dep, nil
}

// checkModel refuses a model the caller's key, user or team does not
// allow, with a 403 that names it; param is the request field that named
// it.
func (d *DataPlane) checkModel(r *http.Request, model, param string) error {
	if d.access == nil {
		return nil
	}
	if err := d.access.CheckModel(auth.FromContext(r.Context()), model); err != nil {
		return &Error{Status: http.StatusForbidden, Type: "permission_error", Code: "model_not_allowed", Param: param,
			Message: err.Error(), Err: err}
	}
	return nil
}
