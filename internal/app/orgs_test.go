package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

// TestOrganizationsOnTheMoneyPath: an organization bounds its teams at
// admission as a team bounds its keys, on both stores. Spend of every team
// rolls up to the organization, so its budget refuses a team that has
// budget of its own left, even when every client left its stream after
// the first chunk; its models bound every team key; a member's
// max_budget_in_organization bounds their keys; a blocked organization
// stops its keys; a team moved to another organization takes its keys
// along at once.
func TestOrganizationsOnTheMoneyPath(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		e := newBillingEnv(t, newStoreEnv(t))
		admin := func(method, path, body string) string {
			t.Helper()
			st, b := call(t, e.url, method, path, idMaster, body)
			if st != 200 {
				t.Fatalf("%s %s %s: %d %s", method, path, body, st, b)
			}
			return b
		}
		const n = 3
		perCall := 1000*cheapIn + 1000*cheapOut
		budget := jsonFloat((n - 0.5) * perCall)
		admin("POST", "/organization/new", `{"organization_id":"acme","organization_alias":"Acme","models":["cheap"],"max_budget":`+budget+`}`)
		admin("POST", "/organization/new", `{"organization_id":"globex","organization_alias":"Globex"}`)
		// Each team may spend the whole organization budget; together they
		// may not.
		admin("POST", "/team/new", `{"team_id":"t-a","organization_id":"acme","max_budget":`+budget+`}`)
		admin("POST", "/team/new", `{"team_id":"t-b","organization_id":"acme","max_budget":`+budget+`}`)
		ka, kb := e.newKey(`{"team_id":"t-a"}`), e.newKey(`{"team_id":"t-b"}`)

		var id string
		e.acts["leave"] = e.leavingStream(&id)
		admitted := 0
		for i := range 3 * n {
			key := []string{ka, kb}[i%2]
			id = "org-leave-" + itoa(i)
			resp, body := e.post(key, id, chatBody("cheap", "leave", true), 1)
			<-e.tr.get(id).done
			if resp.StatusCode == 200 {
				admitted++
				continue
			}
			if resp.StatusCode != 400 || !strings.Contains(body, "budget_exceeded") || !strings.Contains(body, "organization acme") {
				t.Fatalf("call %d: %d %s", i, resp.StatusCode, body)
			}
		}
		if admitted != n {
			t.Fatalf("%d calls of two teams admitted on an organization budget for %d (each team's own budget the same)", admitted, n)
		}
		var info struct {
			Spend float64 `json:"spend"`
			Teams []struct {
				TeamID string  `json:"team_id"`
				Spend  float64 `json:"spend"`
			} `json:"teams"`
		}
		if err := json.Unmarshal([]byte(admin("GET", "/organization/info?organization_id=acme", "")), &info); err != nil {
			t.Fatal(err)
		}
		teamSum := 0.0
		for _, tm := range info.Teams {
			teamSum += tm.Spend
		}
		if !near(info.Spend, n*perCall) || !near(teamSum, info.Spend) {
			t.Errorf("organization spend %g, its teams' %g; want %g", info.Spend, teamSum, n*perCall)
		}

		// The organization's models bound a team key whose team allows
		// every model.
		resp, body := e.post(ka, "org-model", chatBody("pricey", "leave", false), 0)
		if resp.StatusCode == 200 || !strings.Contains(body, "organization") {
			t.Errorf("a model beyond the organization's: %d %s", resp.StatusCode, body)
		}

		// Moved to globex, t-b's key is bounded by globex at once.
		admin("POST", "/team/update", `{"team_id":"t-b","organization_id":"globex"}`)
		e.acts["ok"] = func(w http.ResponseWriter, r *http.Request, model string) {
			openaitest.JSON(200, chatJSON(model, "ok", 10, 10))(w, r)
		}
		if resp, body := e.post(kb, "org-moved", chatBody("pricey", "ok", false), 0); resp.StatusCode != 200 {
			t.Fatalf("t-b's key after moving to globex: %d %s", resp.StatusCode, body)
		}
		if resp, body := e.post(ka, "org-stays", chatBody("cheap", "ok", false), 0); resp.StatusCode != 400 {
			t.Fatalf("t-a's key, still in acme: %d %s", resp.StatusCode, body)
		}

		// A blocked organization stops its keys.
		admin("PATCH", "/organization/update", `{"organization_id":"globex","blocked":true}`)
		if resp, body := e.post(kb, "org-blocked", chatBody("cheap", "ok", false), 0); resp.StatusCode != 401 ||
			!strings.Contains(body, "organization globex is blocked") {
			t.Fatalf("a key of a blocked organization: %d %s", resp.StatusCode, body)
		}

		// A member's budget within an organization bounds their keys of it.
		admin("POST", "/organization/new", `{"organization_id":"initech","organization_alias":"Initech"}`)
		admin("POST", "/organization/member_add", `{"organization_id":"initech","member":{"user_id":"milton","role":"internal_user"},"max_budget_in_organization":0}`)
		km := e.newKey(`{"user_id":"milton","organization_id":"initech"}`)
		if resp, body := e.post(km, "org-member-1", chatBody("cheap", "ok", false), 0); resp.StatusCode != 200 {
			t.Fatalf("a zero member budget admits one call: %d %s", resp.StatusCode, body)
		}
		if resp, body := e.post(km, "org-member-2", chatBody("cheap", "ok", false), 0); resp.StatusCode != 400 ||
			!strings.Contains(body, "user milton in organization initech") {
			t.Fatalf("member budget: %d %s", resp.StatusCode, body)
		}
		admin("PATCH", "/organization/member_update", `{"organization_id":"initech","user_id":"milton","max_budget_in_organization":5}`)
		if resp, body := e.post(km, "org-member-3", chatBody("cheap", "ok", false), 0); resp.StatusCode != 200 {
			t.Fatalf("after member_update: %d %s", resp.StatusCode, body)
		}
	})
}

