package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"quarry/hub"
)

// GetRef implements hub.RefStore.
func (db *DB) GetRef(ctx context.Context, repoKey, name string) (string, error) {
	var c string
	err := db.row(ctx, `SELECT commit_id FROM refs WHERE repo_key = ? AND name = ?`,
		repoKey, name).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", hub.NotFoundf(hub.ErrRevisionNotFound, "ref %s not found", name)
	}
	if err != nil {
		return "", dbError("get ref", err)
	}
	return c, nil
}

// ListRefs implements hub.RefStore.
func (db *DB) ListRefs(ctx context.Context, repoKey string) ([]hub.Ref, error) {
	rows, err := db.rows(ctx, `SELECT name, commit_id FROM refs WHERE repo_key = ? ORDER BY name`, repoKey)
	if err != nil {
		return nil, dbError("list refs", err)
	}
	defer rows.Close()
	var refs []hub.Ref
	for rows.Next() {
		var r hub.Ref
		if err := rows.Scan(&r.Name, &r.Commit); err != nil {
			return nil, dbError("list refs", err)
		}
		refs = append(refs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list refs", err)
	}
	return refs, nil
}

// UpdateRef implements hub.RefStore. Each case is one conditional statement,
// so processes sharing the file cannot both win a race.
func (db *DB) UpdateRef(ctx context.Context, repoKey, name, old, new string) error {
	var (
		res sql.Result
		err error
	)
	switch {
	case old == "" && new == "":
		var n int
		err = db.row(ctx, `SELECT count(*) FROM refs WHERE repo_key = ? AND name = ?`,
			repoKey, name).Scan(&n)
		if err == nil && n > 0 {
			return hub.Errorf(hub.ErrConflict, "ref %s already exists", name)
		}
		if err != nil {
			return dbError("update ref", err)
		}
		return nil
	case old == "":
		res, err = db.db.ExecContext(ctx, `INSERT INTO refs (repo_key, name, commit_id) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, repoKey, name, new)
	case new == "":
		res, err = db.db.ExecContext(ctx, `DELETE FROM refs WHERE repo_key = ? AND name = ? AND commit_id = ?`,
			repoKey, name, old)
	default:
		res, err = db.db.ExecContext(ctx, `UPDATE refs SET commit_id = ? WHERE repo_key = ? AND name = ? AND commit_id = ?`,
			new, repoKey, name, old)
	}
	if err != nil {
		return dbError("update ref", err)
	}
	n, err := res.RowsAffected()
	switch {
	case err != nil:
		return dbError("update ref", err)
	case n > 0:
		return nil
	case old == "":
		return hub.Errorf(hub.ErrConflict, "ref %s already exists", name)
	}
	return hub.Errorf(hub.ErrPrecondition, "ref %s moved: expected %s", name, old)
}

// AddLFSObject implements hub.LFSIndex.
func (db *DB) AddLFSObject(ctx context.Context, repoKey, oid string, size int64) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO lfs_objects (repo_key, oid, size) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, repoKey, oid, size)
	if err != nil {
		return dbError("add LFS object", err)
	}
	return nil
}

// GetLFSObject implements hub.LFSIndex.
func (db *DB) GetLFSObject(ctx context.Context, repoKey, oid string) (int64, error) {
	var size int64
	err := db.row(ctx, `SELECT size FROM lfs_objects WHERE repo_key = ? AND oid = ?`,
		repoKey, oid).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, hub.Errorf(hub.ErrNotFound, "LFS object %s not found", oid)
	}
	if err != nil {
		return 0, dbError("get LFS object", err)
	}
	return size, nil
}
