package hubhttp_test

import (
	"encoding/base64"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestHealthzAndCommonHeaders(t *testing.T) {
	e := newEnv(t)
	r := e.req("GET", "/healthz", "", nil).must(t, 200)
	if r.Header.Get("X-Request-Id") == "" {
		t.Fatal("no X-Request-Id")
	}
	if got, want := r.Header.Get("Access-Control-Allow-Origin"), "*"; got != want {
		t.Fatalf("Access-Control-Allow-Origin=%q, want %q", got, want)
	}
	for _, h := range []string{"X-Repo-Commit", "X-Linked-Etag", "X-Linked-Size", "X-Error-Code", "Link", "X-Total-Count"} {
		if !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), h) {
			t.Fatalf("%s not exposed: %q", h, r.Header.Get("Access-Control-Expose-Headers"))
		}
	}
	pre := e.req("OPTIONS", "/api/models/alice/m", "", nil,
		"Origin: http://example.org", "Access-Control-Request-Method: GET",
		"Access-Control-Request-Headers: authorization,range").must(t, 204)
	if got := pre.Header.Get("Access-Control-Allow-Headers"); got != "authorization,range" {
		t.Fatalf("Access-Control-Allow-Headers=%q", got)
	}
	// Unknown routes still get the error shape.
	e.req("GET", "/api/nothing-here", "", nil).mustError(t, 404, "")
}

func TestWhoami(t *testing.T) {
	e := newEnv(t)
	var who struct {
		Type, Name, Email string
		Orgs              []any
		Auth              struct {
			Type        string
			AccessToken struct{ DisplayName, Role, CreatedAt string }
		}
	}
	e.req("GET", "/api/whoami-v2", e.aliceRead, nil).must(t, 200).json(t, &who)
	if who.Type != "user" || who.Name != "alice" || who.Email != "alice@example.org" || who.Orgs == nil {
		t.Fatalf("whoami=%+v", who)
	}
	if a := who.Auth; a.Type != "access_token" || a.AccessToken.Role != "read" || a.AccessToken.DisplayName != "test read" ||
		!strings.HasSuffix(a.AccessToken.CreatedAt, "Z") || len(a.AccessToken.CreatedAt) != len("2006-01-02T15:04:05.000Z") {
		t.Fatalf("auth=%+v", a)
	}

	t.Run("Basic", func(t *testing.T) {
		basic := base64.StdEncoding.EncodeToString([]byte("git:" + e.bob))
		var who struct{ Name string }
		e.req("GET", "/api/whoami-v2", "", nil, "Authorization: Basic "+basic).must(t, 200).json(t, &who)
		if who.Name != "bob" {
			t.Fatalf("name=%q, want bob", who.Name)
		}
	})
	t.Run("Anonymous", func(t *testing.T) {
		e.req("GET", "/api/whoami-v2", "", nil).mustError(t, 401, "")
	})
	t.Run("BadTokenOnPublicResource", func(t *testing.T) {
		e.createRepo(e.alice, "pub", "model", false)
		for _, path := range []string{"/api/whoami-v2", "/api/models/alice/pub", "/alice/pub/resolve/main/.gitattributes"} {
			r := e.req("GET", path, "hf_"+strings.Repeat("x", 34), nil).mustError(t, 401, "")
			if got, want := r.Header.Get("X-Error-Message"), "Invalid credentials in Authorization header"; got != want {
				t.Fatalf("%s: X-Error-Message=%q, want %q", path, got, want)
			}
		}
	})
}

func TestCreateRepo(t *testing.T) {
	e := newEnv(t)
	var out struct{ URL, Name string }
	e.req("POST", "/api/repos/create", e.alice, map[string]any{"name": "d1", "organization": nil, "type": "dataset"}).
		must(t, 200).json(t, &out)
	if got, want := out.URL, e.url+"/datasets/alice/d1"; got != want {
		t.Fatalf("url=%q, want %q", got, want)
	}
	if got, want := out.Name, "alice/d1"; got != want {
		t.Fatalf("name=%q, want %q", got, want)
	}
	e.req("POST", "/api/repos/create", e.alice, map[string]any{"name": "d1", "type": "dataset"}).mustError(t, 409, "")
	e.req("POST", "/api/repos/create", e.alice, map[string]any{"name": "m1", "visibility": "private"}).must(t, 200)
	e.req("GET", "/api/models/alice/m1", "", nil).mustError(t, 401, "RepoNotFound")

	for _, tc := range []struct {
		name   string
		token  string
		body   map[string]any
		status int
	}{
		{"Anonymous", "", map[string]any{"name": "x"}, 401},
		{"ReadToken", e.aliceRead, map[string]any{"name": "x"}, 403},
		{"OtherNamespace", e.bob, map[string]any{"name": "x", "organization": "alice"}, 403},
		{"BadName", e.alice, map[string]any{"name": "a..b"}, 400},
		{"BadType", e.alice, map[string]any{"name": "x", "type": "kernel"}, 400},
		{"BadJSON", e.alice, nil, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any = tc.body
			if tc.body == nil {
				body = "{not json"
			}
			e.req("POST", "/api/repos/create", tc.token, body).mustError(t, tc.status, "")
		})
	}
}

