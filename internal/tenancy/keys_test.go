package tenancy_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

// racingDriver is the embedded driver with a hook that runs once, just
// before the first write that deletes an item (the key's delete): another
// request's change landing between the service's checks and its delete.
type racingDriver struct {
	store.Driver
	once   sync.Once
	before func()
}

func (r *racingDriver) Write(ctx context.Context, now int64, ws []*store.Write) error {
	if slices.ContainsFunc(ws, func(w *store.Write) bool { return w.Kind == store.WriteDelete }) {
		r.once.Do(r.before)
	}
	return r.Driver.Write(ctx, now, ws)
}

// TestDeleteKeysUsesTheCheckedVersion: a key that changes hands after
// /key/delete checked it (alice may delete her own key) is not deleted
// blindly once it is bob's.
func TestDeleteKeysUsesTheCheckedVersion(t *testing.T) {
	d, err := embedded.OpenDriver(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(d, nil)
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if err := st.CreateUser(ctx, &store.User{UserID: u, Role: "internal_user"}); err != nil {
			t.Fatal(err)
		}
	}
	rs := &racingDriver{Driver: d}
	svc := tenancy.New(store.New(rs, nil), tenancy.NewModels(nil), nil)
	alice := &auth.Principal{ID: "jwt:alice", Kind: auth.KindJWT, Role: auth.RoleInternalUser, UserID: "alice"}
	gen, err := svc.GenerateKey(ctx, alice, &tenancy.KeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	hash := store.HashKey(gen.Key)
	rs.before = func() {
		k, err := st.GetKey(ctx, hash)
		if err != nil {
			t.Error(err)
			return
		}
		k.UserID = "bob" // an admin gives the key to bob meanwhile
		if err := st.UpdateKey(ctx, k); err != nil {
			t.Error(err)
		}
	}
	_, err = svc.DeleteKeys(ctx, alice, &tenancy.DeleteKeysRequest{Keys: []string{gen.Key}})
	if !errors.Is(err, tenancy.ErrConflict) {
		t.Fatalf("DeleteKeys = %v, want a conflict", err)
	}
	k, err := st.GetKey(ctx, hash)
	if err != nil || k.UserID != "bob" {
		t.Fatalf("bob's key: %+v, %v; want it kept", k, err)
	}
}
