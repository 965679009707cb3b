package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/auth"
)

// RouteInfo is one entry of GET /routes (LiteLLM's shape).
type RouteInfo struct {
	Path    string   `json:"path"`
	Methods []string `json:"methods"`
	Name    string   `json:"name"`
}

// RegisterRoutes mounts GET /routes: every route the deployment serves
// (both functions'), for any valid key, as LiteLLM lists its routes.
// patterns returns the method-qualified patterns ("POST /v1/…").
func RegisterRoutes(mux Mux, authn Authenticator, patterns func() []string) {
	m := &Management{Auth: authn}
	handle(mux, "GET", "/routes", m.serve(func(*http.Request, *auth.Principal) (any, error) {
		return map[string][]RouteInfo{"routes": routeInfos(patterns())}, nil
	}))
}

// routeInfos groups patterns by path, methods sorted, paths sorted.
func routeInfos(patterns []string) []RouteInfo {
	byPath := map[string]*RouteInfo{}
	var paths []string
	for _, p := range patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			continue
		}
		ri := byPath[path]
		if ri == nil {
			ri = &RouteInfo{Path: path, Name: strings.Trim(strings.NewReplacer("/", "_", "{", "", "}", "", ".", "").Replace(path), "_")}
			byPath[path] = ri
			paths = append(paths, path)
		}
		if !slices.Contains(ri.Methods, method) {
			ri.Methods = append(ri.Methods, method)
		}
	}
	slices.Sort(paths)
	out := make([]RouteInfo, 0, len(paths))
	for _, p := range paths {
		ri := byPath[p]
		slices.Sort(ri.Methods)
		out = append(out, *ri)
	}
	return out
}
