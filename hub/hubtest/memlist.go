package hubtest

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"quarry/hub"
)

// timeKey is the layout that makes UTC times sort as strings.
const timeKey = "2006-01-02T15:04:05.000000000Z"

// listKey is a repo's position in a listing order, and the content of a cursor.
type listKey struct {
	Sort string `json:"o"`
	N    int64  `json:"n,omitempty"`
	S    string `json:"s,omitempty"`
	K    string `json:"k"`
}

func keyOf(sort string, r *hub.Repo) listKey {
	k := listKey{Sort: sort, K: r.Key}
	switch sort {
	case "id":
		k.S = strings.ToLower(r.ID.String())
	case "createdAt":
		k.S = r.CreatedAt.UTC().Format(timeKey)
	case "lastModified":
		k.S = r.UpdatedAt.UTC().Format(timeKey)
	case "downloads":
		k.N = r.Downloads
	case "likes":
		k.N = r.Likes
	}
	return k
}

func compareKeys(a, b listKey) int {
	return cmp.Or(cmp.Compare(a.N, b.N), strings.Compare(a.S, b.S), strings.Compare(a.K, b.K))
}

func listSort(f hub.RepoFilter) (string, error) {
	switch f.Sort {
	case "":
		return "id", nil
	case "id", "createdAt", "lastModified", "downloads", "likes":
		return f.Sort, nil
	}
	return "", hub.Errorf(hub.ErrInvalid, "invalid sort %q", f.Sort)
}

func decodeCursor(sort, s string) (*listKey, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var k listKey
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err != nil || k.Sort != sort {
		return nil, hub.Errorf(hub.ErrInvalid, "invalid cursor")
	}
	return &k, nil
}

func encodeCursor(k listKey) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ListRepos implements hub.RepoStore.
func (m *MemMeta) ListRepos(ctx context.Context, f hub.RepoFilter) ([]*hub.Repo, string, error) {
	sort, err := listSort(f)
	if err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 {
		return nil, "", hub.Errorf(hub.ErrInvalid, "limit must be positive")
	}
	after, err := decodeCursor(sort, f.After)
	if err != nil {
		return nil, "", err
	}
	dir := 1
	if !f.Ascending {
		dir = -1
	}
	m.mu.Lock()
	var page []*hub.Repo
	for _, r := range m.repos {
		if matches(f, r) && (after == nil || dir*compareKeys(keyOf(sort, r), *after) > 0) {
			page = append(page, copyRepo(r))
		}
	}
	m.mu.Unlock()
	slices.SortFunc(page, func(a, b *hub.Repo) int {
		return dir * compareKeys(keyOf(sort, a), keyOf(sort, b))
	})
	if len(page) <= f.Limit {
		return page, "", nil
	}
	page = page[:f.Limit]
	return page, encodeCursor(keyOf(sort, page[len(page)-1])), nil
}

func matches(f hub.RepoFilter, r *hub.Repo) bool {
	if f.Type != "" && r.ID.Type != f.Type {
		return false
	}
	if f.Author != "" && !strings.EqualFold(r.ID.Namespace, f.Author) {
		return false
	}
	if f.PipelineTag != "" && r.PipelineTag != f.PipelineTag {
		return false
	}
	id := strings.ToLower(r.ID.String())
	for _, s := range f.Search {
		if !strings.Contains(id, strings.ToLower(s)) {
			return false
		}
	}
	for _, t := range f.Tags {
		if !slices.Contains(r.Tags, t) {
			return false
		}
	}
	return visible(f, r)
}

func visible(f hub.RepoFilter, r *hub.Repo) bool {
	if !r.Private || f.AllPrivate || slices.Contains(f.ViewerRepoKeys, r.Key) {
		return true
	}
	return slices.ContainsFunc(f.ViewerNamespaces, func(ns string) bool {
		return strings.EqualFold(ns, r.ID.Namespace)
	})
}