// TestOrganizationBudgetUnderConcurrency: in strict budget mode, 30
// streamed calls at once from the keys of three teams of one organization
// (no team budgets), whose admitted clients all leave after the first
// chunk, never spend more than the organization's budget, and every
// admitted call is billed. The organization is one more counter in the
// same conditional write as the team's, so it holds as the team's does.
// On both stores.
func TestOrganizationBudgetUnderConcurrency(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		env := newStoreEnv(t)
		env["TOLLGATE_BUDGET_MODE"] = "strict"
		e := newBillingEnv(t, env)
		const calls, budget = 30, 0.002 // each reserves a little over 100 output tokens' 0.0002
		if st, b := call(t, e.url, "POST", "/organization/new", idMaster, `{"organization_id":"acme","organization_alias":"Acme","max_budget":`+jsonFloat(budget)+`}`); st != 200 {
			t.Fatalf("/organization/new: %d %s", st, b)
		}
		var keys []string
		for _, team := range []string{"t1", "t2", "t3"} {
			if st, b := call(t, e.url, "POST", "/team/new", idMaster, `{"team_id":"`+team+`","organization_id":"acme"}`); st != 200 {
				t.Fatalf("/team/new: %d %s", st, b)
			}
			keys = append(keys, e.newKey(`{"team_id":"`+team+`"}`))
		}
		release := make(chan struct{})
		e.acts["race"] = func(w http.ResponseWriter, r *http.Request, _ string) {
			openaitest.StartSSE(w)
			openaitest.WriteEvent(w, chunkEvent("first"))
			select { // every call is admitted or refused before any finishes
			case <-release:
			case <-r.Context().Done():
			}
			openaitest.WriteEvent(w, chunkEvent(" rest"))
			openaitest.WriteEvent(w, usageEvent(5, 100))
			openaitest.WriteEvent(w, "[DONE]")
		}
		body := `{"model":"cheap","stream":true,"max_tokens":100,"messages":[{"role":"user","content":"race"}]}`
		var mu sync.Mutex
		got := map[int]int{}
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				resp, b := e.post(keys[i%len(keys)], "org-race-"+itoa(i), body, 1)
				if resp.StatusCode != 200 && (resp.StatusCode != 400 || !strings.Contains(b, "organization acme")) {
					t.Errorf("call %d: %d %s", i, resp.StatusCode, b)
				}
				mu.Lock()
				got[resp.StatusCode]++
				mu.Unlock()
			})
		}
		wg.Wait() // each admitted client has left after its first chunk
		close(release)
		for i := range calls {
			<-e.tr.get("org-race-" + itoa(i)).done
		}
		spent, records := 0.0, 0
		for _, k := range keys {
			s, n := keySpend(t, e.url, k)
			spent, records = spent+s, records+n
		}
		perCall := 5*cheapIn + 100*cheapOut
		if got[200] < 2 || got[400] == 0 || records != got[200] || spent > budget || !near(spent, float64(got[200])*perCall) {
			t.Fatalf("strict organization budget %g: %v, %d records spending %g", budget, got, records, spent)
		}
	})
}

// near reports whether two amounts agree to a billionth of a dollar per
// call's worth of rounding.
func near(a, b float64) bool {
	d := a - b
	return d < 1e-8 && d > -1e-8
}
