package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

// ManagementService is what the management routes call (a
// *tenancy.Service). Every method applies the role table and the isolation
// rules itself; the handlers only decode and render.
type ManagementService interface {
	GenerateKey(ctx context.Context, p *auth.Principal, req *tenancy.KeyRequest) (*tenancy.KeyView, error)
	UpdateKey(ctx context.Context, p *auth.Principal, req *tenancy.KeyRequest) (*tenancy.KeyView, error)
	DeleteKeys(ctx context.Context, p *auth.Principal, req *tenancy.DeleteKeysRequest) (*tenancy.DeleteKeysResponse, error)
	KeyInfo(ctx context.Context, p *auth.Principal, ref string) (*tenancy.KeyInfoResponse, error)
	ListKeys(ctx context.Context, p *auth.Principal, q tenancy.KeyListQuery) (*tenancy.KeyList, error)
	BlockKey(ctx context.Context, p *auth.Principal, ref string, blocked bool) (*tenancy.KeyView, error)
	RegenerateKey(ctx context.Context, p *auth.Principal, req *tenancy.KeyRequest) (*tenancy.KeyView, error)

	NewUser(ctx context.Context, p *auth.Principal, req *tenancy.UserRequest) (*tenancy.NewUserResponse, error)
	UserInfo(ctx context.Context, p *auth.Principal, userID string) (*tenancy.UserInfoResponse, error)
	UpdateUser(ctx context.Context, p *auth.Principal, req *tenancy.UserRequest) (*tenancy.UserView, error)
	DeleteUsers(ctx context.Context, p *auth.Principal, req *tenancy.DeleteUsersRequest) (*tenancy.DeleteUsersResponse, error)
	ListUsers(ctx context.Context, p *auth.Principal, page, size int) (*tenancy.UserListResponse, error)

	NewTeam(ctx context.Context, p *auth.Principal, req *tenancy.TeamRequest) (*tenancy.TeamView, error)
	UpdateTeam(ctx context.Context, p *auth.Principal, req *tenancy.TeamRequest) (*tenancy.TeamView, error)
	DeleteTeams(ctx context.Context, p *auth.Principal, req *tenancy.DeleteTeamsRequest) (*tenancy.DeleteTeamsResponse, error)
	TeamInfo(ctx context.Context, p *auth.Principal, teamID string) (*tenancy.TeamInfoResponse, error)
	ListTeams(ctx context.Context, p *auth.Principal) ([]tenancy.TeamView, error)
	AddMembers(ctx context.Context, p *auth.Principal, req *tenancy.MemberRequest) (*tenancy.AddMembersResponse, error)
	UpdateMember(ctx context.Context, p *auth.Principal, req *tenancy.MemberRequest) (*tenancy.MemberUpdateResponse, error)
	DeleteMember(ctx context.Context, p *auth.Principal, req *tenancy.MemberRequest) (*tenancy.TeamView, error)

	NewOrg(ctx context.Context, p *auth.Principal, req *tenancy.OrgRequest) (*tenancy.OrgView, error)
	UpdateOrg(ctx context.Context, p *auth.Principal, req *tenancy.OrgRequest) (*tenancy.OrgView, error)
	DeleteOrgs(ctx context.Context, p *auth.Principal, req *tenancy.DeleteOrgsRequest) ([]tenancy.OrgView, error)
	OrgInfo(ctx context.Context, p *auth.Principal, id string) (*tenancy.OrgView, error)
	OrgInfoMany(ctx context.Context, p *auth.Principal, req *tenancy.OrgInfoRequest) ([]tenancy.OrgView, error)
	ListOrgs(ctx context.Context, p *auth.Principal) ([]tenancy.OrgView, error)
	AddOrgMembers(ctx context.Context, p *auth.Principal, req *tenancy.OrgMemberRequest) (*tenancy.OrgAddMemberResponse, error)
	UpdateOrgMember(ctx context.Context, p *auth.Principal, req *tenancy.OrgMemberRequest) (*tenancy.OrgMembership, error)
	DeleteOrgMember(ctx context.Context, p *auth.Principal, req *tenancy.OrgMemberRequest) (*tenancy.OrgMembership, error)

	ModelInfo(p *auth.Principal, model string) (*tenancy.ModelInfoResponse, error)
	ModelGroupInfo(p *auth.Principal, group string) (*tenancy.ModelGroupInfoResponse, error)
	NewModel(ctx context.Context, p *auth.Principal, req *tenancy.ModelRequest) (*tenancy.StoredModelView, error)
	UpdateModel(ctx context.Context, p *auth.Principal, req *tenancy.ModelRequest) (*tenancy.StoredModelView, error)
	DeleteModel(ctx context.Context, p *auth.Principal, req *tenancy.ModelDeleteRequest) (*tenancy.ModelDeleteResponse, error)
}

