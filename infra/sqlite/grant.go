package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"quarry/hub"
)

// PutGrant implements hub.GrantStore.
func (db *DB) PutGrant(ctx context.Context, g hub.Grant) error {
	if g.RepoKey == "" || g.Subject == "" {
		return hub.Errorf(hub.ErrInvalid, "repo key and subject are required")
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO grants (repo_key, subject, role, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (repo_key, subject) DO UPDATE SET role = excluded.role, created_at = excluded.created_at`,
		g.RepoKey, g.Subject, g.Role, fmtTime(g.CreatedAt))
	if err != nil {
		return dbError("put grant", err)
	}
	return nil
}

// DeleteGrant implements hub.GrantStore.
func (db *DB) DeleteGrant(ctx context.Context, repoKey, subject string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM grants WHERE repo_key = ? AND subject = ?`, repoKey, subject)
	return checkOne(res, err, "delete grant", hub.Errorf(hub.ErrNotFound, "no grant to %s", subject))
}

// ListRepoGrants implements hub.GrantStore.
func (db *DB) ListRepoGrants(ctx context.Context, repoKey string) ([]hub.Grant, error) {
	rows, err := db.rows(ctx, `SELECT repo_key, subject, role, created_at FROM grants
		WHERE repo_key = ? ORDER BY subject`, repoKey)
	if err != nil {
		return nil, dbError("list grants", err)
	}
	defer rows.Close()
	var out []hub.Grant
	for rows.Next() {
		var g hub.Grant
		var created string
		if err := rows.Scan(&g.RepoKey, &g.Subject, &g.Role, &created); err != nil {
			return nil, dbError("list grants", err)
		}
		if g.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list grants", err)
	}
	return out, nil
}

// ListGrantedRepoKeys implements hub.GrantStore.
func (db *DB) ListGrantedRepoKeys(ctx context.Context, subjects []string) ([]string, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	args := make([]any, len(subjects))
	for i, s := range subjects {
		args[i] = s
	}
	return db.strings(ctx, "list granted repos", `SELECT DISTINCT repo_key FROM grants
		WHERE subject IN (`+placeholders(len(subjects))+`) ORDER BY repo_key`, args...)
}

// strings runs a query returning one text column.
func (db *DB) strings(ctx context.Context, op, query string, args ...any) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, dbError(op, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}

// CreateSession implements hub.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *hub.Session) error {
	if s.ID == "" {
		return hub.Errorf(hub.ErrInvalid, "session id is required")
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, user, csrf, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, s.ID, s.User, s.CSRF, fmtTime(s.CreatedAt), fmtTime(s.ExpiresAt))
	if isConstraint(err) {
		return hub.Errorf(hub.ErrConflict, "session exists")
	}
	if err != nil {
		return dbError("create session", err)
	}
	return nil
}

// GetSession implements hub.SessionStore.
func (db *DB) GetSession(ctx context.Context, id string) (*hub.Session, error) {
	var s hub.Session
	var created, expires string
	err := db.row(ctx, `SELECT id_hash, user, csrf, created_at, expires_at FROM sessions
		WHERE id_hash = ?`, id).Scan(&s.ID, &s.User, &s.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hub.Errorf(hub.ErrNotFound, "session not found")
	}
	if err != nil {
		return nil, dbError("get session", err)
	}
	if s.CreatedAt, err = parseTime(created); err == nil {
		s.ExpiresAt, err = parseTime(expires)
	}
	return &s, err
}

// DeleteSession implements hub.SessionStore.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, id); err != nil {
		return dbError("delete session", err)
	}
	return nil
}

// DeleteExpiredSessions implements hub.SessionStore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, t time.Time) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, fmtTime(t)); err != nil {
		return dbError("delete expired sessions", err)
	}
	return nil
}

// AppendAudit implements hub.AuditStore.
func (db *DB) AppendAudit(ctx context.Context, e hub.AuditEvent) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO audit (time, actor_lower, actor, action, target, client_addr, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, fmtTime(e.Time), strings.ToLower(e.Actor), e.Actor, e.Action, e.Target,
		e.ClientAddr, e.Detail)
	if err != nil {
		return dbError("append audit", err)
	}
	return nil
}

// ListAudit implements hub.AuditStore.
func (db *DB) ListAudit(ctx context.Context, actor string, limit int) ([]hub.AuditEvent, error) {
	q := `SELECT seq, time, actor, action, target, client_addr, detail FROM audit `
	args := []any{}
	if actor != "" {
		q += `WHERE actor_lower = ? `
		args = append(args, strings.ToLower(actor))
	}
	rows, err := db.db.QueryContext(ctx, q+`ORDER BY seq DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, dbError("list audit", err)
	}
	defer rows.Close()
	var out []hub.AuditEvent
	for rows.Next() {
		var e hub.AuditEvent
		var at string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &e.ClientAddr, &e.Detail); err != nil {
			return nil, dbError("list audit", err)
		}
		if e.Time, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list audit", err)
	}
	return out, nil
}
