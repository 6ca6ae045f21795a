package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"quarry/hub"
)

// PutMember implements hub.OrgStore.
func (db *DB) PutMember(ctx context.Context, m hub.Membership) error {
	if m.Org == "" || m.User == "" {
		return hub.Errorf(hub.ErrInvalid, "org and user are required")
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO org_members (org_lower, user_lower, org, user, role, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (org_lower, user_lower) DO UPDATE SET
		org = excluded.org, user = excluded.user, role = excluded.role`,
		strings.ToLower(m.Org), strings.ToLower(m.User), m.Org, m.User, m.Role, fmtTime(m.CreatedAt))
	if err != nil {
		return dbError("put member", err)
	}
	return nil
}

const memberCols = `org, user, role, created_at`

func scanMember(s scanner) (hub.Membership, error) {
	var m hub.Membership
	var created string
	if err := s.Scan(&m.Org, &m.User, &m.Role, &created); err != nil {
		return m, err
	}
	var err error
	m.CreatedAt, err = parseTime(created)
	return m, err
}

// GetMember implements hub.OrgStore.
func (db *DB) GetMember(ctx context.Context, org, user string) (hub.Membership, error) {
	m, err := scanMember(db.row(ctx, `SELECT `+memberCols+` FROM org_members
		WHERE org_lower = ? AND user_lower = ?`, strings.ToLower(org), strings.ToLower(user)))
	if errors.Is(err, sql.ErrNoRows) {
		return m, hub.Errorf(hub.ErrNotFound, "%s is not a member of %s", user, org)
	}
	if err != nil {
		return m, dbError("get member", err)
	}
	return m, nil
}

// DeleteMember implements hub.OrgStore.
func (db *DB) DeleteMember(ctx context.Context, org, user string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM org_members WHERE org_lower = ? AND user_lower = ?`,
		strings.ToLower(org), strings.ToLower(user))
	return checkOne(res, err, "delete member", hub.Errorf(hub.ErrNotFound, "%s is not a member of %s", user, org))
}

// ListMembers implements hub.OrgStore.
func (db *DB) ListMembers(ctx context.Context, org string) ([]hub.Membership, error) {
	return db.listMembers(ctx, `SELECT `+memberCols+` FROM org_members WHERE org_lower = ? ORDER BY user_lower`, org)
}

// ListMemberships implements hub.OrgStore.
func (db *DB) ListMemberships(ctx context.Context, user string) ([]hub.Membership, error) {
	return db.listMembers(ctx, `SELECT `+memberCols+` FROM org_members WHERE user_lower = ? ORDER BY org_lower`, user)
}

func (db *DB) listMembers(ctx context.Context, query, name string) ([]hub.Membership, error) {
	rows, err := db.rows(ctx, query, strings.ToLower(name))
	if err != nil {
		return nil, dbError("list members", err)
	}
	defer rows.Close()
	var out []hub.Membership
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, dbError("list members", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list members", err)
	}
	return out, nil
}

// CreateTeam implements hub.TeamStore.
func (db *DB) CreateTeam(ctx context.Context, t *hub.Team) error {
	if t.Org == "" || t.Name == "" {
		return hub.Errorf(hub.ErrInvalid, "org and team name are required")
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO teams (org_lower, name_lower, org, name, created_at)
		VALUES (?, ?, ?, ?, ?)`, strings.ToLower(t.Org), strings.ToLower(t.Name), t.Org, t.Name, fmtTime(t.CreatedAt))
	if isConstraint(err) {
		return hub.Errorf(hub.ErrConflict, "team %s/%s already exists", t.Org, t.Name)
	}
	if err != nil {
		return dbError("create team", err)
	}
	return nil
}

func scanTeam(s scanner) (*hub.Team, error) {
	var t hub.Team
	var created string
	if err := s.Scan(&t.Org, &t.Name, &created); err != nil {
		return nil, err
	}
	var err error
	t.CreatedAt, err = parseTime(created)
	return &t, err
}

// GetTeam implements hub.TeamStore.
func (db *DB) GetTeam(ctx context.Context, org, name string) (*hub.Team, error) {
	t, err := scanTeam(db.row(ctx, `SELECT org, name, created_at FROM teams
		WHERE org_lower = ? AND name_lower = ?`, strings.ToLower(org), strings.ToLower(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hub.Errorf(hub.ErrNotFound, "team %s/%s not found", org, name)
	}
	if err != nil {
		return nil, dbError("get team", err)
	}
	return t, nil
}

// AddTeamMember implements hub.TeamStore.
func (db *DB) AddTeamMember(ctx context.Context, org, team, user string) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO team_members (org_lower, team_lower, user_lower)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, strings.ToLower(org), strings.ToLower(team), strings.ToLower(user))
	if isConstraint(err) { // foreign key: no such team
		return hub.Errorf(hub.ErrNotFound, "team %s/%s not found", org, team)
	}
	if err != nil {
		return dbError("add team member", err)
	}
	return nil
}

// RemoveTeamMember implements hub.TeamStore.
func (db *DB) RemoveTeamMember(ctx context.Context, org, team, user string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM team_members WHERE org_lower = ? AND team_lower = ?
		AND user_lower = ?`, strings.ToLower(org), strings.ToLower(team), strings.ToLower(user))
	return checkOne(res, err, "remove team member",
		hub.Errorf(hub.ErrNotFound, "%s is not a member of team %s/%s", user, org, team))
}

// ListUserTeams implements hub.TeamStore.
func (db *DB) ListUserTeams(ctx context.Context, user string) ([]hub.Team, error) {
	rows, err := db.rows(ctx, `SELECT t.org, t.name, t.created_at FROM team_members m
		JOIN teams t ON t.org_lower = m.org_lower AND t.name_lower = m.team_lower
		WHERE m.user_lower = ? ORDER BY m.org_lower, m.team_lower`, strings.ToLower(user))
	if err != nil {
		return nil, dbError("list user teams", err)
	}
	defer rows.Close()
	var out []hub.Team
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, dbError("list user teams", err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list user teams", err)
	}
	return out, nil
}
