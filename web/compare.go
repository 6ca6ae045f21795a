package web

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
	"quarry/modelcards"
)

// compareData is the compare page's data.
type compareData struct {
	Head     repoHead
	A, B     string // revision names as given
	ACommit  string
	BCommit  string
	Refs     []string // branch and tag names, for the form's suggestions
	Metrics  []compareRow
	MetricsA string // why A's metrics cannot be read
	MetricsB string
	CardDiff []diffLine
	CardNote string // why there is no card diff
	Changes  []fileChange
	Same     bool
}

// comparePage serves .../compare/A...B: the metrics of both revisions'
// model-index side by side, the README.md diff and the changed files.
// Without a range it compares the default branch with its parent; the
// form's ?a=&b= redirects to the range URL.
func (s *site) comparePage(c *fiber.Ctx, r *reader, repo *hub.Repo) error {
	ctx := c.UserContext()
	base := repoURL(repo.ID) + "/compare/"
	arg := param(c, "*")
	if arg == "" && (c.Query("a") != "" || c.Query("b") != "") {
		return c.Redirect(base+revSegment(c.Query("a"))+"..."+revSegment(c.Query("b")), fiber.StatusSeeOther)
	}
	a, b, ok := strings.Cut(arg, "...")
	if arg == "" {
		var err error
		if a, b, err = s.defaultRange(ctx, r, repo); err != nil {
			return err
		}
	} else if !ok || a == "" || b == "" {
		return s.showError(c, fiber.StatusBadRequest, "Give two revisions as compare/A...B, for example compare/v1...main.")
	}
	d := compareData{Head: s.head(r, repo, "compare", b), A: a, B: b}
	ra, err := s.svc.ResolveRevision(ctx, r.caller, repo.ID, a)
	var rb *hub.Revision
	if err == nil {
		rb, err = s.svc.ResolveRevision(ctx, r.caller, repo.ID, b)
	}
	if notFoundKind(err) {
		return s.notFound(c, r, hub.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	d.ACommit, d.BCommit, d.Same = ra.Commit, rb.Commit, ra.Commit == rb.Commit
	if err := s.fillCompare(ctx, &d, ra, rb); err != nil {
		return err
	}
	branches, tags, err := s.refRows(ctx, repo)
	if err != nil {
		return err
	}
	for _, ref := range append(branches, tags...) {
		d.Refs = append(d.Refs, ref.Name)
	}
	return s.render(c, fiber.StatusOK, "compare", r.view(c, "Compare "+repo.ID.String(), d))
}

// defaultRange is the default branch's parent and the default branch.
func (s *site) defaultRange(ctx context.Context, r *reader, repo *hub.Repo) (string, string, error) {
	rev, err := s.svc.ResolveRevision(ctx, r.caller, repo.ID, "")
	if err != nil {
		return "", "", err
	}
	head, _, err := s.svc.ListCommits(ctx, rev, 0, 1)
	if err != nil {
		return "", "", err
	}
	if len(head) == 1 && len(head[0].Parents) > 0 {
		return head[0].Parents[0], hub.DefaultBranch, nil
	}
	return hub.DefaultBranch, hub.DefaultBranch, nil
}

// fillCompare reads both cards and the changed files.
func (s *site) fillCompare(ctx context.Context, d *compareData, ra, rb *hub.Revision) error {
	ca, err := s.readCard(ctx, ra)
	if err != nil {
		return err
	}
	cb, err := s.readCard(ctx, rb)
	if err != nil {
		return err
	}
	ma, mb := metricsOf(cardOf(ca)), metricsOf(cardOf(cb))
	d.MetricsA, d.MetricsB = ma.Error, mb.Error
	d.Metrics = compareMetrics(ma.Rows, mb.Rows)
	switch {
	case ca == nil && cb == nil:
		d.CardNote = "Neither revision has a README.md."
	case (ca != nil && ca.Raw == nil) || (cb != nil && cb.Raw == nil):
		d.CardNote = "A README.md is too big to compare here."
	default:
		diff, ok := lineDiff(rawOf(ca), rawOf(cb))
		if !ok {
			d.CardNote = "The cards differ too much to show a line diff."
		}
		d.CardDiff = diff
	}
	d.Changes, err = s.treeChanges(ctx, d.Head, ra, rb, false)
	return err
}

// cardOf returns the parsed card, or nil.
func cardOf(cf *cardFile) *modelcards.Card {
	if cf == nil {
		return nil
	}
	return cf.Card
}

// rawOf returns the README text, or "" when there is none.
func rawOf(cf *cardFile) string {
	if cf == nil {
		return ""
	}
	return string(cf.Raw)
}

// textDiff adds the line diff of a changed small text file to ch, or says
// why there is none.
func (s *site) textDiff(ctx context.Context, ch *fileChange, old, cur *hub.Revision) error {
	if ch.LFS {
		ch.NoDiff = "Large file stored with LFS: no text diff."
		return nil
	}
	if ch.Size > maxDiffFileSize || ch.OldSize > maxDiffFileSize {
		ch.NoDiff = "File too big for a text diff."
		return nil
	}
	var before, after []byte
	var err error
	if ch.Status != "added" {
		if before, err = s.fileBytes(ctx, old, ch.Path); err != nil {
			return err
		}
	}
	if ch.Status != "removed" {
		if after, err = s.fileBytes(ctx, cur, ch.Path); err != nil {
			return err
		}
	}
	if !isText(before) || !isText(after) {
		ch.NoDiff = "Binary file: no text diff."
		return nil
	}
	diff, ok := lineDiff(string(before), string(after))
	if !ok {
		ch.NoDiff = "The change is too large to show as a text diff."
	}
	ch.Diff = diff
	return nil
}

// fileBytes reads a small file at rev.
func (s *site) fileBytes(ctx context.Context, rev *hub.Revision, p string) ([]byte, error) {
	f, err := s.svc.Stat(ctx, rev, p, false)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.readAll(ctx, f)
}

// isText reports whether b looks like text (UTF-8 without NUL).
func isText(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }

// sortEntries sorts entries by path.
func sortEntries(es []hub.Entry) {
	slices.SortFunc(es, func(a, b hub.Entry) int { return strings.Compare(a.Path, b.Path) })
}
