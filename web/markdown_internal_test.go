package web

import (
	"strings"
	"testing"
)

func TestSafeLink(t *testing.T) {
	const base = "/alice/m/blob/main/"
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2", true},
		{"http://example.org", "http://example.org", true},
		{"mailto:a@example.org", "mailto:a@example.org", true},
		{"#section", "#section", true},
		{"/bob/other", "/bob/other", true},
		{"docs/usage.md#install", base + "docs/usage.md#install", true},
		{"./docs/a b.md", base + "docs/a%20b.md", true},
		{"javascript:alert(1)", "", false},
		{"JaVaScRiPt:alert(1)", "", false},
		{" javascript:alert(1)", "", false},
		{"java\tscript:alert(1)", "", false},
		{"java\nscript:alert(1)", "", false},
		{"&#106;avascript:alert(1)", "", false},
		{"&#x6A;avascript:alert(1)", "", false},
		{"vbscript:msgbox", "", false},
		{"data:text/html,<script>alert(1)</script>", "", false},
		{"file:///etc/passwd", "", false},
		{"//evil.example/x", "", false},
		{"/\\evil.example", "", false},
		{"../../other/repo", "", false},
		{"", "", false},
	} {
		got, ok := safeLink(tc.in, base)
		if got != tc.want || ok != tc.ok {
			t.Errorf("safeLink(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSafeImage(t *testing.T) {
	const base = "/alice/m/resolve/main/"
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"img/cat.png", base + "img/cat.png", true},
		{"./img/cat.png", base + "img/cat.png", true},
		{"/alice/m/resolve/main/x.png", "/alice/m/resolve/main/x.png", true},
		{"https://evil.example/pixel.png", "", false},
		{"//evil.example/pixel.png", "", false},
		{"data:image/png;base64,AAAA", "", false},
		{"javascript:alert(1)", "", false},
		{"../secret.png", "", false},
		{"#x", "", false},
	} {
		got, ok := safeImage(tc.in, base)
		if got != tc.want || ok != tc.ok {
			t.Errorf("safeImage(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRenderMarkdown(t *testing.T) {
	links := cardLinks{blobBase: "/a/m/blob/main/", resolveBase: "/a/m/resolve/main/"}
	for _, tc := range []struct {
		name, in   string
		want, lack []string
	}{
		{"heading shifted", "# Title\n## Sub", []string{"<h2>Title</h2>", "<h3>Sub</h3>"}, []string{"<h1>"}},
		{"script block", "<script>alert(1)</script>", nil, []string{"<script", "alert"}},
		{"inline handler", "a <img src=x onerror=alert(1)> b", []string{"a ", " b"}, []string{"<img", "onerror"}},
		{"raw iframe", "<iframe src=\"https://x\"></iframe>", nil, []string{"<iframe"}},
		{"js link", "[x](javascript:alert(1))", []string{"<p>x</p>"}, []string{"<a", "javascript"}},
		{"entity js link", "[x](&#106;avascript:alert(1))", []string{"<p>x</p>"}, []string{"<a", "avascript"}},
		{"js autolink", "<javascript:alert(1)>", []string{"javascript:alert(1)"}, []string{"<a"}},
		{"email autolink", "<a@example.org>", []string{`href="mailto:a@example.org"`}, nil},
		{"query kept", "[q](https://x.org/?a=1&b=2)", []string{`href="https://x.org/?a=1&amp;b=2"`}, nil},
		{"external image", "![alt text](https://evil.example/p.png)", []string{"alt text"}, []string{"<img", "evil"}},
		{"repo image", "![cat](img/cat.png)", []string{`<img src="/a/m/resolve/main/img/cat.png" alt="cat">`}, nil},
		{"code escaped", "`<b>` and\n\n    <script>", []string{"<code>&lt;b&gt;</code>", "&lt;script&gt;"}, []string{"<b>", "<script>"}},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
		{"aligned table", "| a |\n|--:|\n| 1 |", []string{`<td align="right">1</td>`}, []string{"style="}},
	} {
		got := string(renderMarkdown([]byte(tc.in), links))
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
		for _, l := range tc.lack {
			if strings.Contains(got, l) {
				t.Errorf("%s: %q contains %q", tc.name, got, l)
			}
		}
	}
}

func TestLineDiff(t *testing.T) {
	ops := func(lines []diffLine) string {
		var b strings.Builder
		for _, l := range lines {
			b.WriteByte(l.Op)
			b.WriteString(l.Text)
			b.WriteByte('|')
		}
		return b.String()
	}
	for _, tc := range []struct{ a, b, want string }{
		{"", "", ""},
		{"a\nb\n", "a\nb\n", ""},
		{"", "x\n", "+x|"},
		{"x\n", "", "-x|"},
		{"a\nb\nc\n", "a\nB\nc\n", " a|-b|+B| c|"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\n5\n6\n7\n8\nnine\n", "~5 unchanged lines| 6| 7| 8|-9|+nine|"},
		{"a\nb\n", "b\nc\n", "-a| b|+c|"},
	} {
		got, ok := lineDiff(tc.a, tc.b)
		if !ok || ops(got) != tc.want {
			t.Errorf("lineDiff(%q, %q) = %q, %v; want %q", tc.a, tc.b, ops(got), ok, tc.want)
		}
	}
	// Line numbers of a change.
	got, _ := lineDiff("a\nb\nc\n", "a\nB\nc\n")
	if got[1].Old != 2 || got[1].New != 0 || got[2].Old != 0 || got[2].New != 2 || got[3].Old != 3 || got[3].New != 3 {
		t.Errorf("line numbers: %+v", got)
	}
	// Completely different large texts exceed the edit limit.
	var x, y strings.Builder
	for i := 0; i < 1200; i++ {
		x.WriteString("old line\n")
		y.WriteString("new line\n")
	}
	if _, ok := lineDiff(x.String(), y.String()); ok {
		t.Error("a diff beyond maxDiffEdits was computed")
	}
}
