package hubhttp

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// Tree page sizes: listings with lastCommit are much slower to build.
const (
	treePageSize       = 1000
	treePageSizeExpand = 100
)

// tree answers GET /api/{type}s/{ns}/{name}/tree/{rev}[/{path}].
func (s *Server) tree(c *fiber.Ctx, p *repoPath) error {
	rev, path, err := s.resolveRevPath(c, p.ID, p.Tail)
	if err != nil {
		return err
	}
	path = strings.Trim(path, "/")
	entries, err := s.svc.Tree(c.UserContext(), rev, path, queryBool(c, "recursive"))
	if err != nil {
		return err
	}
	expand := queryBool(c, "expand")
	size := treePageSize
	if expand {
		size = treePageSizeExpand
	}
	start, err := decodeOffset(c.Query(listCursor))
	if err != nil {
		return err
	}
	start = min(start, len(entries))
	end := min(start+size, len(entries))
	out, err := s.entriesJSON(c, rev, entries[start:end], expand)
	if err != nil {
		return err
	}
	if end < len(entries) {
		s.nextLink(c, listCursor, encodeOffset(end))
	}
	return c.JSON(out)
}

func (s *Server) entriesJSON(c *fiber.Ctx, rev *hub.Revision, entries []hub.Entry, expand bool) ([]entryJSON, error) {
	var last map[string]*hub.CommitInfo
	if expand && len(entries) > 0 {
		paths := make([]string, len(entries))
		for i, e := range entries {
			paths[i] = e.Path
		}
		var err error
		if last, err = s.svc.LastCommits(c.UserContext(), rev, paths); err != nil {
			return nil, err
		}
	}
	out := make([]entryJSON, 0, len(entries))
	for _, e := range entries {
		j := newEntryJSON(e)
		if ci := last[e.Path]; ci != nil {
			j.LastCommit = &lastCommitJSON{ID: ci.ID, Title: ci.Title, Date: fmtTime(ci.Date)}
		}
		out = append(out, j)
	}
	return out, nil
}

// encodeOffset and decodeOffset make the opaque tree cursor.
func encodeOffset(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(n)))
}

func decodeOffset(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil && len(b) > 1 && b[0] == 'o' {
		if n, err := strconv.Atoi(string(b[1:])); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, hub.Errorf(hub.ErrInvalid, "invalid cursor %q", cursor)
}

// pathsInfo answers POST /api/{type}s/{ns}/{name}/paths-info/{rev}, with a
// JSON body {paths, expand} (JS) or a form body paths=a&paths=b (Python).
func (s *Server) pathsInfo(c *fiber.Ctx, p *repoPath) error {
	paths, expand, err := readPathsInfoBody(c)
	if err != nil {
		return err
	}
	rev, err := s.resolveRev(c, p.ID, p.Tail)
	if err != nil {
		return err
	}
	entries, err := s.svc.PathsInfo(c.UserContext(), rev, paths)
	if err != nil {
		return err
	}
	out, err := s.entriesJSON(c, rev, entries, expand)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func readPathsInfoBody(c *fiber.Ctx) (paths []string, expand bool, err error) {
	b, err := readBody(c, maxJSONBody)
	if err != nil {
		return nil, false, err
	}
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEApplicationForm) {
		q, err := parseForm(string(b))
		if err != nil {
			return nil, false, err
		}
		return append(q["paths"], q["paths[]"]...), isTrue(firstOf(q["expand"])), nil
	}
	var body struct {
		Paths  []string `json:"paths"`
		Expand any      `json:"expand"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, false, hub.Errorf(hub.ErrInvalid, "invalid JSON body: %v", err)
	}
	switch e := body.Expand.(type) {
	case bool:
		expand = e
	case string:
		expand = isTrue(e)
	}
	return body.Paths, expand, nil
}

func firstOf(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func isTrue(s string) bool {
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		return true
	}
	return false
}