func TestDeleteMoveSettings(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "m", "model", false)
	e.req("PUT", "/api/models/alice/m/settings", e.bob, map[string]any{"private": true}).mustError(t, 403, "")
	var set struct {
		Private bool
		Gated   any
	}
	e.req("PUT", "/api/models/alice/m/settings", e.alice, map[string]any{"visibility": "private", "gated": "auto"}).
		must(t, 200).json(t, &set)
	if !set.Private || set.Gated != "auto" {
		t.Fatalf("settings=%+v", set)
	}
	e.req("GET", "/api/models/alice/m", "", nil).mustError(t, 401, "RepoNotFound")
	e.req("GET", "/api/models/alice/m", e.bob, nil).mustError(t, 404, "RepoNotFound")
	e.req("PUT", "/api/models/alice/m/settings", e.alice, map[string]any{"private": false, "gated": false}).must(t, 200)
	e.req("GET", "/api/models/alice/m", "", nil).must(t, 200)

	e.req("POST", "/api/repos/move", e.alice, map[string]any{"fromRepo": "alice/m", "toRepo": "alice/m2", "type": "model"}).must(t, 200)
	e.req("GET", "/api/models/alice/m", e.alice, nil).mustError(t, 404, "RepoNotFound")
	e.req("GET", "/api/models/alice/m2", e.alice, nil).must(t, 200)

	e.req("DELETE", "/api/repos/delete", e.bob, map[string]any{"name": "m2", "organization": "alice", "type": "model"}).mustError(t, 403, "")
	e.req("DELETE", "/api/repos/delete", e.alice, map[string]any{"name": "m2", "organization": "alice", "type": "model"}).must(t, 200)
	e.req("DELETE", "/api/repos/delete", e.alice, map[string]any{"name": "m2", "type": "model"}).mustError(t, 404, "RepoNotFound")
	e.req("GET", "/api/models/alice/m2", e.alice, nil).mustError(t, 404, "RepoNotFound")
}

func TestRepoInfo(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "m", "model", false)
	big := []byte(strings.Repeat("weights", 100))
	oid := e.uploadLFS(e.alice, "alice/m", big)
	card := "---\nlicense: mit\npipeline_tag: image-classification\ntags: [vision]\n---\n# M\n"
	e.commit(e.alice, "models/alice/m", "main", ndjson("add", "", fileOp("README.md", card),
		lfsOp("model.onnx", oid, len(big)))).must(t, 200)

	var info map[string]any
	e.req("GET", "/api/models/alice/m", "", nil).must(t, 200).json(t, &info)
	for _, k := range []string{"_id", "id", "sha", "lastModified", "createdAt", "private", "siblings", "cardData", "tags"} {
		if _, ok := info[k]; !ok {
			t.Fatalf("info lacks %q: %v", k, info)
		}
	}
	if info["id"] != "alice/m" || info["pipeline_tag"] != "image-classification" {
		t.Fatalf("info=%v", info)
	}
	if got := info["cardData"].(map[string]any)["license"]; got != "mit" {
		t.Fatalf("cardData.license=%v", got)
	}
	for _, k := range []string{"xetEnabled", "xetHash"} {
		if _, ok := info[k]; ok {
			t.Fatalf("info has Xet field %q", k)
		}
	}

	t.Run("Blobs", func(t *testing.T) {
		var info struct {
			Siblings []struct {
				RFilename string
				Size      int64
				BlobID    string
				LFS       *struct {
					SHA256      string
					Size        int64
					PointerSize int64
				}
			}
		}
		e.req("GET", "/api/models/alice/m/revision/main?blobs=true", "", nil).must(t, 200).json(t, &info)
		var found bool
		for _, s := range info.Siblings {
			if s.RFilename == "model.onnx" {
				found = true
				if s.LFS == nil || s.LFS.SHA256 != oid || s.Size != int64(len(big)) || s.LFS.PointerSize == 0 || len(s.BlobID) != 40 {
					t.Fatalf("sibling=%+v", s)
				}
			}
		}
		if !found {
			t.Fatalf("no model.onnx in %+v", info.Siblings)
		}
	})
	t.Run("Expand", func(t *testing.T) {
		var got map[string]any
		e.req("GET", "/api/models/alice/m/revision/HEAD?expand=private&expand[]=sha&expand=downloads", "", nil).
			must(t, 200).json(t, &got)
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if want := []string{"_id", "downloads", "id", "private", "sha"}; !slices.Equal(keys, want) {
			t.Fatalf("keys=%v, want %v", keys, want)
		}
		r := e.req("GET", "/api/models/alice/m?expand=bogus", "", nil).mustError(t, 400, "")
		if !strings.Contains(string(r.body), `\"expand\" must be one of [`) || !strings.Contains(string(r.body), "pipeline_tag") {
			t.Fatalf("body=%s", r.body)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		e.req("GET", "/api/models/alice/m/revision/nope", "", nil).mustError(t, 404, "RevisionNotFound")
		e.req("GET", "/api/models/alice/nope", "", nil).mustError(t, 401, "RepoNotFound")
		e.req("GET", "/api/models/alice/nope", e.bob, nil).mustError(t, 404, "RepoNotFound")
		e.req("GET", "/api/datasets/alice/m", e.alice, nil).mustError(t, 404, "RepoNotFound")
	})
}

