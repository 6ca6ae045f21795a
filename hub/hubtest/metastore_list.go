package hubtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"quarry/hub"
)

// listFixture creates seven repos with distinct sort values and returns them
// by number (index 0 unused).
func listFixture(t *testing.T, s hub.MetaStore) []*hub.Repo {
	rows := []struct {
		typ         hub.RepoType
		ns, name    string
		private     bool
		tags        []string
		pipeline    string
		downloads   int64
		likes       int64
		updatedMins int
	}{
		{hub.Model, "alice", "bert-base", false, []string{"text-classification", "license:mit"}, "text-classification", 100, 5, 30},
		{hub.Model, "alice", "gpt-small", true, []string{"text-generation", "license:apache-2.0"}, "text-generation", 50, 20, 10},
		{hub.Model, "bob", "bert-large", false, []string{"text-classification", "license:apache-2.0"}, "text-classification", 300, 1, 50},
		{hub.Dataset, "alice", "squad-mini", false, []string{"license:mit"}, "", 10, 9, 20},
		{hub.Model, "carol", "vit", true, []string{"image-classification"}, "image-classification", 5, 40, 60},
		{hub.Space, "bob", "demo", false, nil, "", 0, 3, 5},
		{hub.Model, "bob", "tiny-bert-test", false, []string{"license:mit", "text-classification-extra"}, "", 7, 2, 40},
	}
	repos := []*hub.Repo{nil}
	for i, row := range rows {
		r := newRepo(i+1, row.typ, row.ns, row.name)
		r.Private, r.Tags, r.PipelineTag = row.private, row.tags, row.pipeline
		r.Downloads, r.Likes = row.downloads, row.likes
		r.UpdatedAt = t0.Add(time.Duration(row.updatedMins) * time.Minute)
		mustCreateRepo(t, s, r)
		repos = append(repos, r)
	}
	return repos
}

// listAll pages through f with f.Limit and returns the keys in order.
func listAll(t *testing.T, s hub.MetaStore, f hub.RepoFilter) []string {
	t.Helper()
	var keys []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		page, next, err := s.ListRepos(context.Background(), f)
		if err != nil {
			t.Fatalf("ListRepos(%+v): %v", f, err)
		}
		if len(page) > f.Limit {
			t.Fatalf("page of %d repos, limit %d", len(page), f.Limit)
		}
		for _, r := range page {
			keys = append(keys, r.Key)
		}
		if next == "" {
			return keys
		}
		f.After = next
	}
}

func keysOf(nums ...int) []string {
	keys := make([]string, 0, len(nums))
	for _, n := range nums {
		keys = append(keys, repoKey(n))
	}
	return keys
}

func testListRepos(t *testing.T, open func(t *testing.T) hub.MetaStore) {
	s := open(t)
	listFixture(t, s)
	t.Run("Filters", func(t *testing.T) { testListFilters(t, s) })
	t.Run("Visibility", func(t *testing.T) { testListVisibility(t, s) })
	t.Run("Sort", func(t *testing.T) { testListSort(t, s) })
	t.Run("Content", func(t *testing.T) { testListContent(t, open(t)) })
	t.Run("PagingTies", func(t *testing.T) { testListPagingTies(t, open(t)) })
}

func testListFilters(t *testing.T, s hub.MetaStore) {
	tests := []struct {
		name string
		f    hub.RepoFilter
		want []int
	}{
		{"None", hub.RepoFilter{}, []int{1, 2, 4, 3, 6, 7, 5}},
		{"TypeModel", hub.RepoFilter{Type: hub.Model}, []int{1, 2, 3, 7, 5}},
		{"TypeDataset", hub.RepoFilter{Type: hub.Dataset}, []int{4}},
		{"TypeSpace", hub.RepoFilter{Type: hub.Space}, []int{6}},
		{"Author", hub.RepoFilter{Author: "bob"}, []int{3, 6, 7}},
		{"SearchCaseInsensitive", hub.RepoFilter{Search: []string{"BERT"}}, []int{1, 3, 7}},
		{"SearchAll", hub.RepoFilter{Search: []string{"bert", "large"}}, []int{3}},
		{"SearchNamespace", hub.RepoFilter{Search: []string{"alice/"}}, []int{1, 2, 4}},
		{"SearchNone", hub.RepoFilter{Search: []string{"zzz"}}, nil},
		{"TagExact", hub.RepoFilter{Tags: []string{"text-classification"}}, []int{1, 3}},
		{"TagsAll", hub.RepoFilter{Tags: []string{"license:mit", "text-classification"}}, []int{1}},
		{"TagPrefixNoMatch", hub.RepoFilter{Tags: []string{"license"}}, nil},
		{"PipelineTag", hub.RepoFilter{PipelineTag: "text-classification"}, []int{1, 3}},
		{"Combined", hub.RepoFilter{Type: hub.Model, Author: "alice", Tags: []string{"license:apache-2.0"}}, []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.Sort, f.Ascending, f.Limit, f.AllPrivate = "id", true, 100, true
			if got, want := listAll(t, s, f), keysOf(tt.want...); !slices.Equal(got, want) {
				t.Fatalf("keys = %v, want %v", got, want)
			}
		})
	}
}

