package app

import (
	"strings"
	"testing"
)

// TestKeysReadThemselves: a service key of a team reads its own key, its
// models and its team through every front that serves those routes: the
// whole tree (local mode) and the gateway function alone, which the REST
// API sends /v1/* to (so /v1/model/info must be served there too).
func TestKeysReadThemselves(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		env := newStoreEnv(t)
		a := startLocalApp(t, env, Options{})
		if st, body := call(t, a.gw.URL, "POST", "/team/new", idMaster, `{"team_id":"red","models":["fake-echo"]}`); st != 200 {
			t.Fatalf("/team/new: %d %s", st, body)
		}
		st, body := call(t, a.gw.URL, "POST", "/key/generate", idMaster, `{"team_id":"red"}`)
		if st != 200 {
			t.Fatalf("/key/generate: %d %s", st, body)
		}
		key := between(body, `"key":"`, `"`)
		for _, tt := range []struct{ path, want string }{
			{"/key/info", `"team_id":"red"`},
			{"/key/info?key=" + key, `"team_id":"red"`},
			{"/model/info", `"model_name":"fake-echo"`},
			{"/v1/model/info", `"model_name":"fake-echo"`},
			{"/model_group/info", `"model_group":"fake-echo"`},
			{"/team/info?team_id=red", `"team_alias":null`},
		} {
			if st, body := call(t, a.gw.URL, "GET", tt.path, key, ""); st != 200 || !strings.Contains(body, tt.want) {
				t.Errorf("%s: %d %s", tt.path, st, body)
			}
		}
		if err := a.stop(); err != nil {
			t.Fatal(err)
		}

		gw := startLocalApp(t, env, Options{Groups: GroupDataPlane})
		if st, body := call(t, gw.gw.URL, "GET", "/v1/model/info", key, ""); st != 200 || !strings.Contains(body, `"model_name":"fake-echo"`) {
			t.Errorf("gateway function /v1/model/info: %d %s", st, body)
		}
		if st, _ := call(t, gw.gw.URL, "GET", "/key/info", key, ""); st != 404 {
			t.Errorf("gateway function /key/info: %d, want 404 (the admin function's route)", st)
		}
	})
}
