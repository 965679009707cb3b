package tenancy

import (
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// GenerateKey serves /key/generate. The plaintext is in the result and
// nowhere else: only its hash is stored.
func (s *Service) GenerateKey(ctx context.Context, p *auth.Principal, req *KeyRequest) (*KeyView, error) {
	a, err := authorize(p, OpKeyGenerate)
	if err != nil {
		return nil, err
	}
	userID := deref(req.UserID)
	if a == Own {
		if userID == "" {
			userID = p.UserID
		} else if userID != p.UserID {
			return nil, forbidden("user_id", "you may not create keys for another user (user_id %s); omit user_id or use your own", quote(userID))
		}
	}
	k := &store.Key{UserID: userID, TeamID: deref(req.TeamID), OrganizationID: deref(req.OrganizationID), KeyAlias: deref(req.KeyAlias),
		CreatedBy: p.ID, Aliases: req.Aliases, Tags: req.Tags}
	if err := s.fillKey(k, req, a); err != nil {
		return nil, err
	}
	kb, err := s.keyBounds(ctx, p, a, k)
	if err != nil {
		return nil, err
	}
	if err := s.checkBounds(&k.Limits, kb.bounds...); err != nil {
		return nil, err
	}
	if err := s.memberKeyDuration(ctx, a, k, req); err != nil {
		return nil, err
	}
	createdUser := false
	if k.UserID != "" && kb.user == nil {
		// Only an admin gets here (keyBounds refuses others): LiteLLM
		// creates the user a key names, and so do we, so the key works.
		u := s.newUser(k.UserID)
		if err := s.st.CreateUser(ctx, u); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, storeErr("creating user "+k.UserID, err)
		} else if err == nil {
			createdUser = true
		}
	}
	plaintext, err := s.createKey(ctx, k)
	if err != nil {
		if createdUser {
			_ = s.st.DeleteUser(ctx, k.UserID, 0) // leave nothing half-made
		}
		return nil, err
	}
	v := kb.view(k, plaintext)
	return &v, nil
}

// memberKeyDuration gives a team key that a member (not an admin) creates
// without a duration the team's team_member_key_duration.
func (s *Service) memberKeyDuration(ctx context.Context, a Access, k *store.Key, req *KeyRequest) error {
	if a == All || k.TeamID == "" || req.Duration != nil {
		return nil
	}
	t, err := s.getTeam(ctx, k.TeamID)
	if err != nil {
		return err
	}
	if d := t.MemberLimits.KeyDuration; d != "" {
		exp, err := expiry(d, s.now())
		if err != nil {
			return err
		}
		k.Duration, k.Expires = d, exp
	}
	return nil
}

// createKey stores k under a new plaintext and returns the plaintext.
func (s *Service) createKey(ctx context.Context, k *store.Key) (string, error) {
	plaintext := s.newKey()
	k.Hash, k.KeyName = store.HashKey(plaintext), store.KeyName(plaintext)
	if err := s.st.CreateKey(ctx, k); err != nil {
		return "", storeErr("creating key", err)
	}
	return plaintext, nil
}

// fillKey applies a request's limits, duration and metadata to k and
// validates them, before anything is written.
func (s *Service) fillKey(k *store.Key, req *KeyRequest, a Access) error {
	req.LimitsInput.apply(&k.Limits)
	if err := checkLimits(&k.Limits); err != nil {
		return err
	}
	if req.Duration != nil {
		if *req.Duration == "" {
			k.Duration, k.Expires = "", nil
		} else {
			exp, err := expiry(*req.Duration, s.now())
			if err != nil {
				return err
			}
			k.Duration, k.Expires = *req.Duration, exp
		}
	}
	if req.Metadata != nil {
		md, err := checkMetadata(req.Metadata)
		if err != nil {
			return err
		}
		k.Metadata = md
	}
	if req.Blocked != nil {
		if a != All && *req.Blocked != k.Blocked {
			return forbidden("blocked", "only a proxy admin may block or unblock keys")
		}
		k.Blocked = *req.Blocked
	}
	if req.Aliases != nil {
		k.Aliases = req.Aliases
	}
	if req.Tags != nil {
		k.Tags = req.Tags
	}
	if req.KeyAlias != nil {
		k.KeyAlias = *req.KeyAlias
	}
	return nil
}

