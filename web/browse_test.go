package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"quarry/hub"
)

func TestHomeSearchWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	browseFixture(t, e)
	anon := e.browser()
	home := anon.get("/").must(t, 200)
	home.contains(t, `action="/"`, `name="search"`, `<label for="search"`, `href="/alice/cats"`, `href="/datasets/alice/tiles"`,
		`href="/spaces/alice/demo-space"`).lacks(t, "alice/draft", "newsroom/story", "carol/secret", "Yours and")
	for _, tc := range []struct {
		query     string
		want, not []string
	}{
		{"search=cat", []string{`href="/alice/cats"`}, []string{`href="/datasets/alice/tiles"`}},
		{"search=CATS&type=model", []string{`href="/alice/cats"`}, []string{"demo-space"}},
		{"type=dataset", []string{`href="/datasets/alice/tiles"`}, []string{`href="/alice/cats"`}},
		{"type=space", []string{`href="/spaces/alice/demo-space"`}, []string{`href="/alice/cats"`}},
		{"task=image-classification", []string{`href="/alice/cats"`}, []string{"alice/tiles"}},
		{"library=transformers.js", []string{`href="/alice/cats"`}, []string{"alice/tiles"}},
		{"license=mit", []string{`href="/alice/cats"`}, []string{"alice/tiles"}},
		{"license=apache-2.0", []string{"No repository matches"}, []string{`href="/alice/cats"`}},
		{"author=alice&sort=id", []string{`href="/alice/cats"`, `href="/datasets/alice/tiles"`}, []string{"newsroom"}},
		{"search=draft", []string{"No repository matches"}, []string{`href="/alice/draft"`}},
		{"sort=nonsense&type=widget", []string{`href="/alice/cats"`}, nil},
	} {
		p := anon.get("/?"+tc.query).must(t, 200).contains(t, tc.want...).lacks(t, tc.not...)
		if tc.query != "sort=nonsense&type=widget" && !strings.Contains(p.body, "Search results") {
			t.Fatalf("/?%s: no results title", tc.query)
		}
	}
	anon.get("/?after=garbage").must(t, http.StatusBadRequest)
}

func TestHomeYoursFirstAndPagination(t *testing.T) {
	e := newEnv(t)
	browseFixture(t, e)
	alice, _ := e.signedIn("alice", alicePassword)
	p := alice.get("/").must(t, 200)
	yours := section(t, p.body, "yours")
	for _, want := range []string{`href="/alice/draft"`, `href="/newsroom/story"`, `href="/alice/cats"`} {
		if !strings.Contains(yours, want) {
			t.Fatalf("alice's own section lacks %s:\n%s", want, yours)
		}
	}
	if strings.Contains(p.body, "carol/secret") {
		t.Fatal("alice sees carol's private repo")
	}
	bob, _ := e.signedIn("bob", bobPassword)
	bob.get("/").must(t, 200).contains(t, `href="/newsroom/story"`).lacks(t, "alice/draft")

	if _, err := e.svc.CreateUser(context.Background(), "bulk", "", "", false); err != nil {
		t.Fatal(err)
	}
	for i := range 35 {
		createRepo(t, e.svc, hub.Model, "bulk", fmt.Sprintf("m%02d", i), false)
	}
	first := e.browser().get("/?author=bulk&sort=id").must(t, 200).contains(t, `href="/bulk/m00"`, `href="/bulk/m29"`).lacks(t, `href="/bulk/m30"`)
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatalf("no next page link:\n%s", first.body)
	}
	e.browser().get(strings.ReplaceAll(next[1], "&amp;", "&")).must(t, 200).
		contains(t, `href="/bulk/m30"`, `href="/bulk/m34"`, "First page").lacks(t, `href="/bulk/m29"`, `rel="next"`)
}

// section returns the HTML of the section labelled by heading id.
func section(t *testing.T, body, id string) string {
	t.Helper()
	start := strings.Index(body, `aria-labelledby="`+id+`"`)
	if start < 0 {
		t.Fatalf("no section %s:\n%s", id, body)
	}
	end := strings.Index(body[start:], "</section>")
	return body[start : start+end]
}

