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
