package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"quarry/hub"
)

// CreateUser implements hub.UserStore.
func (db *DB) CreateUser(ctx context.Context, u *hub.User) error {
	if u.Name == "" {
		return hub.Errorf(hub.ErrInvalid, "user name is required")
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO users (name_lower, name, full_name, email, password_hash,
		admin, org, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, strings.ToLower(u.Name), u.Name, u.FullName,
		u.Email, u.PasswordHash, boolInt(u.Admin), boolInt(u.Org), fmtTime(u.CreatedAt))
	if isConstraint(err) {
		return hub.Errorf(hub.ErrConflict, "user %s already exists", u.Name)
	}
	if err != nil {
		return dbError("create user", err)
	}
	return nil
}

// GetUser implements hub.UserStore.
func (db *DB) GetUser(ctx context.Context, name string) (*hub.User, error) {
	var (
		u       hub.User
		admin   int
		org     int
		created string
	)
	err := db.row(ctx, `SELECT name, full_name, email, password_hash, admin, org, created_at
		FROM users WHERE name_lower = ?`, strings.ToLower(name)).
		Scan(&u.Name, &u.FullName, &u.Email, &u.PasswordHash, &admin, &org, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hub.Errorf(hub.ErrNotFound, "user %s not found", name)
	}
	if err != nil {
		return nil, dbError("get user", err)
	}
	u.Admin, u.Org = admin != 0, org != 0
	if u.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &u, nil
}

// UpdateUser implements hub.UserStore.
func (db *DB) UpdateUser(ctx context.Context, u *hub.User) error {
	res, err := db.db.ExecContext(ctx, `UPDATE users SET name = ?, full_name = ?, email = ?,
		password_hash = ?, admin = ?, org = ?, created_at = ? WHERE name_lower = ?`, u.Name, u.FullName, u.Email,
		u.PasswordHash, boolInt(u.Admin), boolInt(u.Org), fmtTime(u.CreatedAt), strings.ToLower(u.Name))
	return checkOne(res, err, "update user", hub.Errorf(hub.ErrNotFound, "user %s not found", u.Name))
}

// checkOne turns a write that matched no row into missing.
func checkOne(res sql.Result, err error, op string, missing error) error {
	if err != nil {
		return dbError(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(op, err)
	}
	if n == 0 {
		return missing
	}
	return nil
}

const tokenCols = `hash, suffix, user, role, label, created_at, last_used_at, revoked_at, scopes, expires_at`

func scanToken(s scanner) (*hub.Token, error) {
	var t hub.Token
	var created, used, revoked, scopes, expires string
	err := s.Scan(&t.Hash, &t.Suffix, &t.User, &t.Role, &t.Label, &created, &used, &revoked, &scopes, &expires)
	if err != nil {
		return nil, err
	}
	if t.CreatedAt, err = parseTime(created); err == nil {
		if t.LastUsedAt, err = parseTime(used); err == nil {
			if t.RevokedAt, err = parseTime(revoked); err == nil {
				t.ExpiresAt, err = parseTime(expires)
			}
		}
	}
	if err == nil {
		t.Scopes, err = decodeScopes(scopes)
	}
	return &t, err
}

// scopeJSON is a token scope's stored form.
type scopeJSON struct {
	Type      string `json:"type,omitempty"`
	Namespace string `json:"namespace"`
	Name      string `json:"name,omitempty"`
	Role      string `json:"role"`
}

func encodeScopes(scopes []hub.TokenScope) string {
	out := make([]scopeJSON, len(scopes))
	for i, sc := range scopes {
		out[i] = scopeJSON{Type: string(sc.Type), Namespace: sc.Namespace, Name: sc.Name, Role: sc.Role}
	}
	b, _ := json.Marshal(out) // plain strings: cannot fail
	return string(b)
}

func decodeScopes(s string) ([]hub.TokenScope, error) {
	if s == "[]" || s == "" {
		return nil, nil // most tokens: skip the JSON decoder on this hot path
	}
	var in []scopeJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("sqlite: bad token scopes %q: %w", s, err)
	}
	var out []hub.TokenScope
	for _, sc := range in {
		out = append(out, hub.TokenScope{Type: hub.RepoType(sc.Type), Namespace: sc.Namespace, Name: sc.Name, Role: sc.Role})
	}
	return out, nil
}

// CreateToken implements hub.TokenStore.
func (db *DB) CreateToken(ctx context.Context, t *hub.Token) error {
	if t.Hash == "" {
		return hub.Errorf(hub.ErrInvalid, "token hash is required")
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO tokens (hash, suffix, user_lower, user, role, label,
		created_at, last_used_at, revoked_at, scopes, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.Hash,
		t.Suffix, strings.ToLower(t.User), t.User, t.Role, t.Label, fmtTime(t.CreatedAt), fmtTime(t.LastUsedAt),
		fmtTime(t.RevokedAt), encodeScopes(t.Scopes), fmtTime(t.ExpiresAt))
	if isConstraint(err) {
		return hub.Errorf(hub.ErrConflict, "token already exists")
	}
	if err != nil {
		return dbError("create token", err)
	}
	return nil
}

// GetToken implements hub.TokenStore.
func (db *DB) GetToken(ctx context.Context, hash string) (*hub.Token, error) {
	t, err := scanToken(db.row(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hub.Errorf(hub.ErrNotFound, "token not found")
	}
	if err != nil {
		return nil, dbError("get token", err)
	}
	return t, nil
}

// ListTokens implements hub.TokenStore.
func (db *DB) ListTokens(ctx context.Context, user string) ([]*hub.Token, error) {
	return queryAll(ctx, db, "list tokens", scanToken, `SELECT `+tokenCols+` FROM tokens WHERE user_lower = ?
		ORDER BY created_at, rowid`, strings.ToLower(user))
}

// UpdateToken implements hub.TokenStore. A revocation is never undone: a
// record read before another connection revoked the token (the service
// rewriting its last use) keeps the stored revocation time.
func (db *DB) UpdateToken(ctx context.Context, t *hub.Token) error {
	// An expiry only ever moves earlier, for the same reason.
	zero, exp := fmtTime(time.Time{}), fmtTime(t.ExpiresAt)
	res, err := db.db.ExecContext(ctx, `UPDATE tokens SET suffix = ?, user_lower = ?, user = ?, role = ?,
		label = ?, created_at = ?, last_used_at = ?,
		revoked_at = CASE WHEN revoked_at = ? THEN ? ELSE revoked_at END, scopes = ?,
		expires_at = CASE WHEN expires_at = ? OR (? <> ? AND ? < expires_at) THEN ? ELSE expires_at END
		WHERE hash = ?`, t.Suffix,
		strings.ToLower(t.User), t.User, t.Role, t.Label, fmtTime(t.CreatedAt), fmtTime(t.LastUsedAt),
		fmtTime(time.Time{}), fmtTime(t.RevokedAt), encodeScopes(t.Scopes),
		zero, exp, zero, exp, exp, t.Hash)
	return checkOne(res, err, "update token", hub.Errorf(hub.ErrNotFound, "token not found"))
}