// keyScope is what keyBounds found: the bounds a key's limits must keep
// within, its user when it exists, and its organization (its own, or its
// team's).
type keyScope struct {
	bounds []bound
	user   *store.User
	orgID  string
}

// view renders k with its organization.
func (ks *keyScope) view(k *store.Key, plaintext string) KeyView {
	v := keyView(k, plaintext)
	v.OrganizationID, v.OrgID = strPtr(ks.orgID), strPtr(ks.orgID)
	return v
}

// keyBounds checks who k may belong to and returns the bounds its limits
// must keep within, with k's user when it exists. A team key is always
// bound by its team and the team's organization (whoever creates it); a
// key of an organization without a team by the organization; a
// non-admin's key also by their own user, and they may use only teams and
// organizations they belong to. A team key's organization is its team's:
// organization_id may only repeat it, and is not stored on the key, so a
// team moved to another organization takes its keys along.
func (s *Service) keyBounds(ctx context.Context, p *auth.Principal, a Access, k *store.Key) (*keyScope, error) {
	ks := &keyScope{}
	if k.UserID != "" {
		u, err := s.st.GetUser(ctx, k.UserID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if a != All {
				return nil, notFoundErr("user %s does not exist; create it with /user/new first", quote(k.UserID))
			}
		case err != nil:
			return nil, storeErr("reading user "+k.UserID, err)
		default:
			ks.user = u
			if a != All {
				ks.bounds = append(ks.bounds, bound{who: "your user's", l: u.Limits})
			}
		}
	}
	if k.TeamID != "" {
		t, err := s.st.GetTeam(ctx, k.TeamID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, notFoundErr("team %s does not exist", quote(k.TeamID))
			}
			return nil, storeErr("reading team "+k.TeamID, err)
		}
		if a != All && memberRole(t, p.UserID) == "" {
			return nil, forbidden("team_id", "you are not a member of team %s", quote(k.TeamID))
		}
		if k.OrganizationID != "" && k.OrganizationID != t.OrganizationID {
			in := "is in no organization"
			if t.OrganizationID != "" {
				in = "belongs to organization " + quote(t.OrganizationID)
			}
			return nil, invalid("organization_id", "the key's team %s %s, not %s; a team key belongs to its team's organization",
				quote(k.TeamID), in, quote(k.OrganizationID))
		}
		k.OrganizationID = "" // the team's organization applies
		ks.orgID = t.OrganizationID
		ks.bounds = append(ks.bounds, bound{who: "team " + quote(k.TeamID) + "'s", l: t.Limits})
	} else {
		ks.orgID = k.OrganizationID
	}
	if ks.orgID != "" {
		o, err := s.getOrg(ctx, ks.orgID)
		if err != nil {
			return nil, err
		}
		if k.TeamID == "" && a != All && orgRole(o, p.UserID) == "" {
			return nil, forbidden("organization_id", "you are not a member of organization %s", quote(o.OrganizationID))
		}
		ks.bounds = append(ks.bounds, orgBound(o))
	}
	return ks, nil
}

func memberRole(t *store.Team, userID string) string {
	for _, m := range t.Members {
		if m.UserID == userID {
			return m.Role
		}
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// resolveKey finds a key by plaintext or by hash (LiteLLM's token).
func (s *Service) resolveKey(ctx context.Context, ref string) (*store.Key, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, invalid("key", "key is required: the key (sk-…) or its token")
	}
	k, err := s.st.GetKey(ctx, refHash(ref))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFoundErr("key %s not found", keyLabel(ref))
		}
		return nil, storeErr("reading key", err)
	}
	return k, nil
}

// refHash is the hash a key reference names: a token (64 hex digits) is
// one already, anything else is a plaintext.
func refHash(ref string) string {
	if _, err := hex.DecodeString(ref); err != nil || len(ref) != 64 {
		return store.HashKey(ref)
	}
	return ref
}

