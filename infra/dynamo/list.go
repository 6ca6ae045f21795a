package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"quarry/hub"
)

// attrLPK is the partition key of the repo sort indexes: "R#<type>".
const attrLPK = "LPK"

// sortIndex is the index listing repos in one order, and its sort key.
type sortIndex struct{ index, attr string }

// sortIndexes maps RepoFilter.Sort to its index.
var sortIndexes = map[string]sortIndex{
	"id":           {"repos-by-id", "LID"},
	"createdAt":    {"repos-by-created", "LCR"},
	"lastModified": {"repos-by-modified", "LMOD"},
	"downloads":    {"repos-by-downloads", "LDL"},
	"likes":        {"repos-by-likes", "LLK"},
}

// sortValue is r's sort key in the index of sort: the value in a form
// that sorts as text, then '#' and the repo key, so values are unique.
func sortValue(sort string, r *hub.Repo) string {
	var v string
	switch sort {
	case "id":
		v = idLower(r.ID)
	case "createdAt":
		v = fmtTime(r.CreatedAt)
	case "lastModified":
		v = fmtTime(r.UpdatedAt)
	case "downloads":
		v = sortableInt(r.Downloads)
	case "likes":
		v = sortableInt(r.Likes)
	}
	return v + "#" + r.Key
}

// sortableInt maps int64 to 20 digits in the same order.
func sortableInt(n int64) string { return fmt.Sprintf("%020d", uint64(n)^1<<63) }

// cursor is the position after which the next page starts.
type cursor struct {
	Sort  string `json:"o"`
	Asc   bool   `json:"a"`
	Value string `json:"v"` // sort value of the last repo returned
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c) // strings and a bool: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseCursor returns the sort value a page starts after, "" for none.
func parseCursor(sort string, asc bool, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Sort != sort || c.Asc != asc || c.Value == "" {
		return "", hub.Errorf(hub.ErrInvalid, "invalid cursor")
	}
	return c.Value, nil
}

// ListRepos implements hub.RepoStore; see the package doc for its cost.
// It reads candidates in sort order after the cursor, keeps those that
// match f and that f's viewer may see, and stops at one more than a page
// (to know whether another page follows).
func (m *MetaStore) ListRepos(ctx context.Context, f hub.RepoFilter) ([]*hub.Repo, string, error) {
	sort := f.Sort
	if sort == "" {
		sort = "id"
	}
	ix, ok := sortIndexes[sort]
	if !ok {
		return nil, "", hub.Errorf(hub.ErrInvalid, "invalid sort %q", f.Sort)
	}
	if f.Limit <= 0 {
		return nil, "", hub.Errorf(hub.ErrInvalid, "limit must be positive")
	}
	after, err := parseCursor(sort, f.Ascending, f.After)
	if err != nil {
		return nil, "", err
	}
	var streams []*stream
	if f.Author != "" {
		s, err := m.authorStream(ctx, f, ix.attr, after)
		if err != nil {
			return nil, "", err
		}
		streams = []*stream{s}
	} else {
		streams = m.typeStreams(f, ix, after)
	}
	page, err := merge(ctx, streams, ix.attr, f.Ascending, f.Limit+1, newMatcher(f))
	if err != nil || len(page) <= f.Limit {
		return page, "", err
	}
	page = page[:f.Limit]
	last := sortValue(sort, page[len(page)-1])
	return page, encodeCursor(cursor{Sort: sort, Asc: f.Ascending, Value: last}), nil
}

// typeStreams reads the sort index partition of f.Type, or of every type.
func (m *MetaStore) typeStreams(f hub.RepoFilter, ix sortIndex, after string) []*stream {
	types := []hub.RepoType{hub.Model, hub.Dataset, hub.Space}
	if f.Type != "" {
		types = []hub.RepoType{f.Type}
	}
	streams := make([]*stream, len(types))
	for i, t := range types {
		e := newExpr()
		cond := e.name(attrLPK) + " = " + e.value(str("R#"+string(t)))
		if after != "" {
			op := " > "
			if !f.Ascending {
				op = " < "
			}
			cond += " AND " + e.name(ix.attr) + op + e.value(str(after))
		}
		streams[i] = &stream{m: m, in: &dynamodb.QueryInput{TableName: &m.table, IndexName: &ix.index,
			KeyConditionExpression: &cond, ScanIndexForward: &f.Ascending,
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}, limit: int32(f.Limit + 1)}
	}
	return streams
}

// authorStream reads every repo of f.Author from gsi1 and sorts them in
// memory: a namespace holds few repos.
func (m *MetaStore) authorStream(ctx context.Context, f hub.RepoFilter, attr, after string) (*stream, error) {
	e := newExpr()
	cond := e.name(attrG1PK) + " = " + e.value(str("A#"+strings.ToLower(f.Author)))
	its, err := m.query(ctx, "list repos", &dynamodb.QueryInput{IndexName: aws.String(indexGSI1),
		KeyConditionExpression: &cond, ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}, 0)
	if err != nil {
		return nil, err
	}
	its = slices.DeleteFunc(its, func(it item) bool {
		v := (&decoder{it: it}).s(attr)
		return after != "" && (f.Ascending && v <= after || !f.Ascending && v >= after)
	})
	slices.SortFunc(its, func(a, b item) int {
		c := strings.Compare((&decoder{it: a}).s(attr), (&decoder{it: b}).s(attr))
		if !f.Ascending {
			c = -c
		}
		return c
	})
	return &stream{buf: its, done: true}, nil
}
