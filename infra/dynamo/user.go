package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"quarry/hub"
)

// Keys of users, tokens and the change counter.
func userPK(name string) string  { return "USER#" + strings.ToLower(name) }
func tokenPK(hash string) string { return "TOKEN#" + hash }

const (
	skUser        = "USER"
	skToken       = "TOKEN"
	skTokenPrefix = "TOKEN#"
	pkChanges     = "META#CHANGES"
)

// bumpChanges is the transaction element that increments the change
// counter; every write that hub.ChangeCounter covers includes it.
func (m *MetaStore) bumpChanges() types.TransactWriteItem {
	e := newExpr()
	return txUpdate(m.table, key(pkChanges, skMeta), "ADD "+e.name("n")+" "+e.value(num(1)), "", e)
}

// ChangeCount implements hub.ChangeCounter: the counter item, read
// consistently. Writes increment it in the transaction that makes them, so
// a count read after a commit is larger than any read before it.
func (m *MetaStore) ChangeCount(ctx context.Context) (uint64, error) {
	it, err := m.get(ctx, "change count", key(pkChanges, skMeta))
	if err != nil {
		return 0, err
	}
	d := &decoder{it: it}
	n := d.n("n")
	return uint64(n), d.err
}

func userItem(u *hub.User) item {
	return item(newItem(userPK(u.Name), skUser).s("name", u.Name).s("full", u.FullName).s("email", u.Email).
		s("pw", u.PasswordHash).b("admin", u.Admin).b("org", u.Org).t("cr", u.CreatedAt))
}

// CreateUser implements hub.UserStore.
func (m *MetaStore) CreateUser(ctx context.Context, u *hub.User) error {
	if u.Name == "" {
		return hub.Errorf(hub.ErrInvalid, "user name is required")
	}
	e := newExpr()
	failed, err := m.transact(ctx, "create user",
		txPut(m.table, userItem(u), "attribute_not_exists("+e.name(attrPK)+")", e), m.bumpChanges())
	if failed != nil {
		return hub.Errorf(hub.ErrConflict, "user %s already exists", u.Name)
	}
	return err
}

// GetUser implements hub.UserStore.
func (m *MetaStore) GetUser(ctx context.Context, name string) (*hub.User, error) {
	it, err := m.get(ctx, "get user", key(userPK(name), skUser))
	if err != nil {
		return nil, err
	}
	if it == nil {
		return nil, hub.Errorf(hub.ErrNotFound, "user %s not found", name)
	}
	d := &decoder{it: it}
	u := &hub.User{Name: d.s("name"), FullName: d.s("full"), Email: d.s("email"), PasswordHash: d.s("pw"),
		Admin: d.b("admin"), Org: d.b("org"), CreatedAt: d.t("cr")}
	return u, d.err
}

// UpdateUser implements hub.UserStore.
func (m *MetaStore) UpdateUser(ctx context.Context, u *hub.User) error {
	e := newExpr()
	failed, err := m.transact(ctx, "update user",
		txPut(m.table, userItem(u), "attribute_exists("+e.name(attrPK)+")", e), m.bumpChanges())
	if failed != nil {
		return hub.Errorf(hub.ErrNotFound, "user %s not found", u.Name)
	}
	return err
}

// scopeJSON is a token scope's stored form.
type scopeJSON struct {
	Type      string `json:"type,omitempty"`
	Namespace string `json:"namespace"`
	Name      string `json:"name,omitempty"`
	Role      string `json:"role"`
}

func encodeScopes(scopes []hub.TokenScope) string {
	if len(scopes) == 0 {
		return ""
	}
	out := make([]scopeJSON, len(scopes))
	for i, sc := range scopes {
		out[i] = scopeJSON{Type: string(sc.Type), Namespace: sc.Namespace, Name: sc.Name, Role: sc.Role}
	}
	b, _ := json.Marshal(out) // plain strings: cannot fail
	return string(b)
}

func decodeScopes(s string) ([]hub.TokenScope, error) {
	if s == "" {
		return nil, nil
	}
	var in []scopeJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("dynamo: bad token scopes %q: %w", s, err)
	}
	out := make([]hub.TokenScope, len(in))
	for i, sc := range in {
		out[i] = hub.TokenScope{Type: hub.RepoType(sc.Type), Namespace: sc.Namespace, Name: sc.Name, Role: sc.Role}
	}
	return out, nil
}

func decodeToken(it item) (*hub.Token, error) {
	d := &decoder{it: it}
	t := &hub.Token{Hash: d.s("hash"), Suffix: d.s("suffix"), User: d.s("user"), Role: d.s("role"),
		Label: d.s("label"), CreatedAt: d.t("cr"), LastUsedAt: d.t("used"), RevokedAt: d.t("rev"), ExpiresAt: d.t("exp")}
	scopes, err := decodeScopes(d.s("scopes"))
	if d.err != nil {
		return nil, d.err
	}
	t.Scopes = scopes
	return t, err
}

// tokenPointerSK sorts a user's tokens by creation.
func tokenPointerSK(t *hub.Token) string { return skTokenPrefix + fmtTime(t.CreatedAt) + "#" + t.Hash }
