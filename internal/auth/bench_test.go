package auth_test

import (
	"context"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// BenchmarkWarmKey: the hot path of a virtual key whose lookup is cached
// (hash, LRU hit, principal).
func BenchmarkWarmKey(b *testing.B) {
	key := auth.NewKey()
	hash := store.HashKey(key)
	ms := newMemStore(b, []*store.Key{{Hash: hash, KeyName: store.KeyName(key), UserID: "u"}},
		&store.User{UserID: "u", Role: "internal_user"})
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, auth.NewKeys(ms.Store, nil), nil)
	r := req(key)
	ctx := context.Background()
	if _, err := a.Authenticate(ctx, r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWarmKeyInOrganization: the same for a key of a team of an
// organization (two more levels and scopes on the principal, no more
// lookups while the entry is cached).
func BenchmarkWarmKeyInOrganization(b *testing.B) {
	key := auth.NewKey()
	hash := store.HashKey(key)
	ms := newMemStore(b, nil, &store.User{UserID: "u", Role: "internal_user"})
	ctx := context.Background()
	max := 10.0
	for _, err := range []error{
		ms.raw.CreateOrganization(ctx, &store.Organization{OrganizationID: "o", Limits: store.Limits{Models: []string{"m"}, MaxBudget: &max}}),
		ms.raw.PutOrgMember(ctx, store.OrgMember{OrganizationID: "o", UserID: "u", Role: "internal_user", MaxBudgetInOrg: &max}),
		ms.raw.CreateTeam(ctx, &store.Team{TeamID: "t", OrganizationID: "o"}),
		ms.raw.PutTeamMember(ctx, store.Member{TeamID: "t", UserID: "u", Role: "user"}),
		ms.raw.CreateKey(ctx, &store.Key{Hash: hash, KeyName: store.KeyName(key), UserID: "u", TeamID: "t"}),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, auth.NewKeys(ms.Store, nil), nil)
	r := req(key)
	p, err := a.Authenticate(ctx, r)
	if err != nil || p.OrgID != "o" || len(p.Levels) != 5 {
		b.Fatalf("principal %+v, %v", p, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