// managementRoutes are the paths LiteLLM serves each management operation
// on: Register mounts them, and a refusal names the path the caller
// called (routePath).
var managementRoutes = map[tenancy.Op][]string{
	tenancy.OpKeyGenerate:   {"/key/generate"},
	tenancy.OpKeyUpdate:     {"/key/update"},
	tenancy.OpKeyDelete:     {"/key/delete"},
	tenancy.OpKeyInfo:       {"/key/info"},
	tenancy.OpKeyList:       {"/key/list"},
	tenancy.OpKeyBlock:      {"/key/block"},
	tenancy.OpKeyUnblock:    {"/key/unblock"},
	tenancy.OpKeyRegenerate: {"/key/regenerate"},
	tenancy.OpUserNew:       {"/user/new"},
	tenancy.OpUserInfo:      {"/user/info"},
	tenancy.OpUserUpdate:    {"/user/update"},
	tenancy.OpUserDelete:    {"/user/delete"},
	tenancy.OpUserList:      {"/user/list"},
	tenancy.OpTeamNew:       {"/team/new"},
	tenancy.OpTeamUpdate:    {"/team/update"},
	tenancy.OpTeamDelete:    {"/team/delete"},
	tenancy.OpTeamInfo:      {"/team/info"},
	tenancy.OpTeamList:      {"/team/list"},
	tenancy.OpTeamMemberAdd: {"/team/member_add"},
	tenancy.OpTeamMemberDel: {"/team/member_delete"},
	tenancy.OpTeamMemberUpd: {"/team/member_update"},
	tenancy.OpOrgNew:        {"/organization/new"},
	tenancy.OpOrgUpdate:     {"/organization/update"},
	tenancy.OpOrgDelete:     {"/organization/delete"},
	tenancy.OpOrgInfo:       {"/organization/info"},
	tenancy.OpOrgList:       {"/organization/list"},
	tenancy.OpOrgMemberAdd:  {"/organization/member_add"},
	tenancy.OpOrgMemberUpd:  {"/organization/member_update"},
	tenancy.OpOrgMemberDel:  {"/organization/member_delete"},
	tenancy.OpModelInfo:     {"/model/info", modelInfoV1},
	tenancy.OpModelGroup:    {"/model_group/info"},
	tenancy.OpModelNew:      {"/model/new"},
	tenancy.OpModelUpdate:   {"/model/update"},
	tenancy.OpModelDelete:   {"/model/delete"},
	tenancy.OpSpendLogs:     {"/spend/logs"},
	tenancy.OpSpendReport:   {"/global/spend/report"},
}

// modelInfoV1 is the model-info path under /v1/, which the data plane's
// front serves too (RegisterDataPlaneReads).
const modelInfoV1 = "/v1/model/info"

// ManagementPaths returns the paths op is served on (for the tests).
func ManagementPaths(op tenancy.Op) []string { return managementRoutes[op] }

// refusedAt names route, the path the caller called, in a refusal by the
// role table (tenancy.Error.Named); other errors are returned as they are.
func refusedAt(err error, route string) error {
	var te *tenancy.Error
	if errors.As(err, &te) {
		if n := te.Named(route); n != te {
			return n
		}
	}
	return err
}

// routePath is the path of the route r matched (its pattern without the
// method), as the caller's errors name it.
func routePath(r *http.Request) string {
	_, path, _ := strings.Cut(r.Pattern, " ")
	return path
}

