package httpapi

import (
	"fmt"
	"net/http"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// decodeAndPick is the start every model route shares: read the body within
// the limit, decode it with the route's codec, record the model asked for
// and pick the deployment that serves it. The caller renders an error in its
// own wire format.
func decodeAndPick[T any](d *DataPlane, w http.ResponseWriter, r *http.Request,
	decode func([]byte) (T, error), model func(T) (name *string, stream bool)) (T, *router.Deployment, error) {
	var zero T
	body, err := d.readBody(w, r)
	if err != nil {
		return zero, nil, err
	}
	req, err := decode(body)
	if err != nil {
		return zero, nil, err
	}
	rec := obs.RecordFrom(r.Context())
	name, stream := model(req)
	// The key's alias for the name, if any, is the model served: access,
	// routing, limits and spend all apply to it.
	asked := *name
	*name = auth.FromContext(r.Context()).ModelFor(asked)
	rec.Model, rec.Stream = *name, stream
	dep, err := d.pick(rec, *name)
	if err != nil {
		if asked != *name {
			err = fmt.Errorf("your key's alias %q: %w", asked, err)
		}
		return zero, nil, err
	}
	if err := d.checkModel(r, *name); err != nil {
		return zero, nil, err
	}
	return req, dep, nil
}

// checkModel refuses a model the caller's key, user or team does not
// allow, with a 403 that names it.
func (d *DataPlane) checkModel(r *http.Request, model string) error {
	if d.Access == nil {
		return nil
	}
	if err := d.Access.CheckModel(auth.FromContext(r.Context()), model); err != nil {
		return &Error{Status: http.StatusForbidden, Type: "permission_error", Code: "model_not_allowed", Param: "model",
			Message: err.Error(), Err: err}
	}
	return nil
}
