package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"quarry/hub"
)

const repoCols = `key, type, namespace, name, private, gated, created_at, updated_at, version,
	head, tags, pipeline_tag, library_name, downloads, likes`

type scanner interface{ Scan(dest ...any) error }

func scanRepo(s scanner) (*hub.Repo, error) {
	var (
		r                hub.Repo
		typ, tags        string
		created, updated string
		private          int
	)
	err := s.Scan(&r.Key, &typ, &r.ID.Namespace, &r.ID.Name, &private, &r.Gated, &created, &updated,
		&r.Version, &r.Head, &tags, &r.PipelineTag, &r.LibraryName, &r.Downloads, &r.Likes)
	if err != nil {
		return nil, err
	}
	r.ID.Type, r.Private = hub.RepoType(typ), private != 0
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if r.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
		return nil, dbError("decode tags", err)
	}
	return &r, nil
}

// repoArgs returns the values of every column but key and version, in the
// order of the INSERT and UPDATE statements below.
func repoArgs(r *hub.Repo) ([]any, error) {
	tags, err := json.Marshal(r.Tags)
	if err != nil {
		return nil, dbError("encode tags", err)
	}
	if r.Tags == nil {
		tags = []byte("[]")
	}
	return []any{string(r.ID.Type), r.ID.Namespace, r.ID.Name, strings.ToLower(r.ID.Namespace),
		strings.ToLower(r.ID.String()), boolInt(r.Private), r.Gated, fmtTime(r.CreatedAt),
		fmtTime(r.UpdatedAt), r.Head, string(tags), r.PipelineTag, r.LibraryName, r.Downloads, r.Likes}, nil
}

// CreateRepo implements hub.RepoStore.
func (db *DB) CreateRepo(ctx context.Context, r *hub.Repo) error {
	if r.Key == "" {
		return hub.Errorf(hub.ErrInvalid, "repo key is required")
	}
	args, err := repoArgs(r)
	if err != nil {
		return err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO repos (key, type, namespace, name, ns_lower, id_lower,
			private, gated, created_at, updated_at, head, tags, pipeline_tag, library_name, downloads,
			likes, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
			append([]any{r.Key}, args...)...)
		if isConstraint(err) {
			return hub.Errorf(hub.ErrConflict, "You already created this %s repo: %s", r.ID.Type, r.ID)
		}
		if err != nil {
			return dbError("create repo", err)
		}
		return insertTags(ctx, tx, r)
	})
	if err == nil {
		r.Version = 1
	}
	return err
}

func insertTags(ctx context.Context, tx *sql.Tx, r *hub.Repo) error {
	for _, tag := range r.Tags {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO repo_tags (repo_key, tag) VALUES (?, ?)`, r.Key, tag)
		if err != nil {
			return dbError("insert tag", err)
		}
	}
	return nil
}

// GetRepo implements hub.RepoStore.
func (db *DB) GetRepo(ctx context.Context, id hub.RepoID) (*hub.Repo, error) {
	row := db.row(ctx, `SELECT `+repoCols+` FROM repos WHERE type = ? AND id_lower = ?`,
		string(id.Type), strings.ToLower(id.String()))
	r, err := scanRepo(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", id)
	}
	if err != nil {
		return nil, dbError("get repo", err)
	}
	return r, nil
}

// UpdateRepo implements hub.RepoStore.
func (db *DB) UpdateRepo(ctx context.Context, r *hub.Repo) error {
	args, err := repoArgs(r)
	if err != nil {
		return err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := checkUpdate(ctx, tx, r); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE repos SET type = ?, namespace = ?, name = ?, ns_lower = ?,
			id_lower = ?, private = ?, gated = ?, created_at = ?, updated_at = ?, head = ?, tags = ?,
			pipeline_tag = ?, library_name = ?, downloads = ?, likes = ?, version = version + 1
			WHERE key = ?`, append(args, r.Key)...)
		if isConstraint(err) {
			return hub.Errorf(hub.ErrConflict, "repository %s already exists", r.ID)
		}
		if err != nil {
			return dbError("update repo", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM repo_tags WHERE repo_key = ?`, r.Key); err != nil {
			return dbError("update repo tags", err)
		}
		return insertTags(ctx, tx, r)
	})
	if err == nil {
		r.Version++
	}
	return err
}

// checkUpdate enforces UpdateRepo's version and rename rules inside tx.
func checkUpdate(ctx context.Context, tx *sql.Tx, r *hub.Repo) error {
	var version int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM repos WHERE key = ?`, r.Key).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", r.ID)
	}
	if err != nil {
		return dbError("update repo", err)
	}
	if version != r.Version {
		return hub.Errorf(hub.ErrPrecondition, "repository %s was modified concurrently", r.ID)
	}
	var n int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM repos WHERE type = ? AND id_lower = ? AND key <> ?`,
		string(r.ID.Type), strings.ToLower(r.ID.String()), r.Key).Scan(&n)
	if err != nil {
		return dbError("update repo", err)
	}
	if n > 0 {
		return hub.Errorf(hub.ErrConflict, "repository %s already exists", r.ID)
	}
	return nil
}

// DeleteRepo implements hub.RepoStore. Tags go by cascade; refs and LFS
// index entries are deleted in the same transaction.
func (db *DB) DeleteRepo(ctx context.Context, key string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM repos WHERE key = ?`, key)
		if err != nil {
			return dbError("delete repo", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return dbError("delete repo", err)
			}
			return hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", key)
		}
		for _, q := range []string{`DELETE FROM refs WHERE repo_key = ?`, `DELETE FROM lfs_objects WHERE repo_key = ?`} {
			if _, err := tx.ExecContext(ctx, q, key); err != nil {
				return dbError("delete repo", err)
			}
		}
		return nil
	})
}

// queryAll runs q and scans every row with scan; op names the operation in
// errors.
func queryAll[T any](ctx context.Context, db *DB, op string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, dbError(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}