// Management is the management route group (/key/*, /user/*, /team/*,
// /organization/*, /model/info), LiteLLM-compatible.
type Management struct {
	Service ManagementService
	Auth    Authenticator
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Register mounts the management routes on mux.
func (m *Management) Register(mux Mux) {
	// call mounts h on every path of op for methods.
	call := func(methods string, op tenancy.Op, h func(*http.Request, *auth.Principal) (any, error)) {
		for _, path := range managementRoutes[op] {
			handle(mux, methods, path, m.serve(h))
		}
	}
	post := func(op tenancy.Op, h func(*http.Request, *auth.Principal) (any, error)) { call("POST", op, h) }
	get := func(op tenancy.Op, h func(*http.Request, *auth.Principal) (any, error)) { call("GET", op, h) }
	s := m.Service
	post(tenancy.OpKeyGenerate, decodeCall(m, tenancy.OpKeyGenerate, s.GenerateKey))
	post(tenancy.OpKeyUpdate, decodeCall(m, tenancy.OpKeyUpdate, s.UpdateKey))
	post(tenancy.OpKeyDelete, decodeCall(m, tenancy.OpKeyDelete, s.DeleteKeys))
	post(tenancy.OpKeyRegenerate, decodeCall(m, tenancy.OpKeyRegenerate, s.RegenerateKey))
	get(tenancy.OpKeyInfo, func(r *http.Request, p *auth.Principal) (any, error) {
		return s.KeyInfo(r.Context(), p, r.URL.Query().Get("key"))
	})
	get(tenancy.OpKeyList, m.listKeys)
	for op, blocked := range map[tenancy.Op]bool{tenancy.OpKeyBlock: true, tenancy.OpKeyUnblock: false} {
		post(op, func(r *http.Request, p *auth.Principal) (any, error) {
			var req struct {
				Key string `json:"key"`
			}
			if err := m.decode(r, &req); err != nil {
				return nil, err
			}
			return s.BlockKey(r.Context(), p, req.Key, blocked)
		})
	}

	post(tenancy.OpUserNew, decodeCall(m, tenancy.OpUserNew, s.NewUser))
	post(tenancy.OpUserUpdate, decodeCall(m, tenancy.OpUserUpdate, s.UpdateUser))
	post(tenancy.OpUserDelete, decodeCall(m, tenancy.OpUserDelete, s.DeleteUsers))
	get(tenancy.OpUserInfo, func(r *http.Request, p *auth.Principal) (any, error) {
		return s.UserInfo(r.Context(), p, r.URL.Query().Get("user_id"))
	})
	get(tenancy.OpUserList, func(r *http.Request, p *auth.Principal) (any, error) {
		page, size, err := pageParams(r)
		if err != nil {
			return nil, err
		}
		return s.ListUsers(r.Context(), p, page, size)
	})

	post(tenancy.OpTeamNew, decodeCall(m, tenancy.OpTeamNew, s.NewTeam))
	post(tenancy.OpTeamUpdate, decodeCall(m, tenancy.OpTeamUpdate, s.UpdateTeam))
	post(tenancy.OpTeamDelete, decodeCall(m, tenancy.OpTeamDelete, s.DeleteTeams))
	post(tenancy.OpTeamMemberAdd, decodeCall(m, tenancy.OpTeamMemberAdd, s.AddMembers))
	post(tenancy.OpTeamMemberUpd, decodeCall(m, tenancy.OpTeamMemberUpd, s.UpdateMember))
	post(tenancy.OpTeamMemberDel, decodeCall(m, tenancy.OpTeamMemberDel, s.DeleteMember))
	get(tenancy.OpTeamInfo, func(r *http.Request, p *auth.Principal) (any, error) {
		return s.TeamInfo(r.Context(), p, r.URL.Query().Get("team_id"))
	})
	get(tenancy.OpTeamList, func(r *http.Request, p *auth.Principal) (any, error) {
		return s.ListTeams(r.Context(), p)
	})

	// LiteLLM answers update and member_update on PATCH, delete and
	// member_delete on DELETE (each with a JSON body); its older releases
	// used POST, which is accepted too.
	post(tenancy.OpOrgNew, decodeCall(m, tenancy.OpOrgNew, s.NewOrg))
	call("PATCH, POST", tenancy.OpOrgUpdate, decodeCall(m, tenancy.OpOrgUpdate, s.UpdateOrg))
	call("DELETE, POST", tenancy.OpOrgDelete, decodeCall(m, tenancy.OpOrgDelete, s.DeleteOrgs))
	infoMany := decodeCall(m, tenancy.OpOrgInfo, s.OrgInfoMany)
	call("GET, POST", tenancy.OpOrgInfo, func(r *http.Request, p *auth.Principal) (any, error) {
		if r.Method == http.MethodPost {
			return infoMany(r, p) // LiteLLM's older {"organizations": [...]} form
		}
		return s.OrgInfo(r.Context(), p, r.URL.Query().Get("organization_id"))
	})
	get(tenancy.OpOrgList, func(r *http.Request, p *auth.Principal) (any, error) {
		return s.ListOrgs(r.Context(), p)
	})
	post(tenancy.OpOrgMemberAdd, decodeCall(m, tenancy.OpOrgMemberAdd, s.AddOrgMembers))
	call("PATCH, POST", tenancy.OpOrgMemberUpd, decodeCall(m, tenancy.OpOrgMemberUpd, s.UpdateOrgMember))
	call("DELETE, POST", tenancy.OpOrgMemberDel, decodeCall(m, tenancy.OpOrgMemberDel, s.DeleteOrgMember))

	get(tenancy.OpModelInfo, m.modelInfo)
	get(tenancy.OpModelGroup, func(r *http.Request, p *auth.Principal) (any, error) {
		return s.ModelGroupInfo(p, r.URL.Query().Get("model_group"))
	})
	// LiteLLM serves /model/update on POST and PATCH.
	post(tenancy.OpModelNew, decodeCall(m, tenancy.OpModelNew, s.NewModel))
	call("PATCH, POST", tenancy.OpModelUpdate, decodeCall(m, tenancy.OpModelUpdate, s.UpdateModel))
	post(tenancy.OpModelDelete, decodeCall(m, tenancy.OpModelDelete, s.DeleteModel))
}

// RegisterDataPlaneReads mounts the management reads whose paths the data
// plane's front serves (/v1/model/info is under /v1/, which the REST API
// sends to the gateway function), for a front that does not mount the
// whole management group.
func (m *Management) RegisterDataPlaneReads(mux Mux) {
	handle(mux, "GET", modelInfoV1, m.serve(m.modelInfo))
}

func (m *Management) modelInfo(r *http.Request, p *auth.Principal) (any, error) {
	return m.Service.ModelInfo(p, r.URL.Query().Get("model"))
}

// decodeCall adapts a service method that takes a JSON body, refusing
// fields that would be dropped (fields.go).
func decodeCall[Req, Resp any](m *Management, op tenancy.Op, call func(context.Context, *auth.Principal, *Req) (Resp, error)) func(*http.Request, *auth.Principal) (any, error) {
	return func(r *http.Request, p *auth.Principal) (any, error) {
		req := new(Req)
		if err := m.decodeFor(r, op, req); err != nil {
			return nil, err
		}
		return call(r.Context(), p, req)
	}
}

// keyListPage is /key/list's answer: hashes, or whole keys with
// return_full_object=true, as LiteLLM answers.
type keyListPage[T any] struct {
	Keys        []T `json:"keys"`
	TotalCount  int `json:"total_count"`
	CurrentPage int `json:"current_page"`
	TotalPages  int `json:"total_pages"`
}

func (m *Management) listKeys(r *http.Request, p *auth.Principal) (any, error) {
	q := r.URL.Query()
	page, size, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	list, err := m.Service.ListKeys(r.Context(), p, tenancy.KeyListQuery{UserID: q.Get("user_id"), TeamID: q.Get("team_id"),
		KeyAlias: q.Get("key_alias"), Page: page, Size: size})
	if err != nil {
		return nil, err
	}
	if full, _ := strconv.ParseBool(q.Get("return_full_object")); full {
		return keyListPage[tenancy.KeyView]{Keys: list.Keys, TotalCount: list.Total, CurrentPage: list.Page, TotalPages: list.PageCount}, nil
	}
	hashes := make([]string, len(list.Keys))
	for i, k := range list.Keys {
		hashes[i] = k.Token
	}
	return keyListPage[string]{Keys: hashes, TotalCount: list.Total, CurrentPage: list.Page, TotalPages: list.PageCount}, nil
}

func pageParams(r *http.Request) (page, size int, err error) {
	q := r.URL.Query()
	for _, f := range []struct {
		name string
		dst  *int
	}{{"page", &page}, {"size", &size}, {"page_size", &size}} {
		v := q.Get(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, badRequest(f.name, "%s must be a whole number of 1 or more, got %q", f.name, v)
		}
		*f.dst = n
	}
	return page, size, nil
}

// serve authenticates, runs h and renders its result as JSON or its error
// in OpenAI's error shape.
func (m *Management) serve(h func(*http.Request, *auth.Principal) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := m.Auth.Authenticate(r.Context(), r)
		if err != nil {
			writeError(w, r, proxyError(err))
			return
		}
		obs.RecordFrom(r.Context()).Principal = p.ID
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		out, err := h(r, p)
		if err != nil {
			writeError(w, r, proxyError(manageError(refusedAt(err, routePath(r)))))
			return
		}
		body, err := json.Marshal(out)
		if err != nil {
			writeError(w, r, fmt.Errorf("encoding the response: %w", err))
			return
		}
		writeRaw(w, body)
	}
}

