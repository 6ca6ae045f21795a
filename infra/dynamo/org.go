package dynamo

import (
	"context"
	"strings"

	"quarry/hub"
)

// Keys of memberships and teams.
func orgPK(org string) string { return "ORG#" + strings.ToLower(org) }

const (
	skMemberPrefix = "MEMBER#"
	skOrgPrefix    = "ORG#"
	skTeamPrefix   = "TEAM#"
)

func memberSK(user string) string { return skMemberPrefix + strings.ToLower(user) }
func orgSK(org string) string     { return skOrgPrefix + strings.ToLower(org) }
func teamSK(team string) string   { return skTeamPrefix + strings.ToLower(team) }
func userTeamSK(org, team string) string {
	return skTeamPrefix + strings.ToLower(org) + "#" + strings.ToLower(team)
}

// memberUpdate writes m into a membership item (the org's or the user's
// copy), keeping the CreatedAt of an existing membership.
func memberUpdate(mb hub.Membership) (string, *expr) {
	e := newExpr()
	return "SET " + e.name("org") + " = " + e.value(str(mb.Org)) + ", " + e.name("user") + " = " + e.value(str(mb.User)) +
		", " + e.name("role") + " = " + e.value(str(mb.Role)) + ", " + e.name("cr") + " = if_not_exists(" +
		e.name("cr") + ", " + e.value(str(fmtTime(mb.CreatedAt))) + ")", e
}

// PutMember implements hub.OrgStore: the org's and the user's copies of
// the membership, in one transaction.
func (m *MetaStore) PutMember(ctx context.Context, mb hub.Membership) error {
	if mb.Org == "" || mb.User == "" {
		return hub.Errorf(hub.ErrInvalid, "org and user are required")
	}
	u1, e1 := memberUpdate(mb)
	u2, e2 := memberUpdate(mb)
	_, err := m.transact(ctx, "put member",
		txUpdate(m.table, key(orgPK(mb.Org), memberSK(mb.User)), u1, "", e1),
		txUpdate(m.table, key(userPK(mb.User), orgSK(mb.Org)), u2, "", e2), m.bumpChanges())
	return err
}

func decodeMember(it item) (hub.Membership, error) {
	d := &decoder{it: it}
	mb := hub.Membership{Org: d.s("org"), User: d.s("user"), Role: d.s("role"), CreatedAt: d.t("cr")}
	return mb, d.err
}

// GetMember implements hub.OrgStore.
func (m *MetaStore) GetMember(ctx context.Context, org, user string) (hub.Membership, error) {
	it, err := m.get(ctx, "get member", key(orgPK(org), memberSK(user)))
	if err != nil {
		return hub.Membership{}, err
	}
	if it == nil {
		return hub.Membership{}, hub.Errorf(hub.ErrNotFound, "%s is not a member of %s", user, org)
	}
	return decodeMember(it)
}

// DeleteMember implements hub.OrgStore.
func (m *MetaStore) DeleteMember(ctx context.Context, org, user string) error {
	e := newExpr()
	failed, err := m.transact(ctx, "delete member",
		txDelete(m.table, key(orgPK(org), memberSK(user)), "attribute_exists("+e.name(attrPK)+")", e),
		txDelete(m.table, key(userPK(user), orgSK(org)), "", nil), m.bumpChanges())
	if failed != nil {
		return hub.Errorf(hub.ErrNotFound, "%s is not a member of %s", user, org)
	}
	return err
}

// ListMembers implements hub.OrgStore: one Query of the org's MEMBER#
// items, which sort by lower-case user name.
func (m *MetaStore) ListMembers(ctx context.Context, org string) ([]hub.Membership, error) {
	return m.listMembers(ctx, orgPK(org), skMemberPrefix)
}

// ListMemberships implements hub.OrgStore: one Query of the user's ORG#
// items.
func (m *MetaStore) ListMemberships(ctx context.Context, user string) ([]hub.Membership, error) {
	return m.listMembers(ctx, userPK(user), skOrgPrefix)
}