func TestHiddenRepoLooksMissing(t *testing.T) {
	e := newEnv(t)
	browseFixture(t, e)
	carol := e.browser()
	carol.signIn("carol", "carol's password", "/settings/tokens").must(t, http.StatusSeeOther)
	for _, b := range []*browser{e.browser(), carol} {
		for _, sub := range []string{"", "/tree/main", "/blob/main/README.md", "/commits/main", "/compare", "/compare/main...main"} {
			hidden := b.get("/alice/draft"+sub).must(t, http.StatusNotFound)
			missing := b.get("/alice/nothing"+sub).must(t, http.StatusNotFound)
			if h, m := strings.ReplaceAll(hidden.body, "draft", "X"), strings.ReplaceAll(missing.body, "nothing", "X"); h != m {
				t.Fatalf("%s: the page of a hidden repo differs from a missing one:\n%s\n---\n%s", sub, h, m)
			}
			hidden.contains(t, "Repository not found").lacks(t, "Private")
		}
	}
	e.browser().get("/newsroom/story").must(t, http.StatusNotFound)
	e.browser().get("/alice/tiles").must(t, http.StatusNotFound) // a dataset, not a model
	e.browser().get("/datasets/alice/tiles").must(t, 200).contains(t, "Dataset card", `<span class="badge public">Public</span>`)

	alice, _ := e.signedIn("alice", alicePassword)
	alice.get("/alice/draft").must(t, 200).contains(t, `<span class="badge private">Private</span>`, "Repository settings", "HF_TOKEN")
	bob, _ := e.signedIn("bob", bobPassword)
	bob.get("/newsroom/story").must(t, 200).contains(t, "Private").lacks(t, "Repository settings")
	alice.get("/newsroom/story").must(t, 200).contains(t, "Repository settings")
}

func TestRepoPage(t *testing.T) {
	e := newEnv(t)
	first, second := browseFixture(t, e)
	p := e.browser().get("/alice/cats").must(t, 200)
	p.contains(t,
		"<h1>alice/cats</h1>", `<span class="badge public">Public</span>`, `href="/alice/cats/demo/"`,
		`<h2>Cats classifier</h2>`, `href="/alice/cats/blob/main/docs/usage.md"`,
		`<th scope="row">accuracy</th>`, "0.95", `<meter min="0" max="1" value="0.95"`, "recall",
		`href="/alice/cats/tree/main/data"`, `href="/alice/cats/blob/main/model.onnx"`, `<span class="badge lfs"`, "20 B",
		`href="/alice/cats/resolve/main/model.onnx?download=true"`,
		`href="/alice/cats/tree/feature%2Fx"`, `href="/alice/cats/tree/v1"`,
		`os.environ[&#34;HF_ENDPOINT&#34;] = &#34;http://quarry.test&#34;`, `hubUrl: &#34;http://quarry.test&#34;`,
		`env.remoteHost = &#34;http://quarry.test/&#34;`, "git clone", "not served yet",
		"Retrain with more tiles", "3 commits", "<dt>License</dt><dd>mit</dd>",
	).lacks(t, "Repository settings", "Private</span>")
	if got := p.Header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") {
		t.Fatalf("CSP %q", got)
	}
	e.browser().get("/spaces/alice/demo-space").must(t, 200).contains(t, "Space card", "Try cats", `href="/spaces/alice/demo-space/"`)

	tree := e.browser().get("/alice/cats/tree/main/data").must(t, 200)
	tree.contains(t, `href="/alice/cats/blob/main/data/notes.txt"`, `href="/alice/cats/blob/main/data/new.txt"`).lacks(t, "old.txt")
	e.browser().get("/alice/cats/tree/v1/data").must(t, 200).contains(t, "old.txt").lacks(t, "new.txt")
	e.browser().get("/alice/cats/tree/feature%2Fx/data").must(t, 200).contains(t, "new.txt")
	e.browser().get("/alice/cats/tree/main/nope").must(t, http.StatusNotFound).contains(t, "No folder nope")
	e.browser().get("/alice/cats/tree/nobranch").must(t, http.StatusNotFound).contains(t, "Revision not found")

	e.browser().get("/alice/cats/blob/v1/data/notes.txt").must(t, 200).contains(t, "&lt;b&gt;bold?&lt;/b&gt;").lacks(t, "<b>bold")
	e.browser().get("/alice/cats/blob/main/model.onnx").must(t, 200).contains(t, "LFS pointer", "pretend ONNX weights")
	e.browser().get("/alice/cats/blob/main/data").must(t, http.StatusFound)
	e.browser().get("/alice/cats/blob/main/missing.txt").must(t, http.StatusNotFound)

	e.browser().get("/alice/cats/commits/main").must(t, 200).
		contains(t, "3 commits", "Retrain with more tiles", "Train the first classifier", `href="/alice/cats/commit/`+second+`"`)
	e.browser().get("/alice/cats/commits/v1").must(t, 200).contains(t, "2 commits").lacks(t, "Retrain")
	c := e.browser().get("/alice/cats/commit/"+second).must(t, 200)
	c.contains(t, "Retrain with more tiles", "4 files changed: 1 added, 2 modified, 1 removed",
		`<span class="badge added">added</span> <a href="/alice/cats/blob/`+second+`/data/new.txt">`,
		`<span class="badge removed">removed</span> <a href="/alice/cats/blob/`+first+`/data/old.txt">`,
		`<tr class="del">`, `<tr class="add">`, "value: 0.95", "+line two", `href="/alice/cats/commit/`+first+`"`)
	e.browser().get("/alice/cats/commit/"+first).must(t, 200).contains(t, "model.onnx", "Large file stored with LFS")
	e.browser().get("/alice/cats/commit/main").must(t, http.StatusNotFound)
	e.browser().get("/alice/cats/commit/"+strings.Repeat("0", 40)).must(t, http.StatusNotFound)
}

