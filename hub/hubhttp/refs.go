package hubhttp

import (
	"html"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

type refJSON struct {
	Name         string `json:"name"`
	Ref          string `json:"ref"`
	TargetCommit string `json:"targetCommit"`
}

// listRefs answers GET /api/{type}s/{ns}/{name}/refs.
func (s *Server) listRefs(c *fiber.Ctx, p *repoPath) error {
	repo, err := s.svc.FindRepo(c.UserContext(), caller(c), p.ID, hub.ActionRead)
	if err != nil {
		return err
	}
	refs, err := s.svc.ListRefs(c.UserContext(), repo)
	if err != nil {
		return err
	}
	branches, tags := []refJSON{}, []refJSON{}
	for _, r := range refs {
		if name, ok := strings.CutPrefix(r.Name, hub.BranchPrefix); ok {
			branches = append(branches, refJSON{Name: name, Ref: r.Name, TargetCommit: r.Commit})
		} else if name, ok := strings.CutPrefix(r.Name, hub.TagPrefix); ok {
			tags = append(tags, refJSON{Name: name, Ref: r.Name, TargetCommit: r.Commit})
		}
	}
	out := fiber.Map{"branches": branches, "tags": tags, "converts": []refJSON{}}
	if isTrue(c.Query("include_prs")) {
		out["pullRequests"] = []refJSON{}
	}
	return c.JSON(out)
}

// createBranch answers POST .../branch/{branch} {startingPoint, emptyBranch}.
func (s *Server) createBranch(c *fiber.Ctx, p *repoPath) error {
	branch, err := unescape(p.Tail)
	if err != nil {
		return err
	}
	var body struct {
		StartingPoint string `json:"startingPoint"`
		EmptyBranch   bool   `json:"emptyBranch"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.svc.CreateBranch(c.UserContext(), caller(c), p.ID, branch, body.StartingPoint, body.EmptyBranch); err != nil {
		return err
	}
	return c.JSON(fiber.Map{})
}

// deleteBranch answers DELETE .../branch/{branch}.
func (s *Server) deleteBranch(c *fiber.Ctx, p *repoPath) error {
	branch, err := unescape(p.Tail)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteBranch(c.UserContext(), caller(c), p.ID, branch); err != nil {
		return err
	}
	return c.JSON(fiber.Map{})
}

// createTag answers POST .../tag/{revision} {tag, message}: the path names
// the revision to tag, not the tag.
func (s *Server) createTag(c *fiber.Ctx, p *repoPath) error {
	rev, err := unescape(p.Tail)
	if err != nil {
		return err
	}
	var body struct {
		Tag     string `json:"tag"`
		Message string `json:"message"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Tag == "" {
		return hub.Errorf(hub.ErrInvalid, "tag is required")
	}
	if err := s.svc.CreateTag(c.UserContext(), caller(c), p.ID, rev, body.Tag, body.Message); err != nil {
		return err
	}
	return c.JSON(fiber.Map{})
}

// deleteTag answers DELETE .../tag/{tag}.
func (s *Server) deleteTag(c *fiber.Ctx, p *repoPath) error {
	tag, err := unescape(p.Tail)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteTag(c.UserContext(), caller(c), p.ID, tag); err != nil {
		return err
	}
	return c.JSON(fiber.Map{})
}

// Commit listing page sizes.
const (
	defaultCommitsLimit = 50
	maxCommitsLimit     = 1000
)

type commitJSON struct {
	ID        string           `json:"id"`
	Title     string           `json:"title"`
	Message   string           `json:"message"`
	Authors   []authorJSON     `json:"authors"`
	Date      string           `json:"date"`
	Formatted *formattedCommit `json:"formatted,omitempty"`
}

type authorJSON struct {
	User string `json:"user"`
}

type formattedCommit struct {
	Title   string `json:"title"`
	Message string `json:"message"`
}

// listCommits answers GET .../commits/{rev}?limit=&p=, newest first, with
// X-Total-Count and a Link to the next page.
func (s *Server) listCommits(c *fiber.Ctx, p *repoPath) error {
	rev, err := s.resolveRev(c, p.ID, p.Tail)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", defaultCommitsLimit)
	if err != nil {
		return err
	}
	limit = min(max(limit, 1), maxCommitsLimit)
	page, err := intQuery(c, "p", 0)
	if err != nil {
		return err
	}
	commits, total, err := s.svc.ListCommits(c.UserContext(), rev, page*limit, limit)
	if err != nil {
		return err
	}
	formatted := slices.Contains(queryValues(c, "expand"), "formatted")
	out := make([]commitJSON, 0, len(commits))
	for _, ci := range commits {
		j := commitJSON{ID: ci.ID, Title: ci.Title, Message: ci.Message, Date: fmtTime(ci.Date), Authors: []authorJSON{}}
		for _, a := range ci.Authors {
			j.Authors = append(j.Authors, authorJSON{User: a})
		}
		if formatted {
			j.Formatted = &formattedCommit{Title: html.EscapeString(ci.Title), Message: html.EscapeString(ci.Message)}
		}
		out = append(out, j)
	}
	c.Set("X-Total-Count", strconv.Itoa(total))
	if page*limit+len(commits) < total {
		s.nextLink(c, "p", strconv.Itoa(page+1))
	}
	return c.JSON(out)
}

// intQuery reads a non-negative integer query parameter.
func intQuery(c *fiber.Ctx, name string, def int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, hub.Errorf(hub.ErrInvalid, "invalid %s %q: must be a non-negative integer", name, v)
	}
	return n, nil
}
