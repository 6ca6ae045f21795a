-- Training projects (hub.ProjectStore). The fields the store filters and
-- orders on are columns; the rest of the record (candidates, labels,
-- publication...) is one JSON document rewritten with each compare-and-swap
-- on version.
CREATE TABLE projects (
	id              TEXT PRIMARY KEY,
	namespace_lower TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	version         INTEGER NOT NULL,
	doc             TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX projects_namespace ON projects (namespace_lower, created_at, id);
CREATE INDEX projects_created ON projects (created_at, id);
