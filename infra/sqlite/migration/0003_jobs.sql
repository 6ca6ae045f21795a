-- Training jobs (hub.JobStore) and token expiry (job tokens are short-lived).

ALTER TABLE tokens ADD COLUMN expires_at TEXT NOT NULL DEFAULT '0001-01-01T00:00:00.000000000Z';

-- One row a job. The fields the store filters and orders on are columns;
-- the rest of the record (spec, progress, metrics, log lines...) is one JSON
-- document rewritten with each compare-and-swap on version.
CREATE TABLE jobs (
	id          TEXT PRIMARY KEY,
	owner_lower TEXT NOT NULL,
	project     TEXT NOT NULL,
	state       TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	version     INTEGER NOT NULL,
	doc         TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX jobs_owner ON jobs (owner_lower, created_at, id);
CREATE INDEX jobs_project ON jobs (project, created_at, id);
CREATE INDEX jobs_state ON jobs (state, created_at, id);
