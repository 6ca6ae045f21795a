package hubhttp

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// repoPath is a request path below a repo: /api/{type}s/{ns}/{name}/{op}/{tail}
// or /{prefix}{ns}/{name}/{op}/{tail}. Tail is kept raw (percent-encoded)
// because revisions and file paths may hold an encoded '/'.
type repoPath struct {
	ID   hub.RepoID
	Op   string
	Tail string
}

// rawPath returns the request path exactly as sent, percent-encoding intact.
func rawPath(c *fiber.Ctx) string {
	return string(c.Request().URI().PathOriginal())
}

// parseRepoPath parses raw (a path without query) after prefix. The repo
// name may carry a ".git" suffix (git and git-lfs URLs).
func parseRepoPath(t hub.RepoType, raw, prefix string) (*repoPath, error) {
	rest, ok := strings.CutPrefix(raw, prefix)
	if !ok {
		return nil, hub.Errorf(hub.ErrNotFound, "not found")
	}
	parts := strings.SplitN(rest, "/", 4)
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	ns, err1 := url.PathUnescape(parts[0])
	name, err2 := url.PathUnescape(parts[1])
	op, err3 := url.PathUnescape(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, hub.Errorf(hub.ErrInvalid, "invalid percent-encoding in path")
	}
	id := hub.RepoID{Type: t, Namespace: ns, Name: strings.TrimSuffix(name, ".git")}
	if err := id.Validate(); err != nil {
		return nil, err
	}
	return &repoPath{ID: id, Op: op, Tail: parts[3]}, nil
}

// unescape percent-decodes a raw path component ('+' stays '+').
func unescape(raw string) (string, error) {
	s, err := url.PathUnescape(raw)
	if err != nil {
		return "", hub.Errorf(hub.ErrInvalid, "invalid percent-encoding in %q", raw)
	}
	return s, nil
}

// resolveRevPath splits a raw "{rev}/{path}" tail whose revision may itself
// contain '/' (sent raw or as %2F) and resolves the revision: the longest
// prefix naming a branch or tag wins, as git does for ambiguous refs.
func (s *Server) resolveRevPath(c *fiber.Ctx, id hub.RepoID, tail string) (*hub.Revision, string, error) {
	revPath, err := unescape(tail)
	if err != nil {
		return nil, "", err
	}
	return s.svc.ResolveRevisionPath(c.UserContext(), caller(c), id, revPath)
}

// resolveRev resolves a raw tail that is a revision only.
func (s *Server) resolveRev(c *fiber.Ctx, id hub.RepoID, tail string) (*hub.Revision, error) {
	rev, err := unescape(tail)
	if err != nil {
		return nil, err
	}
	return s.svc.ResolveRevision(c.UserContext(), caller(c), id, rev)
}

// repoHandler handles one operation on a parsed repo path.
type repoHandler func(c *fiber.Ctx, p *repoPath) error

// repoAPI dispatches /api/{type}s/{ns}/{name}[/{op}/...] by method and op.
func (s *Server) repoAPI(t hub.RepoType) fiber.Handler {
	routes := map[string]repoHandler{
		"GET ":                s.repoInfo,
		"GET revision":        s.repoInfo,
		"GET tree":            s.tree,
		"POST paths-info":     s.pathsInfo,
		"POST preupload":      s.preupload,
		"POST commit":         s.commit,
		"PUT settings":        s.repoSettings,
		"GET refs":            s.listRefs,
		"POST branch":         s.createBranch,
		"DELETE branch":       s.deleteBranch,
		"POST tag":            s.createTag,
		"DELETE tag":          s.deleteTag,
		"GET commits":         s.listCommits,
		"GET xet-read-token":  s.xetToken,
		"GET xet-write-token": s.xetToken,
	}
	prefix := "/api/" + string(t) + "s/"
	return func(c *fiber.Ctx) error {
		p, err := parseRepoPath(t, rawPath(c), prefix)
		if err != nil {
			return err
		}
		method := c.Method()
		if method == fiber.MethodHead {
			method = fiber.MethodGet
		}
		h, ok := routes[method+" "+p.Op]
		if !ok {
			if strings.HasPrefix(p.Op, "xet-") {
				return s.xetToken(c, p)
			}
			return fiber.NewError(fiber.StatusNotFound, "Cannot "+c.Method()+" "+c.Path())
		}
		return h(c, p)
	}
}

// xetToken refuses Xet: Quarry speaks LFS only.
func (s *Server) xetToken(c *fiber.Ctx, p *repoPath) error {
	return hub.Errorf(hub.ErrUnsupported, "Xet storage is not supported by this hub; set HF_HUB_DISABLE_XET=1")
}
