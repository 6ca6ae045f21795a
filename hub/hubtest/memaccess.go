package hubtest

import (
	"context"
	"slices"
	"strings"

	"quarry/hub"
)

// memAccess holds MemMeta's organization, team, grant, session and audit
// records; MemMeta.mu guards it.
type memAccess struct {
	members  map[string]hub.Membership       // pairKey(org, user)
	teams    map[string]hub.Team             // pairKey(org, team)
	teamUser map[string]map[string]bool      // team key -> lower user names
	grants   map[string]map[string]hub.Grant // repo key -> subject -> grant
	sessions map[string]hub.Session          // by hashed id
	audit    []hub.AuditEvent
}

func newMemAccess() memAccess {
	return memAccess{
		members:  make(map[string]hub.Membership),
		teams:    make(map[string]hub.Team),
		teamUser: make(map[string]map[string]bool),
		grants:   make(map[string]map[string]hub.Grant),
		sessions: make(map[string]hub.Session),
	}
}

func pairKey(a, b string) string { return strings.ToLower(a) + "\x00" + strings.ToLower(b) }

// PutMember implements hub.OrgStore.
func (m *MemMeta) PutMember(ctx context.Context, mb hub.Membership) error {
	if mb.Org == "" || mb.User == "" {
		return hub.Errorf(hub.ErrInvalid, "org and user are required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	k := pairKey(mb.Org, mb.User)
	if old, ok := m.access.members[k]; ok {
		mb.CreatedAt = old.CreatedAt
	}
	mb.CreatedAt = mb.CreatedAt.UTC()
	m.access.members[k] = mb
	return nil
}

// GetMember implements hub.OrgStore.
func (m *MemMeta) GetMember(ctx context.Context, org, user string) (hub.Membership, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.access.members[pairKey(org, user)]
	if !ok {
		return hub.Membership{}, hub.Errorf(hub.ErrNotFound, "%s is not a member of %s", user, org)
	}
	return mb, nil
}

// DeleteMember implements hub.OrgStore.
func (m *MemMeta) DeleteMember(ctx context.Context, org, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	k := pairKey(org, user)
	if _, ok := m.access.members[k]; !ok {
		return hub.Errorf(hub.ErrNotFound, "%s is not a member of %s", user, org)
	}
	delete(m.access.members, k)
	return nil
}

// ListMembers implements hub.OrgStore.
func (m *MemMeta) ListMembers(ctx context.Context, org string) ([]hub.Membership, error) {
	return m.memberships(func(mb hub.Membership) bool { return strings.EqualFold(mb.Org, org) },
		func(mb hub.Membership) string { return strings.ToLower(mb.User) }), nil
}

// ListMemberships implements hub.OrgStore.
func (m *MemMeta) ListMemberships(ctx context.Context, user string) ([]hub.Membership, error) {
	return m.memberships(func(mb hub.Membership) bool { return strings.EqualFold(mb.User, user) },
		func(mb hub.Membership) string { return strings.ToLower(mb.Org) }), nil
}

func (m *MemMeta) memberships(keep func(hub.Membership) bool, key func(hub.Membership) string) []hub.Membership {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []hub.Membership
	for _, mb := range m.access.members {
		if keep(mb) {
			out = append(out, mb)
		}
	}
	slices.SortFunc(out, func(a, b hub.Membership) int { return strings.Compare(key(a), key(b)) })
	return out
}

// CreateTeam implements hub.TeamStore.
func (m *MemMeta) CreateTeam(ctx context.Context, t *hub.Team) error {
	if t.Org == "" || t.Name == "" {
		return hub.Errorf(hub.ErrInvalid, "org and team name are required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	k := pairKey(t.Org, t.Name)
	if _, ok := m.access.teams[k]; ok {
		return hub.Errorf(hub.ErrConflict, "team %s/%s already exists", t.Org, t.Name)
	}
	c := *t
	c.CreatedAt = c.CreatedAt.UTC()
	m.access.teams[k] = c
	m.access.teamUser[k] = make(map[string]bool)
	return nil
}

// GetTeam implements hub.TeamStore.
func (m *MemMeta) GetTeam(ctx context.Context, org, name string) (*hub.Team, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.access.teams[pairKey(org, name)]
	if !ok {
		return nil, hub.Errorf(hub.ErrNotFound, "team %s/%s not found", org, name)
	}
	return &t, nil
}

// AddTeamMember implements hub.TeamStore.
func (m *MemMeta) AddTeamMember(ctx context.Context, org, team, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	users, ok := m.access.teamUser[pairKey(org, team)]
	if !ok {
		return hub.Errorf(hub.ErrNotFound, "team %s/%s not found", org, team)
	}
	users[strings.ToLower(user)] = true
	return nil
}

// RemoveTeamMember implements hub.TeamStore.
func (m *MemMeta) RemoveTeamMember(ctx context.Context, org, team, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	users := m.access.teamUser[pairKey(org, team)]
	if !users[strings.ToLower(user)] {
		return hub.Errorf(hub.ErrNotFound, "%s is not a member of team %s/%s", user, org, team)
	}
	delete(users, strings.ToLower(user))
	return nil
}

// ListUserTeams implements hub.TeamStore.
func (m *MemMeta) ListUserTeams(ctx context.Context, user string) ([]hub.Team, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []hub.Team
	for k, users := range m.access.teamUser {
		if users[strings.ToLower(user)] {
			out = append(out, m.access.teams[k])
		}
	}
	slices.SortFunc(out, func(a, b hub.Team) int {
		return strings.Compare(pairKey(a.Org, a.Name), pairKey(b.Org, b.Name))
	})
	return out, nil
}