// keyLabel names a key in messages without echoing a plaintext.
func keyLabel(ref string) string {
	if strings.HasPrefix(ref, "sk-") {
		return store.KeyName(ref)
	}
	return store.KeyNameOfHash(ref)
}

// keyName names k in messages: its name, else the short form of its hash.
func keyName(k *store.Key) string {
	if k.KeyName != "" {
		return k.KeyName
	}
	return store.KeyNameOfHash(k.Hash)
}

// ownKey refuses a key that is not the caller's when they may act only on
// their own.
func ownKey(p *auth.Principal, a Access, k *store.Key, verb string) error {
	if a == All || (k.UserID != "" && k.UserID == p.UserID) {
		return nil
	}
	name := keyName(k)
	if k.UserID == "" {
		return forbidden("key", "you may not %s key %s: it is a service key and belongs to no user", verb, name)
	}
	return forbidden("key", "you may not %s key %s: it belongs to another user", verb, name)
}

// UpdateKey serves /key/update.
func (s *Service) UpdateKey(ctx context.Context, p *auth.Principal, req *KeyRequest) (*KeyView, error) {
	a, err := authorize(p, OpKeyUpdate)
	if err != nil {
		return nil, err
	}
	k, err := s.resolveKey(ctx, req.Key)
	if err != nil {
		return nil, err
	}
	if err := ownKey(p, a, k, "update"); err != nil {
		return nil, err
	}
	if req.UserID != nil {
		if a != All && *req.UserID != p.UserID {
			return nil, forbidden("user_id", "you may not give a key to another user (user_id %s)", quote(*req.UserID))
		}
		k.UserID = *req.UserID
	}
	if req.TeamID != nil {
		// A team key lives under its team's budget and limits; a
		// non-admin who could clear team_id would free it from them.
		if a != All && k.TeamID != "" && *req.TeamID == "" {
			return nil, forbidden("team_id", "you may not take key %s out of team %s: its limits and spend belong to the team; ask an admin",
				keyName(k), quote(k.TeamID))
		}
		k.TeamID = *req.TeamID
	}
	if req.OrganizationID != nil {
		// Likewise a key of an organization lives under its bounds.
		if a != All && k.OrganizationID != "" && *req.OrganizationID != k.OrganizationID {
			return nil, forbidden("organization_id", "you may not take key %s out of organization %s: its limits and spend belong to the organization; ask an admin",
				keyName(k), quote(k.OrganizationID))
		}
		k.OrganizationID = *req.OrganizationID
	}
	if err := s.fillKey(k, req, a); err != nil {
		return nil, err
	}
	kb, err := s.keyBounds(ctx, p, a, k)
	if err != nil {
		return nil, err
	}
	if k.UserID != "" && kb.user == nil {
		return nil, notFoundErr("user %s does not exist", quote(k.UserID))
	}
	if err := s.checkBounds(&k.Limits, kb.bounds...); err != nil {
		return nil, err
	}
	if err := s.st.UpdateKey(ctx, k); err != nil {
		return nil, storeErr("updating key "+k.KeyName, err)
	}
	s.inv.InvalidateKey(k.Hash)
	v := kb.view(k, "")
	return &v, nil
}

// DeleteKeysRequest is /key/delete's body.
type DeleteKeysRequest struct {
	Keys       []string `json:"keys"`
	KeyAliases []string `json:"key_aliases"`
}

// DeleteKeysResponse is /key/delete's answer.
type DeleteKeysResponse struct {
	DeletedKeys []string `json:"deleted_keys"`
}

