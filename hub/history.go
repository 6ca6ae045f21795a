package hub

import (
	"context"
	"errors"
	"strings"
)

// LastCommit returns the newest commit on rev's first-parent chain that
// changed path ("" = the root). A missing path gives ErrEntryNotFound.
func (s *Service) LastCommit(ctx context.Context, rev *Revision, path string) (*CommitInfo, error) {
	path = strings.Trim(path, "/")
	got, err := s.LastCommits(ctx, rev, []string{path})
	if err != nil {
		return nil, err
	}
	info, ok := got[path]
	if !ok {
		return nil, entryNotFound(path)
	}
	return info, nil
}

// LastCommits is LastCommit for many paths in one walk of the history
// (tree listings with expand=true). Missing paths are left out of the map.
func (s *Service) LastCommits(ctx context.Context, rev *Revision, paths []string) (map[string]*CommitInfo, error) {
	out := map[string]*CommitInfo{}
	cur, err := s.readCommit(ctx, rev.Commit)
	if err != nil {
		return nil, err
	}
	want := map[string]string{} // path -> entry id at rev
	for _, p := range paths {
		if id, err := s.idAt(ctx, cur.Tree, p); err != nil {
			return nil, err
		} else if id != "" {
			want[p] = id
		}
	}
	for id := rev.Commit; len(want) > 0; {
		parentID := firstParent(cur)
		var parent *commitObject
		if parentID != "" {
			if parent, err = s.readCommit(ctx, parentID); err != nil {
				return nil, err
			}
		}
		for p, pid := range want {
			changed := parent == nil
			if !changed && parent.Tree != cur.Tree {
				old, err := s.idAt(ctx, parent.Tree, p)
				if err != nil {
					return nil, err
				}
				changed = old != pid
			}
			if changed {
				out[p] = commitInfo(id, cur)
				delete(want, p)
			}
		}
		id, cur = parentID, parent
	}
	return out, nil
}

// idAt returns the id of the entry at path below tree, or "" when missing.
func (s *Service) idAt(ctx context.Context, tree, path string) (string, error) {
	if path != "" && ValidatePath(path) != nil {
		return "", nil
	}
	te, err := s.lookup(ctx, tree, path)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return te.ID, err
}
