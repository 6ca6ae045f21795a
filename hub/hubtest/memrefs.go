package hubtest

import (
	"context"
	"slices"
	"strings"

	"quarry/hub"
)

// GetRef implements hub.RefStore.
func (m *MemMeta) GetRef(ctx context.Context, repoKey, name string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.refs[repoKey][name]
	if !ok {
		return "", hub.NotFoundf(hub.ErrRevisionNotFound, "ref %s not found", name)
	}
	return c, nil
}

// ListRefs implements hub.RefStore.
func (m *MemMeta) ListRefs(ctx context.Context, repoKey string) ([]hub.Ref, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	refs := make([]hub.Ref, 0, len(m.refs[repoKey]))
	for name, c := range m.refs[repoKey] {
		refs = append(refs, hub.Ref{Name: name, Commit: c})
	}
	slices.SortFunc(refs, func(a, b hub.Ref) int { return strings.Compare(a.Name, b.Name) })
	return refs, nil
}

// UpdateRef implements hub.RefStore.
func (m *MemMeta) UpdateRef(ctx context.Context, repoKey, name, old, new string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, exists := m.refs[repoKey][name]
	switch {
	case old == "" && exists:
		return hub.Errorf(hub.ErrConflict, "ref %s already exists", name)
	case old != "" && cur != old:
		return hub.Errorf(hub.ErrPrecondition, "ref %s moved: expected %s", name, old)
	}
	if new == "" {
		delete(m.refs[repoKey], name)
		return nil
	}
	if m.refs[repoKey] == nil {
		m.refs[repoKey] = make(map[string]string)
	}
	m.refs[repoKey][name] = new
	return nil
}

// CreateUser implements hub.UserStore.
func (m *MemMeta) CreateUser(ctx context.Context, u *hub.User) error {
	if u.Name == "" {
		return hub.Errorf(hub.ErrInvalid, "user name is required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	k := strings.ToLower(u.Name)
	if _, ok := m.users[k]; ok {
		return hub.Errorf(hub.ErrConflict, "user %s already exists", u.Name)
	}
	c := *u
	c.CreatedAt = c.CreatedAt.UTC()
	m.users[k] = &c
	return nil
}

// GetUser implements hub.UserStore.
func (m *MemMeta) GetUser(ctx context.Context, name string) (*hub.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[strings.ToLower(name)]
	if !ok {
		return nil, hub.Errorf(hub.ErrNotFound, "user %s not found", name)
	}
	c := *u
	return &c, nil
}

// UpdateUser implements hub.UserStore.
func (m *MemMeta) UpdateUser(ctx context.Context, u *hub.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	k := strings.ToLower(u.Name)
	if _, ok := m.users[k]; !ok {
		return hub.Errorf(hub.ErrNotFound, "user %s not found", u.Name)
	}
	c := *u
	c.CreatedAt = c.CreatedAt.UTC()
	m.users[k] = &c
	return nil
}

func copyToken(t *hub.Token) *hub.Token {
	c := *t
	c.Scopes = slices.Clone(t.Scopes)
	c.CreatedAt = c.CreatedAt.UTC()
	c.LastUsedAt = c.LastUsedAt.UTC()
	c.RevokedAt = c.RevokedAt.UTC()
	return &c
}

// CreateToken implements hub.TokenStore.
func (m *MemMeta) CreateToken(ctx context.Context, t *hub.Token) error {
	if t.Hash == "" {
		return hub.Errorf(hub.ErrInvalid, "token hash is required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	if _, ok := m.tokens[t.Hash]; ok {
		return hub.Errorf(hub.ErrConflict, "token already exists")
	}
	m.seq++
	m.tokens[t.Hash] = &memToken{tok: *copyToken(t), seq: m.seq}
	return nil
}

// GetToken implements hub.TokenStore.
func (m *MemMeta) GetToken(ctx context.Context, hash string) (*hub.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[hash]
	if !ok {
		return nil, hub.Errorf(hub.ErrNotFound, "token not found")
	}
	return copyToken(&t.tok), nil
}

// ListTokens implements hub.TokenStore.
func (m *MemMeta) ListTokens(ctx context.Context, user string) ([]*hub.Token, error) {
	m.mu.Lock()
	var recs []*memToken
	for _, t := range m.tokens {
		if strings.EqualFold(t.tok.User, user) {
			recs = append(recs, t)
		}
	}
	m.mu.Unlock()
	slices.SortFunc(recs, func(a, b *memToken) int {
		if c := a.tok.CreatedAt.Compare(b.tok.CreatedAt); c != 0 {
			return c
		}
		return int(a.seq - b.seq)
	})
	out := make([]*hub.Token, len(recs))
	for i, t := range recs {
		out[i] = copyToken(&t.tok)
	}
	return out, nil
}

// UpdateToken implements hub.TokenStore.
func (m *MemMeta) UpdateToken(ctx context.Context, t *hub.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	rec, ok := m.tokens[t.Hash]
	if !ok {
		return hub.Errorf(hub.ErrNotFound, "token not found")
	}
	rec.tok = *copyToken(t)
	return nil
}

// AddLFSObject implements hub.LFSIndex.
func (m *MemMeta) AddLFSObject(ctx context.Context, repoKey, oid string, size int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := lfsKey{repoKey, oid}
	if _, ok := m.lfs[k]; !ok {
		m.lfs[k] = size
	}
	return nil
}

// GetLFSObject implements hub.LFSIndex.
func (m *MemMeta) GetLFSObject(ctx context.Context, repoKey, oid string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	size, ok := m.lfs[lfsKey{repoKey, oid}]
	if !ok {
		return 0, hub.Errorf(hub.ErrNotFound, "LFS object %s not found", oid)
	}
	return size, nil
}
