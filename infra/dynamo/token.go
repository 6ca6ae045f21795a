package dynamo

import (
	"context"
	"strings"
	"time"

	"quarry/hub"
)

func tokenItem(t *hub.Token) item {
	return item(newItem(tokenPK(t.Hash), skToken).s("hash", t.Hash).s("suffix", t.Suffix).s("user", t.User).
		s("userl", strings.ToLower(t.User)).s("role", t.Role).s("label", t.Label).s("scopes", encodeScopes(t.Scopes)).
		t("cr", t.CreatedAt).t("used", t.LastUsedAt).t("rev", t.RevokedAt).t("exp", t.ExpiresAt))
}

// CreateToken implements hub.TokenStore: the token and a pointer in its
// user's partition (for ListTokens), in one transaction.
func (m *MetaStore) CreateToken(ctx context.Context, t *hub.Token) error {
	if t.Hash == "" {
		return hub.Errorf(hub.ErrInvalid, "token hash is required")
	}
	e := newExpr()
	ptr := item(newItem(userPK(t.User), tokenPointerSK(t)).s("hash", t.Hash))
	failed, err := m.transact(ctx, "create token",
		txPut(m.table, tokenItem(t), "attribute_not_exists("+e.name(attrPK)+")", e),
		txPut(m.table, ptr, "", nil), m.bumpChanges())
	if failed != nil {
		return hub.Errorf(hub.ErrConflict, "token already exists")
	}
	return err
}

// GetToken implements hub.TokenStore with one consistent GetItem.
func (m *MetaStore) GetToken(ctx context.Context, hash string) (*hub.Token, error) {
	it, err := m.get(ctx, "get token", key(tokenPK(hash), skToken))
	if err != nil {
		return nil, err
	}
	if it == nil {
		return nil, hub.Errorf(hub.ErrNotFound, "token not found")
	}
	return decodeToken(it)
}

// ListTokens implements hub.TokenStore: the user's token pointers (in
// creation order), then the tokens by BatchGetItem.
func (m *MetaStore) ListTokens(ctx context.Context, user string) ([]*hub.Token, error) {
	ptrs, err := m.queryPrefix(ctx, "list tokens", userPK(user), skTokenPrefix)
	if err != nil || len(ptrs) == 0 {
		return nil, err
	}
	keys := make([]item, len(ptrs))
	hashes := make([]string, len(ptrs))
	for i, p := range ptrs {
		d := &decoder{it: p}
		hashes[i] = d.s("hash")
		if d.err != nil {
			return nil, d.err
		}
		keys[i] = key(tokenPK(hashes[i]), skToken)
	}
	its, err := m.batchGet(ctx, "list tokens", keys)
	if err != nil {
		return nil, err
	}
	byHash := map[string]*hub.Token{}
	for _, it := range its {
		t, err := decodeToken(it)
		if err != nil {
			return nil, err
		}
		byHash[t.Hash] = t
	}
	var out []*hub.Token
	for _, h := range hashes {
		if t := byHash[h]; t != nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// UpdateToken implements hub.TokenStore with one conditional update. As
// in the SQLite backend, a revocation is never undone (if_not_exists keeps
// the stored time) and an expiry only moves earlier: an update that would
// move it later fails its condition and is made again without it.
func (m *MetaStore) UpdateToken(ctx context.Context, t *hub.Token) error {
	withExp := !t.ExpiresAt.IsZero()
	for {
		update, cond, e := tokenUpdate(t, withExp)
		failed, err := m.transact(ctx, "update token",
			txUpdate(m.table, key(tokenPK(t.Hash), skToken), update, cond, e), m.bumpChanges())
		switch {
		case err != nil:
			return err
		case failed == nil:
			return nil
		case !withExp:
			return hub.Errorf(hub.ErrNotFound, "token not found")
		}
		withExp = false
	}
}

// tokenUpdate builds UpdateToken's expressions.
func tokenUpdate(t *hub.Token, withExp bool) (update, cond string, e *expr) {
	e = newExpr()
	var set, remove []string
	field := func(name, v string) {
		if v == "" {
			remove = append(remove, e.name(name))
		} else {
			set = append(set, e.name(name)+" = "+e.value(str(v)))
		}
	}
	field("suffix", t.Suffix)
	field("user", t.User)
	field("userl", strings.ToLower(t.User))
	field("role", t.Role)
	field("label", t.Label)
	field("scopes", encodeScopes(t.Scopes))
	field("cr", optTime(t.CreatedAt))
	field("used", optTime(t.LastUsedAt))
	if !t.RevokedAt.IsZero() {
		rev := e.name("rev")
		set = append(set, rev+" = if_not_exists("+rev+", "+e.value(str(fmtTime(t.RevokedAt)))+")")
	}
	cond = "attribute_exists(" + e.name(attrPK) + ")"
	if withExp {
		exp, v := e.name("exp"), e.value(str(fmtTime(t.ExpiresAt)))
		set = append(set, exp+" = "+v)
		cond += " AND (attribute_not_exists(" + exp + ") OR " + exp + " > " + v + ")"
	}
	set = append(set, e.name("hash")+" = "+e.value(str(t.Hash))) // never empty: SET has a clause
	update = "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		update += " REMOVE " + strings.Join(remove, ", ")
	}
	return update, cond, e
}

// optTime formats a non-zero time; "" for zero (the attribute is removed).
func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtTime(t)
}
