package web

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// commitsPerPage is the length of a history page.
const commitsPerPage = 50

// commitRow is one commit of a history.
type commitRow struct {
	hub.CommitInfo
	URL string
}

// commitsData is a history page's data.
type commitsData struct {
	Head    repoHead
	Commits []commitRow
	Total   int
	Page    int // 1-based
	Pages   int
	Prev    string
	Next    string
}

// commitsPage serves .../commits/REV[?p=N]: the first-parent history.
func (s *site) commitsPage(c *fiber.Ctx, r *reader, repo *hub.Repo) error {
	ctx := c.UserContext()
	revArg := param(c, "*")
	rev, err := s.svc.ResolveRevision(ctx, r.caller, repo.ID, revArg)
	if notFoundKind(err) {
		return s.notFound(c, r, "Revision not found: "+revArg)
	}
	if err != nil {
		return err
	}
	h := s.head(r, repo, "commits", revName(rev))
	n, _ := strconv.Atoi(c.Query("p"))
	n = max(n, 1)
	commits, total, err := s.svc.ListCommits(ctx, rev, (n-1)*commitsPerPage, commitsPerPage)
	if err != nil {
		return err
	}
	d := commitsData{Head: h, Total: total, Page: n, Pages: max(1, (total+commitsPerPage-1)/commitsPerPage)}
	if n > d.Pages {
		return s.notFound(c, r, "There is no page "+strconv.Itoa(n)+" of this history.")
	}
	base := h.URL + "/commits/" + h.RevSeg
	if n > 1 {
		d.Prev = base + "?p=" + strconv.Itoa(n-1)
	}
	if n < d.Pages {
		d.Next = base + "?p=" + strconv.Itoa(n+1)
	}
	for _, ci := range commits {
		d.Commits = append(d.Commits, commitRow{CommitInfo: ci, URL: h.URL + "/commit/" + ci.ID})
	}
	return s.render(c, fiber.StatusOK, "commits", r.view(c, "History of "+repo.ID.String(), d))
}

// Limits of the text diffs on a commit page.
const (
	maxDiffFiles    = 20        // files whose text diff is shown
	maxDiffFileSize = 256 << 10 // bytes per side
)

// fileChange is one changed path of a commit.
type fileChange struct {
	Path    string
	Status  string // "added", "removed" or "modified"
	Size    int64  // new size (old size when removed)
	OldSize int64
	LFS     bool
	URL     string // file page at the commit (old parent for removed files)
	Diff    []diffLine
	NoDiff  string // why there is no text diff
}

// commitData is a commit page's data.
type commitData struct {
	Head    repoHead
	Commit  hub.CommitInfo
	Parent  string
	Changes []fileChange
	Added   int
	Removed int
	Changed int
}

// commitPage serves .../commit/SHA: the commit and its changes against
// its first parent (every file added for a root commit).
func (s *site) commitPage(c *fiber.Ctx, r *reader, repo *hub.Repo) error {
	ctx := c.UserContext()
	sha := param(c, "sha")
	rev, err := s.svc.ResolveRevision(ctx, r.caller, repo.ID, sha)
	if notFoundKind(err) || (err == nil && rev.Ref != "") {
		return s.notFound(c, r, "Commit not found: "+sha)
	}
	if err != nil {
		return err
	}
	h := s.head(r, repo, "commits", rev.Commit)
	infos, _, err := s.svc.ListCommits(ctx, rev, 0, 1)
	if err != nil || len(infos) == 0 {
		return err
	}
	d := commitData{Head: h, Commit: infos[0]}
	var parent *hub.Revision
	if len(d.Commit.Parents) > 0 {
		d.Parent = d.Commit.Parents[0]
		parent = &hub.Revision{Repo: repo, Commit: d.Parent}
	}
	if d.Changes, err = s.treeChanges(ctx, h, parent, rev, true); err != nil {
		return err
	}
	for _, ch := range d.Changes {
		switch ch.Status {
		case "added":
			d.Added++
		case "removed":
			d.Removed++
		default:
			d.Changed++
		}
	}
	return s.render(c, fiber.StatusOK, "commit", r.view(c, d.Commit.Title, d))
}

// treeChanges compares the files of two revisions (old may be nil) and,
// when diffs, adds text diffs for the first maxDiffFiles small text files.
func (s *site) treeChanges(ctx context.Context, h repoHead, old, cur *hub.Revision, diffs bool) ([]fileChange, error) {
	before := map[string]hub.Entry{}
	if old != nil {
		files, err := s.files(ctx, old)
		if err != nil {
			return nil, err
		}
		for _, e := range files {
			before[e.Path] = e
		}
	}
	after, err := s.files(ctx, cur)
	if err != nil {
		return nil, err
	}
	var out []fileChange
	seen := map[string]bool{}
	for _, e := range after {
		seen[e.Path] = true
		o, existed := before[e.Path]
		switch {
		case !existed:
			out = append(out, fileChange{Path: e.Path, Status: "added", Size: e.Size, LFS: e.LFS != nil})
		case o.OID != e.OID:
			out = append(out, fileChange{Path: e.Path, Status: "modified", Size: e.Size, OldSize: o.Size, LFS: e.LFS != nil || o.LFS != nil})
		}
	}
	for _, e := range sortedEntries(before) {
		if !seen[e.Path] {
			out = append(out, fileChange{Path: e.Path, Status: "removed", Size: e.Size, OldSize: e.Size, LFS: e.LFS != nil})
		}
	}
	for i := range out {
		at := revSegment(revName(cur))
		if out[i].Status == "removed" {
			at = old.Commit
		}
		out[i].URL = pathURL(h.URL+"/blob/"+at, out[i].Path)
		if !diffs {
			continue
		}
		if i < maxDiffFiles {
			if err := s.textDiff(ctx, &out[i], old, cur); err != nil {
				return nil, err
			}
		} else {
			out[i].NoDiff = "Diff not shown: only the first " + strconv.Itoa(maxDiffFiles) + " files of a commit get one."
		}
	}
	return out, nil
}

// files lists every file (no folders) of a revision.
func (s *site) files(ctx context.Context, rev *hub.Revision) ([]hub.Entry, error) {
	all, err := s.svc.Tree(ctx, rev, "", true)
	if err != nil {
		return nil, err
	}
	files := all[:0]
	for _, e := range all {
		if e.Type == hub.EntryFile {
			files = append(files, e)
		}
	}
	return files, nil
}

// sortedEntries returns the map's entries sorted by path.
func sortedEntries(m map[string]hub.Entry) []hub.Entry {
	out := make([]hub.Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sortEntries(out)
	return out
}
