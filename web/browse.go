package web

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
	"quarry/hub/hubhttp"
)

// reservedTop are the first path segments that are never a namespace (see
// hub's reserved names): browse routes step aside for them (c.Next), so
// that pages and API routes registered after these catch-alls still work.
var reservedTop = map[string]bool{
	"api": true, "datasets": true, "spaces": true, "models": true, "settings": true, "training": true,
	"login": true, "logout": true, "healthz": true, "static": true, "assets": true, "docs": true,
	"new": true, "organizations": true, "join": true, "search": true,
}

// registerBrowse adds the reading pages: home, repo pages with their files,
// commits and comparisons, and user and organization pages. Only GET (and
// HEAD) routes; each steps aside (c.Next) for paths that are not its own:
//
//	/                                   home and search
//	/NS                                 user or organization
//	[/datasets|/spaces]/NS/NAME         repo page (a space's demo stays at /spaces/NS/NAME/)
//	.../NS/NAME/tree/REV[/PATH]         folder
//	.../NS/NAME/blob/REV/PATH           file
//	.../NS/NAME/commits/REV             history
//	.../NS/NAME/commit/SHA              one commit's changes
//	.../NS/NAME/compare/A...B           two revisions side by side
//
// resolve/, raw/, info/lfs/, demo/ and .git paths are left to the API and
// the demo: none of them has the fixed segments above.
func (s *site) registerBrowse(app *fiber.App) {
	app.Get("/", s.browse(s.home))
	for _, t := range []hub.RepoType{hub.Dataset, hub.Space, hub.Model} {
		p := "/" + strings.TrimSuffix(t.URLPrefix(), "/")
		if t == hub.Model {
			p = ""
		}
		app.Get(p+"/:ns/:name", s.repoRoute(t, s.repoPage))
		app.Get(p+"/:ns/:name/tree/*", s.repoRoute(t, s.treePage))
		app.Get(p+"/:ns/:name/blob/*", s.repoRoute(t, s.blobPage))
		app.Get(p+"/:ns/:name/commits/*", s.repoRoute(t, s.commitsPage))
		app.Get(p+"/:ns/:name/commit/:sha", s.repoRoute(t, s.commitPage))
		app.Get(p+"/:ns/:name/compare/*", s.repoRoute(t, s.comparePage))
	}
	app.Get("/:ns", s.namespaceRoute)
}

// reader is the person reading a page: the caller the API middleware
// authenticated (session cookie or token).
type reader struct {
	caller *hub.Caller
}

// view returns the layout data for a page titled title.
func (r *reader) view(c *fiber.Ctx, title string, page any) view {
	v := view{Title: title, Page: page, Here: requestPath(c)}
	if r.caller.Session != nil {
		v.User, v.CSRF = r.caller.Name(), r.caller.Session.CSRF
	}
	return v
}

// browse wraps a reading page: security headers, error page, the reader.
func (s *site) browse(h func(*fiber.Ctx, *reader) error) fiber.Handler {
	return s.wrap(func(c *fiber.Ctx) error {
		caller := hubhttp.CallerOf(c)
		if err := s.svc.LoadMemberships(c.UserContext(), caller); err != nil {
			return err
		}
		return h(c, &reader{caller: caller})
	})
}

// repoHandler serves one page of a repo the reader may read.
type repoHandler func(c *fiber.Ctx, r *reader, repo *hub.Repo) error

// repoRoute resolves :ns/:name of type t for h. Paths that cannot be a
// repo page step aside; a repo that is missing or hidden from the reader
// gives the same 404 page either way.
func (s *site) repoRoute(t hub.RepoType, h repoHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, name := param(c, "ns"), param(c, "name")
		if reservedTop[strings.ToLower(ns)] || strings.HasSuffix(strings.ToLower(name), ".git") {
			return c.Next()
		}
		if t == hub.Space && c.Route().Path == "/spaces/:ns/:name" && strings.HasSuffix(c.Path(), "/") {
			return c.Next() // /spaces/NS/NAME/ is the space's demo
		}
		return s.browse(func(c *fiber.Ctx, r *reader) error {
			id := hub.RepoID{Type: t, Namespace: ns, Name: name}
			if id.Validate() != nil {
				return s.repoNotFound(c, r)
			}
			repo, err := s.svc.FindRepo(c.UserContext(), r.caller, id, hub.ActionRead)
			if err != nil {
				if isRepoNotFound(err) {
					return s.repoNotFound(c, r)
				}
				return err
			}
			return h(c, r, repo)
		})(c)
	}
}

// isRepoNotFound reports whether err says the repo is missing or hidden.
func isRepoNotFound(err error) bool {
	return hub.ErrorCode(err) == "RepoNotFound" || errors.Is(err, hub.ErrRepoNotFound)
}

// repoNotFound renders the one page shown for a repo that does not exist
// and for a private repo the reader may not see: same status, same text,
// so the page leaks nothing.
func (s *site) repoNotFound(c *fiber.Ctx, r *reader) error {
	v := r.view(c, "Not Found", errorData{Status: fiber.StatusNotFound,
		Message: "Repository not found. If it is private, sign in with an account that may read it."})
	return s.render(c, fiber.StatusNotFound, "error", v)
}

// notFound renders a 404 page with msg (for missing revisions, files and
// users; never for repos, see repoNotFound).
func (s *site) notFound(c *fiber.Ctx, r *reader, msg string) error {
	v := r.view(c, "Not Found", errorData{Status: fiber.StatusNotFound, Message: msg})
	return s.render(c, fiber.StatusNotFound, "error", v)
}

// param returns an unescaped copy of a route parameter.
func param(c *fiber.Ctx, name string) string {
	v := c.Params(name)
	if u, err := url.PathUnescape(v); err == nil {
		v = u
	}
	return strings.Clone(v)
}

// repoURL returns the path of a repo's page: "/NS/NAME",
// "/datasets/NS/NAME" or "/spaces/NS/NAME".
func repoURL(id hub.RepoID) string {
	return "/" + id.Type.URLPrefix() + url.PathEscape(id.Namespace) + "/" + url.PathEscape(id.Name)
}

// revSegment returns a revision as one URL path segment ("feature%2Fx").
func revSegment(rev string) string { return url.PathEscape(rev) }

// revName returns the name a revision is shown and linked with: the
// branch or tag name, or the full commit id.
func revName(rev *hub.Revision) string {
	if b, ok := strings.CutPrefix(rev.Ref, hub.BranchPrefix); ok {
		return b
	}
	if t, ok := strings.CutPrefix(rev.Ref, hub.TagPrefix); ok {
		return t
	}
	return rev.Commit
}

// notFoundKind reports whether err is a not-found error (revision, entry).
func notFoundKind(err error) bool { return errors.Is(err, hub.ErrNotFound) }