func TestCompare(t *testing.T) {
	e := newEnv(t)
	first, _ := browseFixture(t, e)
	p := e.browser().get("/alice/cats/compare/v1...main").must(t, 200)
	p.contains(t, "Compare alice/cats", `<th scope="row">accuracy</th>`, "0.9", "0.95", "&#43;0.05", "-0.05", "(higher)", "(lower)",
		"recall", "Card diff", "now retrained", `<span class="badge removed">removed</span>`)
	e.browser().get("/alice/cats/compare?a=v1&b=feature/x").redirect(t, "/alice/cats/compare/v1...feature%2Fx")
	e.browser().get("/alice/cats/compare/v1...feature%2Fx").must(t, 200).contains(t, "&#43;0.05")
	e.browser().get("/alice/cats/compare").must(t, 200).contains(t, first[:7], "&#43;0.05")
	e.browser().get("/alice/cats/compare/main...main").must(t, 200).contains(t, "the same commit", "The cards are identical", "No file differs")
	e.browser().get("/alice/cats/compare/v1...nope").must(t, http.StatusNotFound)
	e.browser().get("/alice/cats/compare/justone").must(t, http.StatusBadRequest)
}

func TestNamespacePages(t *testing.T) {
	e := newEnv(t)
	browseFixture(t, e)
	ctx := context.Background()
	if _, err := e.svc.CreateTeam(ctx, hub.Operator(), "newsroom", "editors"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddTeamMember(ctx, hub.Operator(), "newsroom", "editors", "bob"); err != nil {
		t.Fatal(err)
	}
	e.browser().get("/alice").must(t, 200).contains(t, "<h1>alice</h1>", `href="/alice/cats"`, `href="/datasets/alice/tiles"`).lacks(t, "alice/draft")
	e.browser().get("/newsroom").must(t, 200).contains(t, "Organization", "No repositories you can see").lacks(t, "story", "Members", "editors")
	bob, _ := e.signedIn("bob", bobPassword)
	bob.get("/newsroom").must(t, 200).contains(t, `href="/newsroom/story"`, "Members", `href="/bob"`, "write").lacks(t, "Teams", "editors")
	alice, _ := e.signedIn("alice", alicePassword)
	alice.get("/newsroom").must(t, 200).contains(t, "Members", "Teams", "<dt>editors</dt><dd>bob</dd>")
	alice.get("/alice").must(t, 200).contains(t, `href="/alice/draft"`)
	e.browser().get("/nobody").must(t, http.StatusNotFound)
}

func TestBrowseRoutesLeaveOthersAlone(t *testing.T) {
	e := newEnv(t)
	browseFixture(t, e)
	for path, want := range map[string]int{
		"/api/models":                               200,
		"/api/models/alice/cats":                    200,
		"/alice/cats/resolve/main/config.json":      200,
		"/alice/cats/raw/main/config.json":          200,
		"/datasets/alice/tiles/resolve/main/x.json": 404,
		"/healthz": 200,
	} {
		if got := e.api("GET", path, ""); got != want {
			t.Fatalf("GET %s: %d, want %d", path, got, want)
		}
	}
	b := e.browser()
	b.get("/login").must(t, 200).contains(t, "Sign in")
	for _, path := range []string{"/alice/cats/demo/", "/spaces/alice/demo-space/", "/api/nothing", "/settings/nothing"} {
		p := b.get(path)
		if strings.Contains(p.body, "Model card") || strings.Contains(p.body, "Space card") || strings.Contains(p.body, "<h1>") {
			t.Fatalf("GET %s was served by a browse page (%d):\n%s", path, p.StatusCode, p.body)
		}
	}
}

func TestBrowsePagesUseOnlyOwnResources(t *testing.T) {
	e := newEnv(t)
	_, second := browseFixture(t, e)
	b := e.browser()
	for _, path := range []string{"/", "/?search=cats", "/alice", "/alice/cats", "/alice/cats/tree/main/data", "/alice/cats/blob/main/config.json",
		"/alice/cats/commits/main", "/alice/cats/commit/" + second, "/alice/cats/compare/v1...main", "/spaces/alice/demo-space", "/alice/nothing"} {
		p := b.get(path)
		for _, attr := range []string{`src="http`, `href="http`, `src="//`, `href="//`, "<script>", "style="} {
			if strings.Contains(p.body, attr) {
				t.Fatalf("%s contains %q: pages must use only their own embedded assets", path, attr)
			}
		}
		checkInert(t, p.body)
		if got := p.Header.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
			t.Fatalf("%s: CSP %q", path, got)
		}
	}
}
