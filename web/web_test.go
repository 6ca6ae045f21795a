package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestStaticAssets(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	login := b.get("/login").must(t, 200)
	for _, tc := range []struct{ name, ctype string }{{"style.css", "text/css"}, {"site.js", "text/javascript"},
		{"favicon.svg", "image/svg+xml"}} {
		m := regexp.MustCompile(`"(/static/` + regexp.QuoteMeta(tc.name) + `\?v=[0-9a-f]+)"`).FindStringSubmatch(login.body)
		if m == nil {
			t.Fatalf("the page does not link %s with a version", tc.name)
		}
		p := b.get(m[1]).must(t, 200)
		if got := p.Header.Get("Content-Type"); !strings.HasPrefix(got, tc.ctype) {
			t.Fatalf("%s: Content-Type=%q, want %s", tc.name, got, tc.ctype)
		}
		if got := p.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
			t.Fatalf("%s: Cache-Control=%q, want immutable for a versioned URL", tc.name, got)
		}
		if len(p.body) == 0 {
			t.Fatalf("%s: empty", tc.name)
		}
	}
	b.get("/static/nothing.css").must(t, http.StatusNotFound)
	if r := b.get("/favicon.ico").must(t, http.StatusMovedPermanently); !strings.HasPrefix(r.Header.Get("Location"), "/static/favicon.svg?v=") {
		t.Fatalf("/favicon.ico redirects to %q, want the versioned favicon.svg", r.Header.Get("Location"))
	}
}

func TestNoExternalResources(t *testing.T) {
	e := newEnv(t)
	b, tokens := e.signedIn("alice", alicePassword)
	for _, p := range []*page{b.get("/login?x"), tokens, b.get("/settings/repos")} {
		for _, attr := range []string{`src="http`, `href="http`, `src="//`, `href="//`, "<script>", "style="} {
			if strings.Contains(p.body, attr) {
				t.Fatalf("%s contains %q: pages must use only their own embedded assets", p.Request.URL, attr)
			}
		}
	}
}

func TestAPIRoutesUnaffected(t *testing.T) {
	e := newEnv(t)
	if got := e.api("GET", "/api/whoami-v2", ""); got != http.StatusUnauthorized {
		t.Fatalf("anonymous whoami: %d, want 401", got)
	}
	if got := e.api("GET", "/healthz", ""); got != 200 {
		t.Fatalf("healthz: %d", got)
	}
}

func TestActivity(t *testing.T) {
	e := newEnv(t)
	e.browser().signIn("alice", "wrong password", "/").must(t, http.StatusUnauthorized)
	b, p := e.signedIn("alice", alicePassword)
	b.createToken(p.csrf(t), url.Values{"label": {"laptop"}, "role": {"read"}})
	e.signedIn("bob", bobPassword)
	got := b.get("/settings/activity").must(t, 200)
	got.contains(t, `aria-current="page">Activity`, "Failed sign-in", "Signed in", "Token created")
	got.lacks(t, "bob")
	e.browser().get("/settings/activity").redirect(t, "/login?next=%2Fsettings%2Factivity")
}
