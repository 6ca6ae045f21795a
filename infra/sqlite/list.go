package sqlite

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"quarry/hub"
)

// sortColumns maps RepoFilter.Sort to a column; the repo key breaks ties.
var sortColumns = map[string]string{
	"id":           "id_lower",
	"createdAt":    "created_at",
	"lastModified": "updated_at",
	"downloads":    "downloads",
	"likes":        "likes",
}

// cursor is the position after which the next page starts: the last repo's
// sort value (N for numeric columns, S for text ones) and key.
type cursor struct {
	Sort string `json:"o"`
	N    int64  `json:"n,omitempty"`
	S    string `json:"s,omitempty"`
	K    string `json:"k"`
}

func numeric(sort string) bool { return sort == "downloads" || sort == "likes" }

func cursorOf(sort string, r *hub.Repo) string {
	c := cursor{Sort: sort, K: r.Key}
	switch sort {
	case "id":
		c.S = strings.ToLower(r.ID.String())
	case "createdAt":
		c.S = fmtTime(r.CreatedAt)
	case "lastModified":
		c.S = fmtTime(r.UpdatedAt)
	case "downloads":
		c.N = r.Downloads
	case "likes":
		c.N = r.Likes
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(sort, s string) (*cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Sort != sort {
		return nil, hub.Errorf(hub.ErrInvalid, "invalid cursor")
	}
	return &c, nil
}

// listQuery builds the keyset-paginated query for f.
func listQuery(f hub.RepoFilter, sort string) (string, []any, error) {
	var where []string
	var args []any
	add := func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	}
	if f.Type != "" {
		add("type = ?", string(f.Type))
	}
	if f.Author != "" {
		add("ns_lower = ?", strings.ToLower(f.Author))
	}
	if f.PipelineTag != "" {
		add("pipeline_tag = ?", f.PipelineTag)
	}
	for _, s := range f.Search {
		add("instr(id_lower, ?) > 0", strings.ToLower(s))
	}
	for _, tag := range f.Tags {
		add("EXISTS (SELECT 1 FROM repo_tags t WHERE t.repo_key = repos.key AND t.tag = ?)", tag)
	}
	if !f.AllPrivate {
		cond, vals := visibility(f)
		add(cond, vals...)
	}
	col, op, dir := sortColumns[sort], ">", "ASC"
	if !f.Ascending {
		op, dir = "<", "DESC"
	}
	if f.After != "" {
		c, err := parseCursor(sort, f.After)
		if err != nil {
			return "", nil, err
		}
		var v any = c.S
		if numeric(sort) {
			v = c.N
		}
		add("("+col+", key) "+op+" (?, ?)", v, c.K)
	}
	q := `SELECT ` + repoCols + ` FROM repos`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + col + " " + dir + ", key " + dir + " LIMIT ?"
	return q, append(args, f.Limit+1), nil
}

func visibility(f hub.RepoFilter) (string, []any) {
	conds := []string{"private = 0"}
	var args []any
	if len(f.ViewerNamespaces) > 0 {
		conds = append(conds, "ns_lower IN ("+placeholders(len(f.ViewerNamespaces))+")")
		for _, ns := range f.ViewerNamespaces {
			args = append(args, strings.ToLower(ns))
		}
	}
	if len(f.ViewerRepoKeys) > 0 {
		conds = append(conds, "key IN ("+placeholders(len(f.ViewerRepoKeys))+")")
		for _, k := range f.ViewerRepoKeys {
			args = append(args, k)
		}
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// ListRepos implements hub.RepoStore with keyset pagination: the cursor
// holds the last repo's sort value and key, so pages neither skip nor
// repeat repos when others are created meanwhile.
func (db *DB) ListRepos(ctx context.Context, f hub.RepoFilter) ([]*hub.Repo, string, error) {
	sort := f.Sort
	if sort == "" {
		sort = "id"
	}
	if _, ok := sortColumns[sort]; !ok {
		return nil, "", hub.Errorf(hub.ErrInvalid, "invalid sort %q", f.Sort)
	}
	if f.Limit <= 0 {
		return nil, "", hub.Errorf(hub.ErrInvalid, "limit must be positive")
	}
	q, args, err := listQuery(f, sort)
	if err != nil {
		return nil, "", err
	}
	page, err := queryAll(ctx, db, "list repos", scanRepo, q, args...)
	if err != nil {
		return nil, "", err
	}
	if len(page) <= f.Limit {
		return page, "", nil
	}
	page = page[:f.Limit]
	return page, cursorOf(sort, page[len(page)-1]), nil
}
