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
