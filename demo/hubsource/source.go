// Package hubsource adapts hub.Service to the demo's consumer interfaces:
// Source implements demo.ModelSource and demo.SpaceSource (models and
// spaces read with the caller's rights, the hub's visibility rules
// translated to demo errors), Flagger implements demo.Flagger (flagged
// examples committed to the dataset a model card names), and CallerFunc and
// CSRFFunc tell the demo who the request's caller is, as the hub's HTTP
// middleware authenticated it.
package hubsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"sync"

	"quarry/demo"
	"quarry/hub"
	"quarry/modelcards"
)

var (
	_ demo.ModelSource = (*Source)(nil)
	_ demo.SpaceSource = (*Source)(nil)
)

// maxCardSize bounds the README.md read to learn a repo's card.
const maxCardSize = 1 << 20

// maxCards bounds the parsed cards kept (per commit, so never stale).
const maxCards = 512

// Source reads models and spaces from a hub.Service. The caller values it
// receives are *hub.Caller (nil means anonymous).
type Source struct {
	svc   *hub.Service
	mu    sync.Mutex
	cards map[string]*cardInfo // by repo key, id and commit
}

// cardInfo is what the demo needs from a repo's card at one commit.
type cardInfo struct {
	pipeline    string
	examples    []demo.Example // widget sources naming files of the repo
	flagDataset string
	models      []string
}

// New returns a Source over svc.
func New(svc *hub.Service) *Source {
	return &Source{svc: svc, cards: map[string]*cardInfo{}}
}

// Resolve finds the model with the caller's read rights, resolves the
// revision to its commit and reads the card: pipeline_tag, widget examples
// (those naming files of the repo) and demo.flag_dataset.
func (s *Source) Resolve(ctx context.Context, caller any, ref demo.ModelRef) (*demo.ModelInfo, error) {
	id := hub.RepoID{Type: hub.Model, Namespace: ref.Namespace, Name: ref.Name}
	if id.Validate() != nil {
		return nil, fmt.Errorf("hubsource: resolve %s: %w", ref, demo.ErrNotFound)
	}
	rev, err := s.svc.ResolveRevision(ctx, callerOf(caller), id, ref.Revision)
	if err != nil {
		return nil, demoError("resolve "+ref.String(), err)
	}
	card, err := s.card(ctx, rev)
	if err != nil {
		return nil, demoError("resolve "+ref.String(), err)
	}
	return &demo.ModelInfo{ID: rev.Repo.ID.String(), Revision: rev.Commit, Private: rev.Repo.Private,
		PipelineTag: card.pipeline, FlagDataset: card.flagDataset, Examples: card.examples}, nil
}

// File returns the content of path at the resolved commit (LFS pointers
// followed). Resolve checked the caller's access to this commit.
func (s *Source) File(ctx context.Context, _ any, info *demo.ModelInfo, name string) ([]byte, error) {
	b, err := s.read(ctx, &hub.Revision{Commit: info.Revision}, name, -1)
	if err != nil {
		return nil, demoError("read "+info.ID+"/"+name, err)
	}
	return b, nil
}

// List returns the files under dir at the resolved commit, recursively.
func (s *Source) List(ctx context.Context, _ any, info *demo.ModelInfo, dir string) ([]string, error) {
	entries, err := s.svc.Tree(ctx, &hub.Revision{Commit: info.Revision}, dir, true)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, demoError("list "+info.ID+"/"+dir, err)
	}
	var out []string
	for _, e := range entries {
		if e.Type == hub.EntryFile {
			out = append(out, e.Path)
		}
	}
	return out, nil
}

// ResolveSpace reads the space's card (with the caller's read rights) and
// returns the first model its `models:` list names, "NS/NAME" or
// "NS/NAME@REV" (pinned to REV).
func (s *Source) ResolveSpace(ctx context.Context, caller any, namespace, name string) (demo.ModelRef, error) {
	id := hub.RepoID{Type: hub.Space, Namespace: namespace, Name: name}
	op := "resolve space " + id.String()
	if id.Validate() != nil {
		return demo.ModelRef{}, fmt.Errorf("hubsource: %s: %w", op, demo.ErrNotFound)
	}
	rev, err := s.svc.ResolveRevision(ctx, callerOf(caller), id, "")
	if err != nil {
		return demo.ModelRef{}, demoError(op, err)
	}
	card, err := s.card(ctx, rev)
	if err != nil {
		return demo.ModelRef{}, demoError(op, err)
	}
	for _, m := range card.models {
		if ref, ok := parseModelRef(m); ok {
			return ref, nil
		}
	}
	return demo.ModelRef{}, fmt.Errorf("hubsource: %s: its README names no model (models: [NS/NAME]): %w", op, demo.ErrNotFound)
}

