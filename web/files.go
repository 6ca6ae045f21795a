package web

import (
	"bytes"
	"errors"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// maxBlobView bounds the text a file page shows inline.
const maxBlobView = 512 << 10

// imageExts are the file types a file page shows as an image.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true}

// fileRow is one entry of a folder listing.
type fileRow struct {
	Name     string
	Path     string
	Dir      bool
	URL      string // tree or blob page
	Size     int64
	LFS      bool
	Download string // resolve URL of a file
}

// fileRows lists entries (one folder) with folders first.
func fileRows(h repoHead, entries []hub.Entry) []fileRow {
	rows := make([]fileRow, 0, len(entries))
	for _, e := range entries {
		row := fileRow{Name: path.Base(e.Path), Path: e.Path, Dir: e.Type == hub.EntryDirectory, Size: e.Size, LFS: e.LFS != nil}
		if row.Dir {
			row.URL = pathURL(h.URL+"/tree/"+h.RevSeg, e.Path)
		} else {
			row.URL = pathURL(h.URL+"/blob/"+h.RevSeg, e.Path)
			row.Download = pathURL(h.URL+"/resolve/"+h.RevSeg, e.Path) + "?download=true"
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b fileRow) int {
		if a.Dir != b.Dir {
			if a.Dir {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Path, b.Path)
	})
	return rows
}

// crumb is one link of a path's breadcrumbs.
type crumb struct{ Name, URL string }

// crumbs returns the breadcrumbs of p in the tree of h's revision.
func crumbs(h repoHead, p string) []crumb {
	out := []crumb{{Name: h.ID.Name, URL: h.URL + "/tree/" + h.RevSeg}}
	if p == "" {
		return out
	}
	parts := strings.Split(p, "/")
	for i, name := range parts {
		out = append(out, crumb{Name: name, URL: pathURL(h.URL+"/tree/"+h.RevSeg, strings.Join(parts[:i+1], "/"))})
	}
	return out
}

// treeData is a folder page's data.
type treeData struct {
	Head   repoHead
	Path   string
	Crumbs []crumb
	Files  []fileRow
}

// treePage serves .../tree/REV[/PATH].
func (s *site) treePage(c *fiber.Ctx, r *reader, repo *hub.Repo) error {
	rev, p, err := s.svc.ResolveRevisionPath(c.UserContext(), r.caller, repo.ID, param(c, "*"))
	if notFoundKind(err) {
		return s.notFound(c, r, "Revision not found: "+firstSegment(param(c, "*")))
	}
	if err != nil {
		return err
	}
	h := s.head(r, repo, "files", revName(rev))
	entries, err := s.svc.Tree(c.UserContext(), rev, p, false)
	if notFoundKind(err) {
		return s.notFound(c, r, "No folder "+p+" at "+h.Rev+".")
	}
	if err != nil {
		return err
	}
	d := treeData{Head: h, Path: strings.Trim(p, "/"), Files: fileRows(h, entries)}
	d.Crumbs = crumbs(h, d.Path)
	title := repo.ID.String()
	if d.Path != "" {
		title += ": " + d.Path
	}
	return s.render(c, fiber.StatusOK, "tree", r.view(c, title, d))
}

// firstSegment returns what precedes the first '/'.
func firstSegment(s string) string {
	first, _, _ := strings.Cut(s, "/")
	return first
}

// blobData is a file page's data.
type blobData struct {
	Head     repoHead
	Path     string
	Crumbs   []crumb
	Size     int64
	LFS      *hub.LFSInfo
	Download string
	Raw      string
	Text     string
	HasText  bool
	Image    bool
	Note     string // why the content is not shown
}

// blobPage serves .../blob/REV/PATH: the file's size, download links and,
// for text up to maxBlobView, its content (escaped by the template).
func (s *site) blobPage(c *fiber.Ctx, r *reader, repo *hub.Repo) error {
	ctx := c.UserContext()
	rev, p, err := s.svc.ResolveRevisionPath(ctx, r.caller, repo.ID, param(c, "*"))
	if notFoundKind(err) {
		return s.notFound(c, r, "Revision not found: "+firstSegment(param(c, "*")))
	}
	if err != nil {
		return err
	}
	h := s.head(r, repo, "files", revName(rev))
	f, err := s.svc.Stat(ctx, rev, p, false)
	if errors.Is(err, hub.ErrNotFound) {
		if _, terr := s.svc.Tree(ctx, rev, p, false); terr == nil {
			return c.Redirect(pathURL(h.URL+"/tree/"+h.RevSeg, p), fiber.StatusFound)
		}
		return s.notFound(c, r, "No file "+p+" at "+h.Rev+".")
	}
	if err != nil {
		return err
	}
	d := blobData{Head: h, Path: p, Crumbs: crumbs(h, path.Dir("/" + p)[1:]), Size: f.Size, LFS: f.Entry.LFS,
		Download: pathURL(h.URL+"/resolve/"+h.RevSeg, p) + "?download=true", Raw: pathURL(h.URL+"/raw/"+h.RevSeg, p)}
	if err := s.fillBlob(c, &d, f); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "blob", r.view(c, repo.ID.String()+": "+p, d))
}

// fillBlob decides how to show a file: text, image or a note.
func (s *site) fillBlob(c *fiber.Ctx, d *blobData, f *hub.File) error {
	switch {
	case imageExts[strings.ToLower(path.Ext(d.Path))] && f.Size <= 20<<20:
		d.Image = true
	case f.Size > maxBlobView:
		d.Note = "This file is too big to show here (" + formatSize(f.Size) + "); download it instead."
	default:
		body, err := s.readAll(c.UserContext(), f)
		if err != nil {
			return err
		}
		if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
			d.Note = "This is a binary file; download it to open it."
			return nil
		}
		d.Text, d.HasText = string(body), true
	}
	return nil
}
