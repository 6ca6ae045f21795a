-- Organizations (users with org = 1), memberships, teams, repo grants,
-- fine-grained token scopes, web sessions and the audit log.

ALTER TABLE users ADD COLUMN org INTEGER NOT NULL DEFAULT 0;

ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '[]'; -- JSON array of scopes

CREATE TABLE org_members (
	org_lower  TEXT NOT NULL,
	user_lower TEXT NOT NULL,
	org        TEXT NOT NULL,
	user       TEXT NOT NULL,
	role       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (org_lower, user_lower)
) STRICT, WITHOUT ROWID;

CREATE INDEX org_members_user ON org_members (user_lower, org_lower);

CREATE TABLE teams (
	org_lower  TEXT NOT NULL,
	name_lower TEXT NOT NULL,
	org        TEXT NOT NULL,
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (org_lower, name_lower)
) STRICT, WITHOUT ROWID;

CREATE TABLE team_members (
	org_lower  TEXT NOT NULL,
	team_lower TEXT NOT NULL,
	user_lower TEXT NOT NULL,
	PRIMARY KEY (org_lower, team_lower, user_lower),
	FOREIGN KEY (org_lower, team_lower) REFERENCES teams (org_lower, name_lower) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX team_members_user ON team_members (user_lower, org_lower, team_lower);

CREATE TABLE grants (
	repo_key   TEXT NOT NULL,
	subject    TEXT NOT NULL,
	role       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (repo_key, subject)
) STRICT, WITHOUT ROWID;

CREATE INDEX grants_subject ON grants (subject, repo_key);

CREATE TABLE sessions (
	id_hash    TEXT PRIMARY KEY,
	user       TEXT NOT NULL,
	csrf       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE audit (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	time        TEXT NOT NULL,
	actor_lower TEXT NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	target      TEXT NOT NULL,
	client_addr TEXT NOT NULL,
	detail      TEXT NOT NULL
) STRICT;

CREATE INDEX audit_actor ON audit (actor_lower, seq);
