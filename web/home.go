package web

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// Page sizes of the home page.
const (
	homePageSize = 30
	yoursSize    = 10
	maxQueryLen  = 200
)

// homeQuery is the home page's search form, as read from the URL.
type homeQuery struct {
	Search, Type, Task, Library, License, Author, Sort, After string
}

// option is one choice of a select element.
type option struct{ Value, Label string }

// sortOptions are the orders the home page offers (hub sort names).
var sortOptions = []option{
	{"lastModified", "Recently updated"}, {"createdAt", "Recently created"}, {"id", "Name"},
	{"downloads", "Most downloads"}, {"likes", "Most likes"},
}

// typeOptions are the repo types the home page searches.
var typeOptions = []option{{"", "All"}, {"model", "Models"}, {"dataset", "Datasets"}, {"space", "Spaces"}}

// repoCard is one repo in a listing.
type repoCard struct {
	ID          hub.RepoID
	URL         string
	Type        string
	Private     bool
	PipelineTag string
	LibraryName string
	UpdatedAt   time.Time
	Downloads   int64
	Likes       int64
}

// homeData is the home page's data.
type homeData struct {
	Query    homeQuery
	Sorts    []option
	Types    []option
	Filtered bool       // any search or filter given
	Yours    []repoCard // the reader's and their organizations' matches (first page only)
	Results  []repoCard
	Next     string // URL of the next page, "" on the last
	First    string // URL of the first page, "" on it
}

// readHomeQuery reads and normalises the query string.
func readHomeQuery(c *fiber.Ctx) homeQuery {
	get := func(k string) string {
		v := strings.TrimSpace(c.Query(k))
		if len(v) > maxQueryLen {
			v = v[:maxQueryLen]
		}
		return v
	}
	q := homeQuery{Search: get("search"), Type: get("type"), Task: get("task"), Library: get("library"),
		License: get("license"), Author: get("author"), Sort: get("sort"), After: get("after")}
	if !slices.ContainsFunc(typeOptions, func(o option) bool { return o.Value == q.Type }) {
		q.Type = ""
	}
	if !slices.ContainsFunc(sortOptions, func(o option) bool { return o.Value == q.Sort }) {
		q.Sort = "lastModified"
	}
	return q
}

// filter returns the hub filter of the query.
func (q homeQuery) filter() hub.RepoFilter {
	f := hub.RepoFilter{Type: hub.RepoType(q.Type), Search: strings.Fields(q.Search), Author: q.Author,
		PipelineTag: q.Task, Sort: q.Sort, Ascending: q.Sort == "id", After: q.After, Limit: homePageSize}
	if q.Library != "" {
		f.Tags = append(f.Tags, q.Library)
	}
	if q.License != "" {
		f.Tags = append(f.Tags, "license:"+q.License)
	}
	return f
}

// url returns the home page URL of the query at cursor after.
func (q homeQuery) url(after string) string {
	v := url.Values{}
	for k, val := range map[string]string{"search": q.Search, "type": q.Type, "task": q.Task, "library": q.Library,
		"license": q.License, "author": q.Author, "after": after} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if q.Sort != "lastModified" {
		v.Set("sort", q.Sort)
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// home serves GET /: search with filters, sort and pagination. Without
// JavaScript the form submits as a GET to / itself.
func (s *site) home(c *fiber.Ctx, r *reader) error {
	q := readHomeQuery(c)
	ctx := c.UserContext()
	d := homeData{Query: q, Sorts: sortOptions, Types: typeOptions,
		Filtered: q.Search != "" || q.Type != "" || q.Task != "" || q.Library != "" || q.License != "" || q.Author != ""}
	page, next, err := s.svc.ListRepos(ctx, r.caller, q.filter())
	if err != nil {
		return err
	}
	d.Results = repoCards(page)
	if next != "" {
		d.Next = q.url(next)
	}
	if q.After != "" {
		d.First = q.url("")
	} else if d.Yours, err = s.yours(ctx, r.caller, q); err != nil {
		return err
	}
	title := "Models, datasets and spaces"
	if d.Filtered {
		title = "Search results"
	}
	return s.render(c, fiber.StatusOK, "home", r.view(c, title, d))
}

// yours returns the best matches of q in the reader's own namespace and
// their organizations', in q's order.
func (s *site) yours(ctx context.Context, c *hub.Caller, q homeQuery) ([]repoCard, error) {
	if c.Anonymous() {
		return nil, nil
	}
	namespaces := []string{c.Name()}
	for _, m := range c.Orgs {
		namespaces = append(namespaces, m.Org)
	}
	var all []*hub.Repo
	for _, ns := range namespaces {
		if q.Author != "" && !strings.EqualFold(q.Author, ns) {
			continue
		}
		f := q.filter()
		f.Author, f.Limit = ns, yoursSize
		page, _, err := s.svc.ListRepos(ctx, c, f)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
	}
	slices.SortStableFunc(all, func(a, b *hub.Repo) int { return compareRepos(a, b, q.Sort) })
	return repoCards(all[:min(len(all), yoursSize)]), nil
}

// compareRepos orders repos like the store does for sort.
func compareRepos(a, b *hub.Repo, sort string) int {
	switch sort {
	case "id":
		return cmp.Compare(strings.ToLower(a.ID.String()), strings.ToLower(b.ID.String()))
	case "createdAt":
		return b.CreatedAt.Compare(a.CreatedAt)
	case "downloads":
		return cmp.Compare(b.Downloads, a.Downloads)
	case "likes":
		return cmp.Compare(b.Likes, a.Likes)
	}
	return b.UpdatedAt.Compare(a.UpdatedAt)
}

// repoCards turns repos into listing rows.
func repoCards(repos []*hub.Repo) []repoCard {
	out := make([]repoCard, 0, len(repos))
	for _, r := range repos {
		out = append(out, repoCard{ID: r.ID, URL: repoURL(r.ID), Type: string(r.ID.Type), Private: r.Private,
			PipelineTag: r.PipelineTag, LibraryName: r.LibraryName, UpdatedAt: r.UpdatedAt,
			Downloads: r.Downloads, Likes: r.Likes})
	}
	return out
}
