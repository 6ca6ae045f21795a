package web_test

import (
	"regexp"
	"strings"
	"testing"

	"quarry/hub"
)

// evilCard tries every way a card could run script or load from elsewhere.
const evilCard = `---
license: mit
pipeline_tag: image-classification
---
# Evil card

<script>window.__pwned = 1; alert(1)</script>

<img src=x onerror="window.__pwned=2">

<iframe src="https://evil.example/frame"></iframe>

<div onmouseover="window.__pwned=5">hover</div>

Inline <span onclick="window.__pwned=4">html</span> and <a href="javascript:window.__pwned=6">a raw link</a>.

[click me](javascript:window.__pwned=3)
[entity trick](&#106;avascript:window.__pwned=7)
[tab trick](<java	script:window.__pwned=8>)
[upper](JAVASCRIPT:window.__pwned=9)
[vb](vbscript:msgbox)
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
<javascript:window.__pwned=10>
[scheme-relative](//evil.example/x)

![tracker](https://evil.example/pixel.png)
![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)
![local](img/cat.png)
![escape](../../../etc/passwd)

[docs](docs/usage.md) and [site](https://example.org/page) and <https://example.org/auto>.

| col | <b onclick="x()">b</b> |
|-----|-----|
| 1   | 2   |
`

func TestCardRendersInert(t *testing.T) {
	e := newEnv(t)
	repoFixture(t, e)
	id := createRepo(t, e.svc, hub.Model, "alice", "evil", false)
	commitFiles(t, e.svc, id, "Evil card", map[string]file{"README.md": {content: evilCard}})
	p := e.browser().get("/alice/evil").must(t, 200)
	if n := strings.Count(p.body, "<script"); n != 1 {
		t.Fatalf("%d <script elements, want only the site's own:\n%s", n, p.body)
	}
	checkInert(t, p.body)
	p.contains(t, "<h2>Evil card</h2>",
		`<img src="/alice/evil/resolve/main/img/cat.png" alt="local">`,
		`<a href="/alice/evil/blob/main/docs/usage.md" rel="nofollow noopener noreferrer">docs</a>`,
		`<a href="https://example.org/page" rel="nofollow noopener noreferrer">site</a>`,
		`href="https://example.org/auto"`,
		"click me", "entity trick", "tab trick", "tracker", "<table>")
	if got := p.Header.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") || strings.Contains(got, "unsafe-inline") {
		t.Fatalf("CSP %q", got)
	}
	// The card's file view shows the source, escaped.
	e.browser().get("/alice/evil/blob/main/README.md").must(t, 200).
		contains(t, "&lt;script&gt;window.__pwned = 1").lacks(t, "<script>window", "<iframe")
}

var (
	tagRE  = regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	attrRE = regexp.MustCompile(`\s([a-zA-Z-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	urlRE  = regexp.MustCompile(`^(https?://|/[^/\\]|/$|#|\?|mailto:)`)
)

// checkInert fails unless every tag of page is inert: no event handler or
// style attribute, no script but the site's own, no frame, object or
// embed, and every href and src a web, mail or same-origin URL.
func checkInert(t *testing.T, page string) {
	t.Helper()
	for _, tag := range tagRE.FindAllString(page, -1) {
		lower := strings.ToLower(tag)
		for _, bad := range []string{"<iframe", "<object", "<embed", "<frame", "<base", "<form action=\"java", "pwned", "evil.example"} {
			if strings.Contains(lower, bad) {
				t.Fatalf("tag %s contains %q", tag, bad)
			}
		}
		if strings.HasPrefix(lower, "<script") && !strings.Contains(lower, `src="/static/site.js`) {
			t.Fatalf("foreign script tag %s", tag)
		}
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			name, value := strings.ToLower(m[1]), strings.Trim(m[2], `"'`)
			switch {
			case strings.HasPrefix(name, "on") || name == "style" || name == "srcdoc" || name == "formaction":
				t.Fatalf("tag %s has attribute %s", tag, name)
			case (name == "href" || name == "src" || name == "action") && !urlRE.MatchString(value):
				t.Fatalf("tag %s has %s=%q", tag, name, value)
			}
		}
	}
}