// decode reads a JSON body into v; a wrong type names the field.
func (m *Management) decode(r *http.Request, v any) error {
	return m.decodeFor(r, "", v)
}

// decodeFor is decode for op: with an op, a field v does not have is
// refused (checkFields), never dropped.
func (m *Management) decodeFor(r *http.Request, op tenancy.Op, v any) error {
	limit := m.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	ct := r.Header.Get("Content-Type")
	if err := checkContentType(ct, nil); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: "reading request body", Err: err}
	}
	if int64(len(body)) > limit {
		return tooLarge(limit)
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := checkContentType(ct, body); err != nil {
		return err
	}
	if op != "" {
		if err := checkFields(routePath(r), op, body, v); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := jsonField(te.Field)
			return badRequest(field, "%s: expected %s, got a JSON %s", field, te.Type, te.Value)
		}
		return badRequest("", "request body is not valid JSON: %v", err)
	}
	return nil
}

// manageError gives management errors their status: the service's own
// refusals, and store failures that reach here unclassified.
func manageError(err error) error {
	var te *tenancy.Error
	if errors.As(err, &te) {
		e := &Error{Param: te.Field, Message: te.Message, Err: err}
		switch {
		case errors.Is(te.Kind, tenancy.ErrForbidden):
			e.Status, e.Type, e.Code = http.StatusForbidden, "permission_error", "forbidden"
		case errors.Is(te.Kind, tenancy.ErrNotFound):
			e.Status, e.Type, e.Code = http.StatusNotFound, "invalid_request_error", "not_found"
		case errors.Is(te.Kind, tenancy.ErrConflict):
			e.Status, e.Type, e.Code = http.StatusConflict, "invalid_request_error", "conflict"
		default:
			e.Status, e.Type = http.StatusBadRequest, "invalid_request_error"
		}
		return e
	}
	if errors.Is(err, store.ErrUnavailable) {
		return &Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "store_unavailable",
			Message: "the key store is unavailable; retry shortly", RetryAfter: 1, Err: err}
	}
	return err
}