func (m *MetaStore) listMembers(ctx context.Context, pk, prefix string) ([]hub.Membership, error) {
	its, err := m.queryPrefix(ctx, "list members", pk, prefix)
	if err != nil {
		return nil, err
	}
	var out []hub.Membership
	for _, it := range its {
		mb, err := decodeMember(it)
		if err != nil {
			return nil, err
		}
		out = append(out, mb)
	}
	return out, nil
}

func teamItem(pk, sk string, t *hub.Team) item {
	return item(newItem(pk, sk).s("org", t.Org).s("name", t.Name).t("cr", t.CreatedAt))
}

func decodeTeam(it item) (*hub.Team, error) {
	d := &decoder{it: it}
	t := &hub.Team{Org: d.s("org"), Name: d.s("name"), CreatedAt: d.t("cr")}
	return t, d.err
}

// CreateTeam implements hub.TeamStore.
func (m *MetaStore) CreateTeam(ctx context.Context, t *hub.Team) error {
	if t.Org == "" || t.Name == "" {
		return hub.Errorf(hub.ErrInvalid, "org and team name are required")
	}
	e := newExpr()
	failed, err := m.transact(ctx, "create team",
		txPut(m.table, teamItem(orgPK(t.Org), teamSK(t.Name), t), "attribute_not_exists("+e.name(attrPK)+")", e),
		m.bumpChanges())
	if failed != nil {
		return hub.Errorf(hub.ErrConflict, "team %s/%s already exists", t.Org, t.Name)
	}
	return err
}

// GetTeam implements hub.TeamStore.
func (m *MetaStore) GetTeam(ctx context.Context, org, name string) (*hub.Team, error) {
	it, err := m.get(ctx, "get team", key(orgPK(org), teamSK(name)))
	if err != nil {
		return nil, err
	}
	if it == nil {
		return nil, hub.Errorf(hub.ErrNotFound, "team %s/%s not found", org, name)
	}
	return decodeTeam(it)
}

// AddTeamMember implements hub.TeamStore. The membership item in the
// user's partition carries a copy of the team (teams are never renamed),
// so ListUserTeams is one Query; the transaction checks that the team
// still exists.
func (m *MetaStore) AddTeamMember(ctx context.Context, org, team, user string) error {
	t, err := m.GetTeam(ctx, org, team)
	if err != nil {
		return err
	}
	e := newExpr()
	failed, err := m.transact(ctx, "add team member",
		txCheck(m.table, key(orgPK(org), teamSK(team)), "attribute_exists("+e.name(attrPK)+")", e),
		txPut(m.table, teamItem(userPK(user), userTeamSK(org, team), t), "", nil), m.bumpChanges())
	if failed != nil {
		return hub.Errorf(hub.ErrNotFound, "team %s/%s not found", org, team)
	}
	return err
}

// RemoveTeamMember implements hub.TeamStore.
func (m *MetaStore) RemoveTeamMember(ctx context.Context, org, team, user string) error {
	e := newExpr()
	failed, err := m.transact(ctx, "remove team member",
		txDelete(m.table, key(userPK(user), userTeamSK(org, team)), "attribute_exists("+e.name(attrPK)+")", e),
		m.bumpChanges())
	if failed != nil {
		return hub.Errorf(hub.ErrNotFound, "%s is not a member of team %s/%s", user, org, team)
	}
	return err
}

// ListUserTeams implements hub.TeamStore: one Query of the user's TEAM#
// items, which sort by lower-case org, then team.
func (m *MetaStore) ListUserTeams(ctx context.Context, user string) ([]hub.Team, error) {
	its, err := m.queryPrefix(ctx, "list user teams", userPK(user), skTeamPrefix)
	if err != nil {
		return nil, err
	}
	var out []hub.Team
	for _, it := range its {
		t, err := decodeTeam(it)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, nil
}