// DeleteKeys serves /key/delete. Every key is found and checked before the
// first is deleted, so a refused request deletes nothing.
func (s *Service) DeleteKeys(ctx context.Context, p *auth.Principal, req *DeleteKeysRequest) (*DeleteKeysResponse, error) {
	a, err := authorize(p, OpKeyDelete)
	if err != nil {
		return nil, err
	}
	if len(req.Keys)+len(req.KeyAliases) == 0 {
		return nil, invalid("keys", "keys is required: a list of keys (sk-…) or tokens to delete")
	}
	var keys []*store.Key
	for _, ref := range req.Keys {
		k, err := s.resolveKey(ctx, ref)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(req.KeyAliases) > 0 {
		f := store.KeyFilter{}
		if a != All {
			f.UserID = p.UserID
		}
		all, err := s.allKeys(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, alias := range req.KeyAliases {
			i := slices.IndexFunc(all, func(k *store.Key) bool { return k.KeyAlias == alias })
			if i < 0 {
				return nil, notFoundErr("no key with key_alias %s", quote(alias))
			}
			keys = append(keys, all[i])
		}
	}
	for _, k := range keys {
		if err := ownKey(p, a, k, "delete"); err != nil {
			return nil, err
		}
	}
	out := &DeleteKeysResponse{DeletedKeys: append(append([]string{}, req.Keys...), req.KeyAliases...)}
	for _, k := range keys {
		// Delete the version that was checked: a key given to another
		// user (or otherwise changed) since is not deleted blindly.
		err := s.st.DeleteKey(ctx, k.Hash, k.Version)
		switch {
		case errors.Is(err, store.ErrConflict):
			s.inv.InvalidateKey(k.Hash)
			return nil, &Error{Kind: ErrConflict, Field: "keys", Err: err,
				Message: "key " + keyName(k) + " changed after it was checked and was not deleted; read it again and retry"}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, storeErr("deleting key "+k.KeyName, err)
		}
		s.inv.InvalidateKey(k.Hash)
	}
	return out, nil
}

// allKeys lists every key the filter selects.
func (s *Service) allKeys(ctx context.Context, f store.KeyFilter) ([]*store.Key, error) {
	var all []*store.Key
	page := store.Page{Limit: 1000}
	for {
		keys, next, err := s.st.ListKeys(ctx, f, page)
		if err != nil {
			return nil, storeErr("listing keys", err)
		}
		all = append(all, keys...)
		if next == "" {
			return all, nil
		}
		page.Cursor = next
	}
}

// KeyInfoResponse is /key/info's answer.
type KeyInfoResponse struct {
	Key  string  `json:"key"`
	Info KeyView `json:"info"`
}

// KeyInfo serves /key/info?key=…; without a key it describes the calling
// key.
func (s *Service) KeyInfo(ctx context.Context, p *auth.Principal, ref string) (*KeyInfoResponse, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" && p != nil && p.KeyHash != "" {
		ref = p.KeyHash
	}
	self := p != nil && p.KeyHash != "" && ref != "" && refHash(ref) == p.KeyHash
	a, err := authorizeSelf(p, OpKeyInfo, self)
	if err != nil {
		return nil, err
	}
	k, err := s.resolveKey(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !self {
		if err := ownKey(p, a, k, "read"); err != nil {
			return nil, err
		}
	}
	v := keyView(k, "")
	if k.TeamID != "" {
		if t, err := s.st.GetTeam(ctx, k.TeamID); err == nil {
			v.OrganizationID, v.OrgID = strPtr(t.OrganizationID), strPtr(t.OrganizationID)
		}
	}
	if v.Spend, v.BudgetResetAt, err = s.levelSpend(ctx, "key", k.Hash, k.BudgetDuration); err != nil {
		return nil, err
	}
	return &KeyInfoResponse{Key: k.Hash, Info: v}, nil
}

// KeyListQuery is /key/list's query.
type KeyListQuery struct {
	UserID, TeamID, KeyAlias string
	Page, Size               int
}

// KeyList is one page of keys.
type KeyList struct {
	Keys                   []KeyView
	Total, Page, PageCount int
}

// ListKeys serves /key/list. A non-admin lists their own keys, or a
// team's keys when they are its admin.
func (s *Service) ListKeys(ctx context.Context, p *auth.Principal, q KeyListQuery) (*KeyList, error) {
	a, err := authorize(p, OpKeyList)
	if err != nil {
		return nil, err
	}
	if q.UserID != "" && q.TeamID != "" {
		return nil, invalid("team_id", "filter by user_id or by team_id, not both")
	}
	if a != All {
		switch {
		case q.TeamID != "":
			t, err := s.st.GetTeam(ctx, q.TeamID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, storeErr("reading team", err)
			}
			if t == nil || memberRole(t, p.UserID) != "admin" {
				return nil, forbidden("team_id", "you may not list the keys of team %s: you are not its admin", quote(q.TeamID))
			}
		case q.UserID != "" && q.UserID != p.UserID:
			return nil, forbidden("user_id", "you may not list another user's keys (user_id %s)", quote(q.UserID))
		default:
			q.UserID = p.UserID
		}
	}
	keys, err := s.allKeys(ctx, store.KeyFilter{UserID: q.UserID, TeamID: q.TeamID})
	if err != nil {
		return nil, err
	}
	if q.KeyAlias != "" {
		keys = slices.DeleteFunc(keys, func(k *store.Key) bool { return k.KeyAlias != q.KeyAlias })
	}
	start, end, page, pages := paginate(len(keys), q.Page, q.Size)
	out := &KeyList{Keys: make([]KeyView, 0, end-start), Total: len(keys), Page: page, PageCount: pages}
	for _, k := range keys[start:end] {
		out.Keys = append(out.Keys, keyView(k, ""))
	}
	return out, nil
}

// paginate returns the slice bounds of a 1-based page (LiteLLM's page and
// size; size defaults to 10, at most 100).
func paginate(n, page, size int) (start, end, p, pages int) {
	if size <= 0 {
		size = 10
	}
	size = min(size, 100)
	if page <= 0 {
		page = 1
	}
	pages = (n + size - 1) / size
	start = min((page-1)*size, n)
	end = min(start+size, n)
	return start, end, page, pages
}

// BlockKey serves /key/block and /key/unblock.
func (s *Service) BlockKey(ctx context.Context, p *auth.Principal, ref string, blocked bool) (*KeyView, error) {
	ep := OpKeyBlock
	if !blocked {
		ep = OpKeyUnblock
	}
	if _, err := authorize(p, ep); err != nil {
		return nil, err
	}
	k, err := s.resolveKey(ctx, ref)
	if err != nil {
		return nil, err
	}
	k.Blocked = blocked
	if err := s.st.UpdateKey(ctx, k); err != nil {
		return nil, storeErr("updating key "+k.KeyName, err)
	}
	s.inv.InvalidateKey(k.Hash)
	v := keyView(k, "")
	return &v, nil
}

// RegenerateKey serves /key/regenerate: a new plaintext for the key, with
// the same settings (and any the request changes); the old plaintext stops
// working at once in this container, within the cache TTL elsewhere.
func (s *Service) RegenerateKey(ctx context.Context, p *auth.Principal, req *KeyRequest) (*KeyView, error) {
	a, err := authorize(p, OpKeyRegenerate)
	if err != nil {
		return nil, err
	}
	old, err := s.resolveKey(ctx, req.Key)
	if err != nil {
		return nil, err
	}
	if err := ownKey(p, a, old, "regenerate"); err != nil {
		return nil, err
	}
	if req.UserID != nil || req.TeamID != nil {
		return nil, invalid("user_id", "/key/regenerate keeps the key's user and team; change them with /key/update")
	}
	k := *old
	if err := s.fillKey(&k, req, a); err != nil {
		return nil, err
	}
	kb, err := s.keyBounds(ctx, p, a, &k)
	if err != nil {
		return nil, err
	}
	if err := s.checkBounds(&k.Limits, kb.bounds...); err != nil {
		return nil, err
	}
	k.Version = 0
	plaintext, err := s.createKey(ctx, &k)
	if err != nil {
		return nil, err
	}
	if err := s.st.DeleteKey(ctx, old.Hash, old.Version); err != nil {
		_ = s.st.DeleteKey(ctx, k.Hash, 0) // the old key changed meanwhile: undo
		return nil, storeErr("replacing key "+old.KeyName, err)
	}
	s.inv.InvalidateKey(old.Hash)
	v := kb.view(&k, plaintext)
	return &v, nil
}