func testListVisibility(t *testing.T, s hub.MetaStore) {
	tests := []struct {
		name string
		f    hub.RepoFilter
		want []int
	}{
		{"Anonymous", hub.RepoFilter{}, []int{1, 4, 3, 6, 7}},
		{"Namespace", hub.RepoFilter{ViewerNamespaces: []string{"alice"}}, []int{1, 2, 4, 3, 6, 7}},
		{"OtherNamespace", hub.RepoFilter{ViewerNamespaces: []string{"bob"}}, []int{1, 4, 3, 6, 7}},
		{"RepoKey", hub.RepoFilter{ViewerRepoKeys: []string{repoKey(5)}}, []int{1, 4, 3, 6, 7, 5}},
		{"All", hub.RepoFilter{AllPrivate: true}, []int{1, 2, 4, 3, 6, 7, 5}},
		{"WithFilter", hub.RepoFilter{Author: "carol"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.Sort, f.Ascending, f.Limit = "id", true, 100
			if got, want := listAll(t, s, f), keysOf(tt.want...); !slices.Equal(got, want) {
				t.Fatalf("keys = %v, want %v", got, want)
			}
		})
	}
}

func testListSort(t *testing.T, s hub.MetaStore) {
	ascending := map[string][]int{
		"id":           {1, 2, 4, 3, 6, 7, 5},
		"createdAt":    {1, 2, 3, 4, 5, 6, 7},
		"lastModified": {6, 2, 4, 1, 7, 3, 5},
		"downloads":    {6, 5, 7, 4, 2, 1, 3},
		"likes":        {3, 7, 6, 1, 4, 2, 5},
	}
	for sort, asc := range ascending {
		desc := slices.Clone(asc)
		slices.Reverse(desc)
		for _, limit := range []int{100, 7, 3, 2, 1} {
			for _, up := range []bool{true, false} {
				want := keysOf(asc...)
				if !up {
					want = keysOf(desc...)
				}
				f := hub.RepoFilter{Sort: sort, Ascending: up, Limit: limit, AllPrivate: true}
				if got := listAll(t, s, f); !slices.Equal(got, want) {
					t.Errorf("sort %s ascending=%v limit %d: keys = %v, want %v", sort, up, limit, got, want)
				}
			}
		}
	}
}

func testListContent(t *testing.T, s hub.MetaStore) {
	repos := listFixture(t, s)
	page, next, err := s.ListRepos(context.Background(), hub.RepoFilter{Sort: "createdAt", Ascending: true, Limit: 2, AllPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if next == "" || len(page) != 2 {
		t.Fatalf("first page: %d repos, next %q", len(page), next)
	}
	for i, r := range page {
		want := *repos[i+1]
		want.Version = 1
		if !cmpRepo(t, &want, r) {
			return
		}
	}
}

func cmpRepo(t *testing.T, want, got *hub.Repo) bool {
	t.Helper()
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("repo %s mismatch (-want +got):\n%s", want.ID, diff)
		return false
	}
	return true
}

// testListPagingTies pages through repos with equal sort values while
// others are created: every repo present at the start is seen exactly once.
func testListPagingTies(t *testing.T, s hub.MetaStore) {
	const n = 25
	for i := 1; i <= n; i++ {
		r := newRepo(i, hub.Model, "ns", fmt.Sprintf("repo-%02d", i))
		r.CreatedAt, r.UpdatedAt, r.Downloads, r.Likes = t0, t0, 3, 3
		mustCreateRepo(t, s, r)
	}
	extra := 1000
	for _, sort := range []string{"id", "createdAt", "lastModified", "downloads", "likes"} {
		for _, up := range []bool{true, false} {
			f := hub.RepoFilter{Sort: sort, Ascending: up, Limit: 4}
			seen := map[string]int{}
			for pages := 0; ; pages++ {
				page, next, err := s.ListRepos(context.Background(), f)
				if err != nil || pages > 50 {
					t.Fatalf("ListRepos(%s): %v after %d pages", sort, err, pages)
				}
				for _, r := range page {
					seen[r.Key]++
				}
				if pages < 2 {
					extra++
					r := newRepo(extra, hub.Model, "ns", fmt.Sprintf("extra-%d", extra))
					r.CreatedAt, r.UpdatedAt, r.Downloads, r.Likes = t0, t0, 3, 3
					mustCreateRepo(t, s, r)
				}
				if next == "" {
					break
				}
				f.After = next
			}
			for k, c := range seen {
				if c != 1 {
					t.Errorf("sort %s ascending=%v: repo %s seen %d times", sort, up, k, c)
				}
			}
			for i := 1; i <= n; i++ {
				if seen[repoKey(i)] != 1 {
					t.Errorf("sort %s ascending=%v: repo %s seen %d times", sort, up, repoKey(i), seen[repoKey(i)])
				}
			}
		}
	}
}
