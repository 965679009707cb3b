package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

// SpendService is what the spend routes call (a *tenancy.Service), which
// applies the role table itself.
type SpendService interface {
	SpendLogs(ctx context.Context, p *auth.Principal, q tenancy.SpendLogsQuery) (*tenancy.SpendLogsPage, error)
	GlobalSpendReport(ctx context.Context, p *auth.Principal, q tenancy.SpendReportQuery) (tenancy.SpendReport, error)
}

// SpendRoutes are the spend report routes, LiteLLM-compatible:
// GET /spend/logs and GET /global/spend/report.
type SpendRoutes struct {
	Service SpendService
	Auth    Authenticator
}

// Register mounts the spend routes on mux.
func (s *SpendRoutes) Register(mux Mux) {
	m := &Management{Auth: s.Auth}
	for _, r := range []struct {
		op tenancy.Op
		h  func(*http.Request, *auth.Principal) (any, error)
	}{{tenancy.OpSpendLogs, s.logs}, {tenancy.OpSpendReport, s.report}} {
		for _, path := range managementRoutes[r.op] {
			handle(mux, "GET", path, m.serve(r.h))
		}
	}
}

// logs serves /spend/logs?api_key=&user_id=&team_id=&request_id=
// &start_date=&end_date=: a list of spend records, as LiteLLM answers, or
// with page_size/cursor one page {"data", "next_cursor"}.
func (s *SpendRoutes) logs(r *http.Request, p *auth.Principal) (any, error) {
	q := r.URL.Query()
	lq := tenancy.SpendLogsQuery{APIKey: q.Get("api_key"), UserID: q.Get("user_id"), TeamID: q.Get("team_id"),
		RequestID: q.Get("request_id"), StartDate: q.Get("start_date"), EndDate: q.Get("end_date"), Cursor: q.Get("cursor")}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, badRequest("page_size", "page_size must be a whole number from 1 to 1000, got %q", v)
		}
		lq.PageSize = n
	}
	page, err := s.Service.SpendLogs(r.Context(), p, lq)
	if err != nil {
		return nil, err
	}
	if lq.PageSize > 0 || lq.Cursor != "" {
		return page, nil
	}
	return page.Data, nil
}

// report serves /global/spend/report?start_date=&end_date=&group_by=
// (team, api_key, customer, model)&api_key=&internal_user_id=&team_id=
// &customer_id=.
func (s *SpendRoutes) report(r *http.Request, p *auth.Principal) (any, error) {
	q := r.URL.Query()
	out, err := s.Service.GlobalSpendReport(r.Context(), p, tenancy.SpendReportQuery{StartDate: q.Get("start_date"),
		EndDate: q.Get("end_date"), GroupBy: q.Get("group_by"), APIKey: q.Get("api_key"), UserID: q.Get("internal_user_id"),
		TeamID: q.Get("team_id"), CustomerID: q.Get("customer_id")})
	if err != nil {
		return nil, err
	}
	return out, nil
}