func TestListRepos(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a1", "a2", "a3", "b1"} {
		e.createRepo(e.alice, n, "model", false)
	}
	e.createRepo(e.alice, "secret", "model", true)
	e.createRepo(e.bob, "bobs", "model", false)
	e.createRepo(e.alice, "ds", "dataset", false)

	ids := func(r *resp) []string {
		var items []struct{ ID string }
		r.json(t, &items)
		var out []string
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	r := e.req("GET", "/api/models?limit=2", "", nil).must(t, 200)
	page1 := ids(r)
	link := r.Header.Get("Link")
	if !strings.HasPrefix(link, "<"+e.url+"/api/models?") || !strings.HasSuffix(link, `>; rel="next"`) {
		t.Fatalf("Link=%q", link)
	}
	var all []string
	all = append(all, page1...)
	for next := link; next != ""; {
		u := strings.TrimSuffix(strings.TrimPrefix(next, "<"), `>; rel="next"`)
		r := e.req("GET", u, "", nil).must(t, 200)
		all = append(all, ids(r)...)
		next = r.Header.Get("Link")
	}
	if want := []string{"alice/a1", "alice/a2", "alice/a3", "alice/b1", "bob/bobs"}; !slices.Equal(all, want) {
		t.Fatalf("all pages=%v, want %v", all, want)
	}
	if got := ids(e.req("GET", "/api/models?author=alice&search=b&search=1", e.alice, nil).must(t, 200)); !slices.Equal(got, []string{"alice/b1"}) {
		t.Fatalf("search=%v", got)
	}
	if got := ids(e.req("GET", "/api/models?author=alice", e.alice, nil).must(t, 200)); !slices.Contains(got, "alice/secret") {
		t.Fatalf("owner listing lacks private repo: %v", got)
	}
	if got := ids(e.req("GET", "/api/models?author=alice", e.bob, nil).must(t, 200)); slices.Contains(got, "alice/secret") {
		t.Fatalf("bob sees alice's private repo: %v", got)
	}
	if got := ids(e.req("GET", "/api/datasets", "", nil).must(t, 200)); !slices.Equal(got, []string{"alice/ds"}) {
		t.Fatalf("datasets=%v", got)
	}
	var full []map[string]any
	e.req("GET", "/api/models?author=bob&full=true", "", nil).must(t, 200).json(t, &full)
	if len(full) != 1 || full[0]["sha"] == nil || full[0]["siblings"] == nil {
		t.Fatalf("full listing=%v", full)
	}
	e.req("GET", "/api/models?limit=x", "", nil).mustError(t, 400, "")
	e.req("GET", "/api/models?expand=nope", "", nil).mustError(t, 400, "")
	if r := e.req("GET", "/api/models?author=alice&sort=createdAt", "", nil).must(t, 200); r.Header.Get("Link") != "" {
		t.Fatalf("unexpected Link on last page: %q", r.Header.Get("Link"))
	}

}
