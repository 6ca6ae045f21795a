package hubhttp_test

import (
	"strings"
	"testing"
)

func TestRefs(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "m", "model", false)
	type ref struct{ Name, Ref, TargetCommit string }
	var refs struct {
		Branches, Tags []ref
		Converts       []any
	}
	e.req("GET", "/api/models/alice/m/refs", "", nil).must(t, 200).json(t, &refs)
	if len(refs.Branches) != 1 || refs.Branches[0].Name != "main" || refs.Branches[0].Ref != "refs/heads/main" ||
		refs.Tags == nil || refs.Converts == nil {
		t.Fatalf("refs=%+v", refs)
	}
	main := refs.Branches[0].TargetCommit

	e.req("POST", "/api/models/alice/m/branch/dev", e.alice, map[string]any{"startingPoint": "main"}).must(t, 200)
	e.req("POST", "/api/models/alice/m/branch/dev", e.alice, nil).mustError(t, 409, "")
	e.req("POST", "/api/models/alice/m/branch/dev2", e.bob, nil).mustError(t, 403, "")
	e.req("DELETE", "/api/models/alice/m/branch/main", e.alice, nil).mustError(t, 403, "")
	e.req("DELETE", "/api/models/alice/m/branch/nope", e.alice, nil).mustError(t, 404, "RevisionNotFound")

	e.req("POST", "/api/models/alice/m/tag/main", e.alice, map[string]any{"tag": "v1", "message": "first"}).must(t, 200)
	e.req("POST", "/api/models/alice/m/tag/main", e.alice, map[string]any{"tag": "v1"}).mustError(t, 409, "")
	e.req("POST", "/api/models/alice/m/tag/nope", e.alice, map[string]any{"tag": "v2"}).mustError(t, 404, "RevisionNotFound")
	e.req("GET", "/api/models/alice/m/refs", "", nil).must(t, 200).json(t, &refs)
	if len(refs.Branches) != 2 || len(refs.Tags) != 1 || refs.Tags[0].Name != "v1" || refs.Tags[0].TargetCommit != main {
		t.Fatalf("refs=%+v", refs)
	}
	e.req("GET", "/alice/m/resolve/v1/.gitattributes", "", nil).must(t, 200)
	e.req("DELETE", "/api/models/alice/m/branch/dev", e.alice, nil).must(t, 200)
	e.req("DELETE", "/api/models/alice/m/tag/v1", e.alice, nil).must(t, 200)
	e.req("DELETE", "/api/models/alice/m/tag/v1", e.alice, nil).mustError(t, 404, "RevisionNotFound")
}

func TestCommits(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "m", "model", false)
	for _, s := range []string{"one", "two <b>", "three"} {
		e.commit(e.alice, "models/alice/m", "main", ndjson(s, "", fileOp(s+".txt", s))).must(t, 200)
	}
	type commit struct {
		ID, Title, Message, Date string
		Authors                  []struct{ User string }
		Formatted                *struct{ Title string }
	}
	var all []commit
	next := "/api/models/alice/m/commits/main?limit=2&expand[]=formatted"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		r := e.req("GET", next, "", nil).must(t, 200)
		if got := r.Header.Get("X-Total-Count"); got != "4" {
			t.Fatalf("X-Total-Count=%q, want 4", got)
		}
		var page []commit
		r.json(t, &page)
		all = append(all, page...)
		next = strings.TrimSuffix(strings.TrimPrefix(r.Header.Get("Link"), "<"), `>; rel="next"`)
	}
	var titles []string
	for _, c := range all {
		titles = append(titles, c.Title)
	}
	if got, want := strings.Join(titles, "|"), "three|two <b>|one|initial commit"; got != want {
		t.Fatalf("titles=%s, want %s", got, want)
	}
	if c := all[1]; len(c.Authors) != 1 || c.Authors[0].User != "alice" || c.Formatted == nil ||
		c.Formatted.Title != "two &lt;b&gt;" || !strings.HasSuffix(c.Date, "Z") {
		t.Fatalf("commit=%+v", c)
	}
	e.req("GET", "/api/models/alice/m/commits/nope", "", nil).mustError(t, 404, "RevisionNotFound")
}

func TestXet(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "m", "model", false)
	for _, p := range []string{"/api/models/alice/m/xet-read-token/main", "/api/models/alice/m/xet-write-token/main"} {
		r := e.req("GET", p, e.alice, nil).mustError(t, 501, "")
		if got, want := string(r.body), `{"error":"Xet storage is not supported by this hub; set HF_HUB_DISABLE_XET=1"}`; got != want {
			t.Fatalf("body=%s, want %s", got, want)
		}
	}
}
