package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// TestEveryKeyReadsItself: any valid key, a service key (no user) and a
// viewer's key included, reads its own /key/info (with ?key=itself or
// without), the models it may use (/model/info, /v1/model/info,
// /model_group/info) and its own team's /team/info, as LiteLLM lets it;
// nothing beyond that.
func TestEveryKeyReadsItself(t *testing.T) {
	m := newMgmt(t)
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"red","models":["gpt-4o-mini","gpt-4o"]}`)
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"blue"}`)
	service := m.must(mgmtMaster, "POST", "/key/generate", `{"team_id":"red","models":["gpt-4o-mini"]}`)["key"].(string)
	sibling := m.must(mgmtMaster, "POST", "/key/generate", `{"team_id":"red"}`)["key"].(string)
	viewer := m.newUser("vera", "internal_user_viewer", `,"models":["gpt-4o"]`)
	viewerTeamKey := m.must(mgmtMaster, "POST", "/key/generate", `{"user_id":"vera","team_id":"blue"}`)["key"].(string)

	for _, tt := range []struct {
		name, key, path string
		status          int
		want            []string // substrings of the body
		not             []string
	}{
		{"service key info", service, "/key/info", 200, []string{`"key":"` + store.HashKey(service) + `"`, `"team_id":"red"`}, nil},
		{"service key info by plaintext", service, "/key/info?key=" + service, 200, []string{`"team_id":"red"`}, nil},
		{"service key info by token", service, "/key/info?key=" + store.HashKey(service), 200, []string{`"team_id":"red"`}, nil},
		{"service key, a sibling key", service, "/key/info?key=" + sibling, 403, []string{"service key"}, nil},
		{"service key models", service, "/model/info", 200, []string{`"model_name":"gpt-4o-mini"`}, []string{`"model_name":"gpt-4o"`, "aws-secret-value", "claude"}},
		{"service key models, v1", service, "/v1/model/info", 200, []string{`"model_name":"gpt-4o-mini"`}, []string{`"model_name":"gpt-4o"`, "claude"}},
		{"service key model groups", service, "/model_group/info", 200, []string{`"model_group":"gpt-4o-mini"`, `"providers":["openai"]`}, []string{`"model_group":"gpt-4o"`}},
		{"service key model group by name", service, "/model_group/info?model_group=gpt-4o", 200, []string{`"data":[]`}, nil},
		{"service key team", service, "/team/info?team_id=red", 200, []string{`"team_id":"red"`, store.HashKey(service)}, []string{store.HashKey(sibling)}},
		{"service key team, implied", service, "/team/info", 200, []string{`"team_id":"red"`}, nil},
		{"service key, another team", service, "/team/info?team_id=blue", 403, nil, nil},
		{"viewer key info", viewerTeamKey, "/key/info", 200, []string{`"user_id":"vera"`}, nil},
		{"viewer key's team, not a member", viewerTeamKey, "/team/info?team_id=blue", 200, []string{`"team_id":"blue"`}, nil},
		{"viewer key's models", viewer, "/v1/model/info", 200, []string{`"model_name":"gpt-4o"`}, []string{"gpt-4o-mini", "claude"}},
		{"viewer, another team", viewer, "/team/info?team_id=red", 403, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m.t = t
			status, out := m.call(tt.key, "GET", tt.path, "")
			body := mustJSON(t, out)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %s: %s", w, body)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("body has %s: %s", n, body)
				}
			}
			if status == http.StatusForbidden && errMessage(out) == "" {
				t.Errorf("403 without a message")
			}
		})
	}
}

// mustJSON encodes a decoded body again, for substring checks.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
