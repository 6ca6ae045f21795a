-- Repos, their tags, refs, users, tokens and the LFS index.
-- Times are UTC text in the fixed-width layout 2006-01-02T15:04:05.000000000Z,
-- so they sort as strings. Lower-case columns serve case-insensitive lookups.

CREATE TABLE repos (
	key          TEXT PRIMARY KEY,
	type         TEXT NOT NULL,
	namespace    TEXT NOT NULL,
	name         TEXT NOT NULL,
	ns_lower     TEXT NOT NULL,
	id_lower     TEXT NOT NULL, -- lower(namespace || '/' || name)
	private      INTEGER NOT NULL,
	gated        TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	version      INTEGER NOT NULL,
	head         TEXT NOT NULL,
	tags         TEXT NOT NULL, -- JSON array, in the repo's order
	pipeline_tag TEXT NOT NULL,
	library_name TEXT NOT NULL,
	downloads    INTEGER NOT NULL,
	likes        INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX repos_type_id ON repos (type, id_lower);
CREATE INDEX repos_id ON repos (id_lower, key);
CREATE INDEX repos_created ON repos (created_at, key);
CREATE INDEX repos_updated ON repos (updated_at, key);
CREATE INDEX repos_downloads ON repos (downloads, key);
CREATE INDEX repos_likes ON repos (likes, key);
CREATE INDEX repos_ns ON repos (ns_lower);

CREATE TABLE repo_tags (
	repo_key TEXT NOT NULL REFERENCES repos (key) ON DELETE CASCADE,
	tag      TEXT NOT NULL,
	PRIMARY KEY (repo_key, tag)
) STRICT, WITHOUT ROWID;

CREATE INDEX repo_tags_tag ON repo_tags (tag, repo_key);

CREATE TABLE refs (
	repo_key  TEXT NOT NULL,
	name      TEXT NOT NULL,
	commit_id TEXT NOT NULL,
	PRIMARY KEY (repo_key, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE users (
	name_lower    TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	full_name     TEXT NOT NULL,
	email         TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	admin         INTEGER NOT NULL,
	created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE tokens (
	hash         TEXT PRIMARY KEY,
	suffix       TEXT NOT NULL,
	user_lower   TEXT NOT NULL,
	user         TEXT NOT NULL,
	role         TEXT NOT NULL,
	label        TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	last_used_at TEXT NOT NULL,
	revoked_at   TEXT NOT NULL
) STRICT;

CREATE INDEX tokens_user ON tokens (user_lower, created_at);

CREATE TABLE lfs_objects (
	repo_key TEXT NOT NULL,
	oid      TEXT NOT NULL,
	size     INTEGER NOT NULL,
	PRIMARY KEY (repo_key, oid)
) STRICT, WITHOUT ROWID;
