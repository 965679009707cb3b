package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/httpapi"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

// The callers of the role matrix, one per column.
var matrixCallers = []struct {
	name     string
	userRole string // the proxy role of the caller's user
	teamRole string // the caller's role in the fixture team
	orgRole  string // the caller's role in the fixture organization
}{
	{"master", "internal_user", "user", "internal_user"},
	{"proxy_admin", "proxy_admin", "user", "internal_user"},
	{"proxy_admin_viewer", "proxy_admin_viewer", "user", "internal_user"},
	{"internal_user", "internal_user", "user", "internal_user"},
	{"team_admin", "internal_user", "admin", "internal_user"},
	{"internal_user_viewer", "internal_user_viewer", "user", "internal_user"},
	{"service_key", "internal_user", "user", "internal_user"},
	{"org_admin", "internal_user", "user", "org_admin"},
}

// TestManagementRoleMatrix calls every management endpoint as every kind
// of caller, each on a fresh fixture of its own records (its user U with
// a second key K2, another user U2, an organization O holding both with
// the team T holding both, an empty organization O2), and checks
// allowed (A: 200; C: allowed but 409, self sign-up of an existing user)
// or forbidden (-: 403). Columns follow matrixCallers.
func TestManagementRoleMatrix(t *testing.T) {
	tests := []struct {
		method, path, body string
		want               string
	}{
		{"POST", "/key/generate", `{"user_id":"{U}"}`, "AA-AA--A"},
		{"POST", "/key/update", `{"key":"{K2}","key_alias":"renamed"}`, "AA-AA--A"},
		{"POST", "/key/delete", `{"keys":["{K2}"]}`, "AA-AA--A"},
		{"GET", "/key/info?key={K2}", "", "AAAAAA-A"},
		{"GET", "/key/list?user_id={U}", "", "AAAAAA-A"},
		{"POST", "/key/block", `{"key":"{K2}"}`, "AA------"},
		{"POST", "/key/unblock", `{"key":"{K2}"}`, "AA------"},
		{"POST", "/key/regenerate", `{"key":"{K2}"}`, "AA-AA--A"},
		{"POST", "/user/new", `{}`, "AA-CC--C"},
		{"GET", "/user/info?user_id={U}", "", "AAAAAA-A"},
		{"POST", "/user/update", `{"user_id":"{U}","user_alias":"x"}`, "AA------"},
		{"POST", "/user/delete", `{"user_ids":["{U2}"]}`, "AA------"},
		{"GET", "/user/list", "", "AAA-----"},
		{"POST", "/team/new", `{"team_alias":"new"}`, "AA------"},
		{"POST", "/team/update", `{"team_id":"{T}","team_alias":"renamed"}`, "AA--A--A"},
		{"POST", "/team/delete", `{"team_ids":["{T}"]}`, "AA-----A"},
		{"GET", "/team/info?team_id={T}", "", "AAAAAA-A"},
		{"GET", "/team/list", "", "AAAAAA-A"},
		{"POST", "/team/member_add", `{"team_id":"{T}","member":{"user_id":"{U3}","role":"user"}}`, "AA--A--A"},
		{"POST", "/team/member_delete", `{"team_id":"{T}","user_id":"{U2}"}`, "AA--A--A"},
		{"POST", "/team/member_update", `{"team_id":"{T}","user_id":"{U2}","role":"admin","max_budget_in_team":5}`, "AA--A--A"},
		{"GET", "/model/info", "", "AAAAAAAA"},
		{"GET", "/v1/model/info", "", "AAAAAAAA"},
		{"GET", "/model_group/info", "", "AAAAAAAA"},
		{"GET", "/spend/logs?user_id={U}", "", "AAAAAA-A"},
		{"GET", "/spend/logs?user_id={U2}", "", "AAA-----"},
		{"GET", "/spend/logs", "", "AAAAAA-A"},
		{"GET", "/global/spend/report?group_by=api_key", "", "AAAAAA-A"},
		{"GET", "/global/spend/report?internal_user_id={U2}", "", "AAA-----"},
		{"POST", "/organization/new", `{"organization_alias":"new"}`, "AA------"},
		{"PATCH", "/organization/update", `{"organization_id":"{O}","organization_alias":"renamed"}`, "AA-----A"},
		{"DELETE", "/organization/delete", `{"organization_ids":["{O2}"]}`, "AA------"},
		{"GET", "/organization/info?organization_id={O}", "", "AAAAAA-A"},
		{"GET", "/organization/list", "", "AAAAAA-A"},
		{"POST", "/organization/member_add", `{"organization_id":"{O}","member":{"user_id":"{U3}","role":"internal_user"}}`, "AA-----A"},
		{"PATCH", "/organization/member_update", `{"organization_id":"{O}","user_id":"{U2}","role":"org_admin"}`, "AA-----A"},
		{"DELETE", "/organization/member_delete", `{"organization_id":"{O}","user_id":"{U2}"}`, "AA-----A"},
		{"POST", "/model/new", `{"model_name":"m","litellm_params":{"model":"openai/gpt-4o"}}`, "AA------"},
		{"PATCH", "/model/update", `{"model_info":{"id":"{M}"},"model_name":"renamed"}`, "AA------"},
		{"POST", "/model/delete", `{"id":"{M}"}`, "AA------"},
	}
	// Every endpoint of the role table is in the matrix, and nothing else.
	covered := map[string]bool{}
	for _, tt := range tests {
		path, _, _ := strings.Cut(tt.path, "?")
		covered[path] = true
		if len(tt.want) != len(matrixCallers) {
			t.Fatalf("%s: want has %d columns, there are %d callers", tt.path, len(tt.want), len(matrixCallers))
		}
	}
	paths := 0
	for _, op := range tenancy.Ops() {
		if len(httpapi.ManagementPaths(op)) == 0 {
			t.Errorf("operation %s has a role rule but no route", op)
		}
		for _, ep := range httpapi.ManagementPaths(op) {
			paths++
			if !covered[ep] {
				t.Errorf("endpoint %s has a role rule but no row in the matrix", ep)
			}
		}
	}
	if len(covered) != paths {
		t.Errorf("matrix covers %d endpoints, the role table has %d", len(covered), paths)
	}

	m := newMgmt(t)
	n := 0
	for _, tt := range tests {
		for col, c := range matrixCallers {
			n++
			t.Run(fmt.Sprintf("%s/%s", tt.path, c.name), func(t *testing.T) {
				m.t = t
				sfx := fmt.Sprint(n)
				u, u2, u3, team, org, org2 := "u"+sfx, "u2-"+sfx, "u3-"+sfx, "t"+sfx, "o"+sfx, "o2-"+sfx
				acting := m.newUser(u, c.userRole, "")
				m.newUser(u2, "internal_user", "")
				m.newUser(u3, "internal_user", "")
				k2 := m.must(mgmtMaster, "POST", "/key/generate", `{"user_id":"`+u+`"}`)["key"].(string)
				m.must(mgmtMaster, "POST", "/organization/new", `{"organization_id":"`+org+`","organization_alias":"O"}`)
				m.must(mgmtMaster, "POST", "/organization/new", `{"organization_id":"`+org2+`","organization_alias":"O2"}`)
				m.must(mgmtMaster, "POST", "/organization/member_add", `{"organization_id":"`+org+`","member":[{"user_id":"`+u+`","role":"`+c.orgRole+`"},{"user_id":"`+u2+`","role":"internal_user"}]}`)
				m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"`+team+`","organization_id":"`+org+`","members_with_roles":[{"user_id":"`+u+`","role":"`+c.teamRole+`"},{"user_id":"`+u2+`","role":"user"}]}`)
				model := "m" + sfx
				m.must(mgmtMaster, "POST", "/model/new", `{"model_name":"m","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"`+model+`"}}`)
				switch c.name {
				case "master":
					acting = mgmtMaster
				case "service_key":
					acting = m.must(mgmtMaster, "POST", "/key/generate", `{}`)["key"].(string)
				}
				r := strings.NewReplacer("{U}", u, "{U2}", u2, "{U3}", u3, "{K2}", k2, "{T}", team, "{O}", org, "{O2}", org2, "{M}", model)
				status, out := m.call(acting, tt.method, r.Replace(tt.path), r.Replace(tt.body))
				switch want := tt.want[col]; want {
				case 'A':
					if status != http.StatusOK {
						t.Errorf("allowed: got %d %v", status, out)
					}
				case 'C':
					if status != http.StatusConflict {
						t.Errorf("allowed, conflict expected: got %d %v", status, out)
					}
				case '-':
					if status != http.StatusForbidden {
						t.Errorf("forbidden: got %d %v", status, out)
					} else if errMessage(out) == "" {
						t.Errorf("403 without a message: %v", out)
					}
				}
			})
		}
	}
}

// TestManagementContentType: the management API takes a JSON body sent as
// curl's default type for -d, and refuses a form or another type with 415.
func TestManagementContentType(t *testing.T) {
	m := newMgmt(t)
	tests := []struct {
		name, ctype, body string
		status            int
	}{
		{"curl -d default with JSON", "application/x-www-form-urlencoded", `{"models":["gpt-4o"]}`, 200},
		{"a form", "application/x-www-form-urlencoded", "models=gpt-4o", 415},
		{"text/plain with JSON", "text/plain", `{"models":["gpt-4o"]}`, 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", m.url+"/key/generate", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+mgmtMaster)
			req.Header.Set("Content-Type", tt.ctype)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
		})
	}
}