// parseModelRef parses "NS/NAME" or "NS/NAME@REV".
func parseModelRef(s string) (demo.ModelRef, bool) {
	s, rev, _ := strings.Cut(strings.TrimSpace(s), "@")
	id, err := hub.ParseRepoID(hub.Model, s)
	if err != nil {
		return demo.ModelRef{}, false
	}
	return demo.ModelRef{Namespace: id.Namespace, Name: id.Name, Revision: rev}, true
}

// card returns the parsed card of rev, memoized by repo, id (widget URLs
// name it) and commit. A repo without README.md, or with an unreadable
// one, has an empty card.
func (s *Source) card(ctx context.Context, rev *hub.Revision) (*cardInfo, error) {
	key := rev.Repo.Key + ":" + rev.Repo.ID.String() + ":" + rev.Commit
	s.mu.Lock()
	c, ok := s.cards[key]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	b, err := s.read(ctx, rev, "README.md", maxCardSize)
	if err != nil && !errors.Is(err, hub.ErrNotFound) && !errors.Is(err, hub.ErrTooLarge) {
		return nil, err
	}
	c = &cardInfo{}
	if parsed, err := modelcards.Parse(b); err == nil {
		c.pipeline, c.models = parsed.PipelineTag(), parsed.Models()
		if d, ok := parsed.Data["demo"].(map[string]any); ok {
			c.flagDataset, _ = d["flag_dataset"].(string)
		}
		if c.examples, err = s.examples(ctx, rev, parsed.Widget()); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	if len(s.cards) >= maxCards {
		clear(s.cards)
	}
	s.cards[key] = c
	s.mu.Unlock()
	return c, nil
}

// read returns the file at name (up to limit bytes when limit >= 0).
func (s *Source) read(ctx context.Context, rev *hub.Revision, name string, limit int64) ([]byte, error) {
	f, err := s.svc.Stat(ctx, rev, name, false)
	if err != nil {
		return nil, err
	}
	if limit >= 0 && f.Size > limit {
		return nil, hub.Errorf(hub.ErrTooLarge, "%s is larger than %d bytes", name, limit)
	}
	rc, err := s.svc.OpenFile(ctx, f, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	buf.Grow(int(f.Size))
	if _, err := io.Copy(&buf, rc); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// examples turns the card's widget sources into repo paths of files that
// exist at rev: relative paths, and resolve URLs of this very repo
// ("/NS/NAME/resolve/REV/PATH", any host). Other URLs are dropped (the demo
// never fetches).
func (s *Source) examples(ctx context.Context, rev *hub.Revision, widget []modelcards.WidgetExample) ([]demo.Example, error) {
	var paths []string
	titles := map[string]string{}
	for _, w := range widget {
		p, ok := widgetPath(rev.Repo.ID, w.Src)
		if !ok {
			continue
		}
		if _, dup := titles[p]; !dup {
			paths = append(paths, p)
		}
		titles[p] = w.Title
	}
	if len(paths) == 0 {
		return nil, nil
	}
	found, err := s.svc.PathsInfo(ctx, rev, paths)
	if err != nil {
		return nil, err
	}
	exists := map[string]bool{}
	for _, e := range found {
		exists[e.Path] = e.Type == hub.EntryFile
	}
	var out []demo.Example
	for _, p := range paths {
		if exists[p] {
			out = append(out, demo.Example{Path: p, Title: titles[p]})
		}
	}
	return out, nil
}

// widgetPath maps a widget src to a path of repo id.
func widgetPath(id hub.RepoID, src string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(src))
	if err != nil || src == "" {
		return "", false
	}
	p := u.Path
	if u.Scheme == "" && u.Host == "" && !strings.HasPrefix(p, "/") {
		p = path.Clean(p)
		return p, hub.ValidatePath(p) == nil
	}
	prefix := "/" + id.Type.URLPrefix() + id.String() + "/resolve/"
	rest, ok := strings.CutPrefix(p, prefix)
	if !ok {
		return "", false
	}
	_, p, ok = strings.Cut(rest, "/") // drop the revision: the demo pins its own
	return p, ok && hub.ValidatePath(p) == nil
}

// callerOf converts the demo's caller value.
func callerOf(caller any) *hub.Caller {
	if c, ok := caller.(*hub.Caller); ok && c != nil {
		return c
	}
	return &hub.Caller{}
}

// demoError translates hub error kinds into the demo's sentinels, keeping
// the hub's message.
func demoError(op string, err error) error {
	switch hub.ErrorKind(err) {
	case hub.ErrNotFound:
		return fmt.Errorf("hubsource: %s: %w: %s", op, demo.ErrNotFound, hub.ErrorMessage(err))
	case hub.ErrUnauthorized:
		return fmt.Errorf("hubsource: %s: %w: %s", op, demo.ErrUnauthorized, hub.ErrorMessage(err))
	case hub.ErrForbidden:
		return fmt.Errorf("hubsource: %s: %w: %s", op, demo.ErrForbidden, hub.ErrorMessage(err))
	}
	return fmt.Errorf("hubsource: %s: %w", op, err)
}
