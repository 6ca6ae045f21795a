package hubtest

import (
	"context"
	"slices"
	"strings"
	"time"

	"quarry/hub"
)

// PutGrant implements hub.GrantStore.
func (m *MemMeta) PutGrant(ctx context.Context, g hub.Grant) error {
	if g.RepoKey == "" || g.Subject == "" {
		return hub.Errorf(hub.ErrInvalid, "repo key and subject are required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	gs := m.access.grants[g.RepoKey]
	if gs == nil {
		gs = make(map[string]hub.Grant)
		m.access.grants[g.RepoKey] = gs
	}
	g.CreatedAt = g.CreatedAt.UTC()
	gs[g.Subject] = g
	return nil
}

// DeleteGrant implements hub.GrantStore.
func (m *MemMeta) DeleteGrant(ctx context.Context, repoKey, subject string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.access.grants[repoKey][subject]; !ok {
		return hub.Errorf(hub.ErrNotFound, "no grant to %s", subject)
	}
	delete(m.access.grants[repoKey], subject)
	return nil
}

// ListRepoGrants implements hub.GrantStore.
func (m *MemMeta) ListRepoGrants(ctx context.Context, repoKey string) ([]hub.Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []hub.Grant
	for _, g := range m.access.grants[repoKey] {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b hub.Grant) int { return strings.Compare(a.Subject, b.Subject) })
	return out, nil
}

// ListGrantedRepoKeys implements hub.GrantStore.
func (m *MemMeta) ListGrantedRepoKeys(ctx context.Context, subjects []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for key, gs := range m.access.grants {
		for _, sub := range subjects {
			if _, ok := gs[sub]; ok {
				keys = append(keys, key)
				break
			}
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// CreateSession implements hub.SessionStore.
func (m *MemMeta) CreateSession(ctx context.Context, s *hub.Session) error {
	if s.ID == "" {
		return hub.Errorf(hub.ErrInvalid, "session id is required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.access.sessions[s.ID]; ok {
		return hub.Errorf(hub.ErrConflict, "session exists")
	}
	c := *s
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	m.access.sessions[s.ID] = c
	return nil
}

// GetSession implements hub.SessionStore.
func (m *MemMeta) GetSession(ctx context.Context, id string) (*hub.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.access.sessions[id]
	if !ok {
		return nil, hub.Errorf(hub.ErrNotFound, "session not found")
	}
	return &s, nil
}

// DeleteSession implements hub.SessionStore.
func (m *MemMeta) DeleteSession(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.access.sessions, id)
	return nil
}

// DeleteExpiredSessions implements hub.SessionStore.
func (m *MemMeta) DeleteExpiredSessions(ctx context.Context, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, s := range m.access.sessions {
		if s.ExpiresAt.Before(t) {
			delete(m.access.sessions, id)
		}
	}
	return nil
}

// AppendAudit implements hub.AuditStore.
func (m *MemMeta) AppendAudit(ctx context.Context, e hub.AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.Seq = int64(len(m.access.audit) + 1)
	e.Time = e.Time.UTC()
	m.access.audit = append(m.access.audit, e)
	return nil
}

// ListAudit implements hub.AuditStore.
func (m *MemMeta) ListAudit(ctx context.Context, actor string, limit int) ([]hub.AuditEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []hub.AuditEvent
	for i := len(m.access.audit) - 1; i >= 0 && len(out) < limit; i-- {
		if e := m.access.audit[i]; actor == "" || strings.EqualFold(e.Actor, actor) {
			out = append(out, e)
		}
	}
	return out, nil
}
