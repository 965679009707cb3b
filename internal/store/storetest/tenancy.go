package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/store"
)

func testUsers(t *testing.T, h *harness) {
	ctx := context.Background()
	u := &store.User{UserID: "[email protected]", Email: "[email protected]", Role: "internal_user",
		Limits: store.Limits{MaxBudget: ptr(1000.0), BudgetDuration: "1mo", MaxParallelRequests: ptr(int64(2)),
			ModelRPMLimit: map[string]int64{"claude": 1}}}
	must(t, h.CreateUser(ctx, u))
	wantErr(t, h.CreateUser(ctx, &store.User{UserID: "[email protected]"}), store.ErrConflict)
	wantErr(t, h.CreateUser(ctx, &store.User{UserID: "x", Role: "root"}), store.ErrInvalid)
	wantErr(t, h.CreateUser(ctx, &store.User{UserID: ""}), store.ErrInvalid)

	got, err := h.GetUser(ctx, "[email protected]")
	must(t, err)
	if got.Email != u.Email || *got.MaxParallelRequests != 2 || got.ModelRPMLimit["claude"] != 1 || got.Version != 1 {
		t.Fatalf("GetUser = %+v", got)
	}
	stale := *got
	got.RPMLimit = ptr(int64(10))
	must(t, h.UpdateUser(ctx, got))
	wantErr(t, h.UpdateUser(ctx, &stale), store.ErrConflict)
	got, err = h.GetUser(ctx, "[email protected]")
	must(t, err)
	if got.RPMLimit == nil || *got.RPMLimit != 10 || got.Version != 2 {
		t.Fatalf("after update: %+v", got)
	}

	for i := range 7 {
		must(t, h.CreateUser(ctx, &store.User{UserID: fmt.Sprintf("user-%02d", i)}))
	}
	var ids []string
	p := store.Page{Limit: 3}
	for {
		users, next, err := h.ListUsers(ctx, p)
		must(t, err)
		for _, u := range users {
			ids = append(ids, u.UserID)
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if len(ids) != 8 || !sort.StringsAreSorted(ids) {
		t.Fatalf("ListUsers = %v", ids)
	}

	wantErr(t, h.DeleteUser(ctx, "[email protected]", 1), store.ErrConflict)
	must(t, h.DeleteUser(ctx, "[email protected]", 2))
	wantErr(t, h.DeleteUser(ctx, "[email protected]", 0), store.ErrNotFound)
	if _, err := h.GetUser(ctx, "[email protected]"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted user: %v", err)
	}
}

func testTeams(t *testing.T, h *harness) {
	ctx := context.Background()
	team := &store.Team{TeamID: "eng", Alias: "Engineering", Limits: store.Limits{Models: []string{"gpt-4o"}, MaxBudget: ptr(50.0)}}
	must(t, h.CreateTeam(ctx, team))
	must(t, h.CreateTeam(ctx, &store.Team{TeamID: "ops"}))
	wantErr(t, h.CreateTeam(ctx, &store.Team{TeamID: "eng"}), store.ErrConflict)

	must(t, h.PutTeamMember(ctx, store.Member{TeamID: "eng", UserID: "alice", Role: "admin"}))
	must(t, h.PutTeamMember(ctx, store.Member{TeamID: "eng", UserID: "bob", Role: "user"}))
	must(t, h.PutTeamMember(ctx, store.Member{TeamID: "ops", UserID: "alice", Role: "user"}))
	wantErr(t, h.PutTeamMember(ctx, store.Member{TeamID: "nope", UserID: "alice", Role: "user"}), store.ErrNotFound)
	wantErr(t, h.PutTeamMember(ctx, store.Member{TeamID: "eng", UserID: "carol", Role: "owner"}), store.ErrInvalid)
	// Changing a role replaces the membership.
	must(t, h.PutTeamMember(ctx, store.Member{TeamID: "eng", UserID: "bob", Role: "admin"}))

	got, err := h.GetTeam(ctx, "eng")
	must(t, err)
	roles := map[string]string{}
	for _, m := range got.Members {
		roles[m.UserID] = m.Role
	}
	if got.Alias != "Engineering" || *got.MaxBudget != 50 || len(roles) != 2 || roles["alice"] != "admin" || roles["bob"] != "admin" {
		t.Fatalf("GetTeam = %+v members %v", got, roles)
	}
	mine, err := h.UserTeams(ctx, "alice")
	must(t, err)
	if len(mine) != 2 || mine[0].TeamID != "eng" || mine[1].TeamID != "ops" || mine[0].Role != "admin" {
		t.Fatalf("UserTeams(alice) = %+v", mine)
	}

	stale := *got
	got.Blocked = true
	must(t, h.UpdateTeam(ctx, got))
	wantErr(t, h.UpdateTeam(ctx, &stale), store.ErrConflict)

	must(t, h.RemoveTeamMember(ctx, "eng", "bob"))
	wantErr(t, h.RemoveTeamMember(ctx, "eng", "bob"), store.ErrNotFound)
	if bobs, err := h.UserTeams(ctx, "bob"); err != nil || len(bobs) != 0 {
		t.Fatalf("UserTeams(bob) after removal = %v, %v", bobs, err)
	}

	teams, _, err := h.ListTeams(ctx, store.Page{})
	must(t, err)
	if len(teams) != 2 || teams[0].TeamID != "eng" || !teams[0].Blocked {
		t.Fatalf("ListTeams = %+v", teams)
	}

	wantErr(t, h.DeleteTeam(ctx, "eng", 1), store.ErrConflict)
	if still, err := h.GetTeam(ctx, "eng"); err != nil || len(still.Members) != 1 {
		t.Fatalf("a refused team delete removed members: %+v, %v", still, err)
	}
	must(t, h.DeleteTeam(ctx, "eng", 0))
	if _, err := h.GetTeam(ctx, "eng"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted team: %v", err)
	}
	mine, err = h.UserTeams(ctx, "alice")
	must(t, err)
	if len(mine) != 1 || mine[0].TeamID != "ops" {
		t.Fatalf("UserTeams(alice) after team delete = %+v", mine)
	}
}

func testOrganizations(t *testing.T, h *harness) {
	ctx := context.Background()
	org := &store.Organization{OrganizationID: "acme", Alias: "Acme", CreatedBy: "admin",
		Limits: store.Limits{Models: []string{"gpt-4o"}, MaxBudget: ptr(100.0), BudgetDuration: "1mo"}}
	must(t, h.CreateOrganization(ctx, org))
	must(t, h.CreateOrganization(ctx, &store.Organization{OrganizationID: "globex"}))
	wantErr(t, h.CreateOrganization(ctx, &store.Organization{OrganizationID: "acme"}), store.ErrConflict)
	wantErr(t, h.CreateOrganization(ctx, &store.Organization{OrganizationID: "a#b"}), store.ErrInvalid)
	wantErr(t, h.CreateOrganization(ctx, &store.Organization{OrganizationID: "neg", Limits: store.Limits{MaxBudget: ptr(-1.0)}}), store.ErrInvalid)

	must(t, h.PutOrgMember(ctx, store.OrgMember{OrganizationID: "acme", UserID: "alice", Role: "org_admin"}))
	must(t, h.PutOrgMember(ctx, store.OrgMember{OrganizationID: "acme", UserID: "bob", Role: "internal_user", MaxBudgetInOrg: ptr(5.0)}))
	must(t, h.PutOrgMember(ctx, store.OrgMember{OrganizationID: "globex", UserID: "alice", Role: "internal_user_viewer"}))
	wantErr(t, h.PutOrgMember(ctx, store.OrgMember{OrganizationID: "nope", UserID: "alice", Role: "internal_user"}), store.ErrNotFound)
	wantErr(t, h.PutOrgMember(ctx, store.OrgMember{OrganizationID: "acme", UserID: "carol", Role: "admin"}), store.ErrInvalid)
	wantErr(t, h.PutOrgMember(ctx, store.OrgMember{OrganizationID: "acme", UserID: "carol", Role: "internal_user", MaxBudgetInOrg: ptr(-2.0)}), store.ErrInvalid)

	got, err := h.GetOrganization(ctx, "acme")
	must(t, err)
	if got.Alias != "Acme" || *got.MaxBudget != 100 || got.BudgetDuration != "1mo" || got.CreatedBy != "admin" || len(got.Members) != 2 {
		t.Fatalf("GetOrganization = %+v", got)
	}
	if b := got.Member("bob"); b == nil || *b.MaxBudgetInOrg != 5 || got.For(b) == nil || *got.For(b).MaxBudget != 5 || got.For(b).BudgetDuration != "1mo" {
		t.Fatalf("bob's membership = %+v", b)
	}
	if got.For(got.Member("alice")) != nil {
		t.Fatal("a member without a budget has limits in the organization")
	}
	mine, err := h.UserOrgs(ctx, "alice")
	must(t, err)
	if len(mine) != 2 || mine[0].OrganizationID != "acme" || mine[0].Role != "org_admin" || mine[1].OrganizationID != "globex" {
		t.Fatalf("UserOrgs(alice) = %+v", mine)
	}

	stale := *got
	got.Blocked = true
	must(t, h.UpdateOrganization(ctx, got))
	wantErr(t, h.UpdateOrganization(ctx, &stale), store.ErrConflict)

	// Teams and keys join only organizations that exist, and may move.
	must(t, h.CreateTeam(ctx, &store.Team{TeamID: "eng", OrganizationID: "acme"}))
	wantErr(t, h.CreateTeam(ctx, &store.Team{TeamID: "lost", OrganizationID: "nope"}), store.ErrNotFound)
	if _, err := h.GetTeam(ctx, "lost"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a team of a missing organization was created: %v", err)
	}
	team, err := h.GetTeam(ctx, "eng")
	must(t, err)
	if team.OrganizationID != "acme" {
		t.Fatalf("team organization = %q", team.OrganizationID)
	}
	team.OrganizationID = "nope"
	wantErr(t, h.UpdateTeam(ctx, team), store.ErrNotFound)
	team.OrganizationID = "globex"
	must(t, h.UpdateTeam(ctx, team))
	key := &store.Key{Hash: store.HashKey("sk-org-key"), OrganizationID: "nope"}
	wantErr(t, h.CreateKey(ctx, key), store.ErrNotFound)
	key.OrganizationID = "acme"
	must(t, h.CreateKey(ctx, key))
	if k, err := h.GetKey(ctx, key.Hash); err != nil || k.OrganizationID != "acme" {
		t.Fatalf("GetKey = %+v, %v", k, err)
	}

	orgs, _, err := h.ListOrganizations(ctx, store.Page{})
	must(t, err)
	if len(orgs) != 2 || orgs[0].OrganizationID != "acme" || !orgs[0].Blocked || orgs[1].OrganizationID != "globex" {
		t.Fatalf("ListOrganizations = %+v", orgs)
	}

	must(t, h.RemoveOrgMember(ctx, "acme", "bob"))
	wantErr(t, h.RemoveOrgMember(ctx, "acme", "bob"), store.ErrNotFound)
	wantErr(t, h.DeleteOrganization(ctx, "acme", 1), store.ErrConflict)
	if still, err := h.GetOrganization(ctx, "acme"); err != nil || len(still.Members) != 1 {
		t.Fatalf("a refused organization delete removed members: %+v, %v", still, err)
	}
	must(t, h.DeleteOrganization(ctx, "acme", 0))
	if _, err := h.GetOrganization(ctx, "acme"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted organization: %v", err)
	}
	mine, err = h.UserOrgs(ctx, "alice")
	must(t, err)
	if len(mine) != 1 || mine[0].OrganizationID != "globex" {
		t.Fatalf("UserOrgs(alice) after delete = %+v", mine)
	}
}