// proxyTypes are the error types LiteLLM's management API answers with
// (its ProxyErrorTypes), by status; the code is the status as a string,
// as LiteLLM sends it.
var proxyTypes = map[int]string{
	http.StatusBadRequest:            "bad_request_error",
	http.StatusUnauthorized:          "auth_error",
	http.StatusForbidden:             "auth_error",
	http.StatusNotFound:              "not_found_error",
	http.StatusConflict:              "bad_request_error",
	http.StatusRequestEntityTooLarge: "bad_request_error",
	http.StatusUnsupportedMediaType:  "bad_request_error",
	http.StatusServiceUnavailable:    "no_db_connection",
}

// proxyError renders a management error in LiteLLM's ProxyException
// vocabulary, so clients written against LiteLLM's management API branch
// on the same type and code; the status, message and param stay ours.
func proxyError(err error) error {
	ae := *toAPIError(err)
	if t, ok := proxyTypes[ae.Status]; ok {
		ae.Type = t
	} else {
		ae.Type = "internal_server_error"
	}
	ae.Code = strconv.Itoa(ae.Status)
	if ae.Err == nil {
		ae.Err = err
	}
	return &ae
}

// jsonField drops the Go names of embedded structs from a decode error's
// field path ("LimitsInput.max_budget" is "max_budget" on the wire).
func jsonField(path string) string {
	parts := strings.Split(path, ".")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && !(p[0] >= 'A' && p[0] <= 'Z') {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}
