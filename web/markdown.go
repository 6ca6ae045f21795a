package web

import (
	"bytes"
	"html"
	"html/template"
	"net/url"
	"path"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// markdown renders model cards. The renderer is goldmark WITHOUT
// html.WithUnsafe: raw HTML blocks and inline HTML are dropped (rendered as
// an HTML comment), and markdown has no attribute syntax enabled, so a card
// cannot carry <script>, <iframe> or on* handlers. On top of that,
// sanitizeTree rewrites every link and image before rendering (see there),
// and pages are served with a CSP that forbids inline script as a second
// line of defence.
var markdown = goldmark.New(goldmark.WithExtensions(
	// Column alignment as align="" attributes: the CSP forbids style="".
	extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
	extension.Strikethrough, extension.Linkify))

// cardLinks says where the relative links and images of a card point.
type cardLinks struct {
	blobBase    string // "/NS/NAME/blob/REV/" for links to repo files
	resolveBase string // "/NS/NAME/resolve/REV/" for images in the repo
}

// renderMarkdown renders src (a card's body) to safe HTML.
func renderMarkdown(src []byte, links cardLinks) template.HTML {
	doc := markdown.Parser().Parse(text.NewReader(src))
	sanitizeTree(doc, src, links)
	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, src, doc); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(string(src)) + "</p>")
	}
	return template.HTML(buf.String()) // goldmark escapes text and drops raw HTML
}

// sanitizeTree makes the AST safe to render:
//   - links keep only http, https and mailto URLs, fragments and paths;
//     relative paths point into the repo's file view; any other scheme
//     (javascript:, data:, vbscript:, file: ...) turns the link into its
//     text;
//   - images load only from this site: relative paths are rewritten to the
//     repo's resolve URL, absolute paths ("/x") stay; any image elsewhere
//     is replaced by its alt text (no external requests, no tracking);
//   - headings move one level down, as the page's own title is the <h1>.
func sanitizeTree(doc ast.Node, src []byte, links cardLinks) {
	var unwrap []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.Level = min(n.Level+1, 6)
		case *ast.Link:
			if dest, ok := safeLink(string(n.Destination), links.blobBase); ok {
				n.Destination = destination(dest)
				n.SetAttributeString("rel", []byte("nofollow noopener noreferrer"))
			} else {
				unwrap = append(unwrap, n)
			}
		case *ast.AutoLink:
			if n.AutoLinkType == ast.AutoLinkEmail {
				break // rendered as mailto:
			}
			if _, ok := safeLink(string(n.URL(src)), ""); !ok {
				unwrap = append(unwrap, n)
			}
		case *ast.Image:
			if dest, ok := safeImage(string(n.Destination), links.resolveBase); ok {
				n.Destination = destination(dest)
			} else {
				unwrap = append(unwrap, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unwrap {
		replaceWithText(n, src)
	}
}

// replaceWithText replaces n by its children (link text, image alt), or by
// its literal text for autolinks.
func replaceWithText(n ast.Node, src []byte) {
	parent := n.Parent()
	if parent == nil {
		return
	}
	if al, ok := n.(*ast.AutoLink); ok {
		parent.InsertBefore(parent, n, ast.NewString(al.Label(src)))
		parent.RemoveChild(parent, n)
		return
	}
	for c := n.FirstChild(); c != nil; c = n.FirstChild() {
		n.RemoveChild(n, c)
		parent.InsertBefore(parent, n, c)
	}
	parent.RemoveChild(parent, n)
}

// cleanURL resolves the character references a card may write in a
// destination ("&#106;avascript:") and does what browsers do before
// parsing a URL: trim leading and trailing spaces and control characters,
// remove tabs and newlines inside. Other control characters make the URL
// invalid (""). The scheme is then seen as the browser will see it.
func cleanURL(raw string) string {
	u := strings.TrimFunc(html.UnescapeString(raw), func(r rune) bool { return r <= 0x20 })
	u = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(u)
	if strings.ContainsFunc(u, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ""
	}
	return u
}

// destination returns a checked URL as an AST destination: goldmark
// resolves character references when it renders, so '&' is written as a
// reference to come out unchanged.
func destination(u string) []byte { return []byte(strings.ReplaceAll(u, "&", "&amp;")) }

// schemeOf returns the lower-case scheme of u ("" for a relative URL) and
// whether u parses.
func schemeOf(u string) (string, bool) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", false
	}
	return strings.ToLower(parsed.Scheme), true
}

// safeLink returns the href to render for a card link, or false when the
// link must be dropped. blobBase ("" for none) prefixes relative paths.
func safeLink(raw, blobBase string) (string, bool) {
	u := cleanURL(raw)
	if u == "" || strings.ContainsRune(u, '\\') {
		return "", false
	}
	scheme, ok := schemeOf(u)
	switch {
	case !ok:
		return "", false
	case scheme == "http" || scheme == "https" || scheme == "mailto":
		return u, true
	case scheme != "":
		return "", false
	case strings.HasPrefix(u, "#") || strings.HasPrefix(u, "?"):
		return u, true
	case strings.HasPrefix(u, "//"):
		return "", false // scheme-relative: another host without a scheme check
	case strings.HasPrefix(u, "/"):
		return u, true
	case blobBase == "":
		return "", false
	}
	return repoPath(blobBase, u)
}

// safeImage returns the src of a card image, or false when the image must
// not load: only same-origin paths are allowed.
func safeImage(raw, resolveBase string) (string, bool) {
	u := cleanURL(raw)
	if u == "" || strings.ContainsRune(u, '\\') || strings.HasPrefix(u, "//") {
		return "", false
	}
	if scheme, ok := schemeOf(u); !ok || scheme != "" {
		return "", false
	}
	if strings.HasPrefix(u, "/") {
		return u, true
	}
	if strings.HasPrefix(u, "#") || strings.HasPrefix(u, "?") {
		return "", false
	}
	return repoPath(resolveBase, u)
}

// repoPath joins a relative path ("./img/a.png", "docs/x.md#y") to base,
// refusing paths that climb out of the repo.
func repoPath(base, rel string) (string, bool) {
	p, frag, _ := strings.Cut(rel, "#")
	p, query, _ := strings.Cut(p, "?")
	clean := path.Clean("/" + p)
	if strings.HasPrefix(p, "..") || clean == "/" {
		return "", false
	}
	out := base + strings.TrimPrefix(escapePath(clean), "/")
	if query != "" {
		out += "?" + query
	}
	if frag != "" {
		out += "#" + frag
	}
	return out, true
}

// escapePath escapes each segment of a slash-separated path for a URL.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
