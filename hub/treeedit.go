package hub

import (
	"context"
	"strings"
)

// treeEditor applies path edits to a git tree, loading only the directories
// the edits touch; untouched subtrees keep their ids.
type treeEditor struct {
	s    *Service
	root *mtree
}

// mtree is a directory being edited.
type mtree struct {
	id      string            // id of the original tree; "" for a new one
	entries map[string]*mnode // nil until loaded
	dirty   bool
}

// mnode is one entry of an mtree.
type mnode struct {
	mode string
	id   string // blob id, or tree id while sub is nil
	sub  *mtree // loaded directory
}

func newTreeEditor(s *Service, root string) *treeEditor {
	return &treeEditor{s: s, root: &mtree{id: root}}
}

func (ed *treeEditor) load(ctx context.Context, t *mtree) error {
	if t.entries != nil {
		return nil
	}
	t.entries = map[string]*mnode{}
	if t.id == "" {
		return nil
	}
	entries, err := ed.s.readTree(ctx, t.id)
	if err != nil {
		return err
	}
	for _, e := range entries {
		t.entries[e.Name] = &mnode{mode: e.Mode, id: e.ID}
	}
	return nil
}

// dir returns the chain of directories from the root to dir (segments),
// creating missing ones when create is set. A missing directory without
// create gives ErrEntryNotFound.
func (ed *treeEditor) dir(ctx context.Context, path string, segs []string, create bool) ([]*mtree, error) {
	chain := []*mtree{ed.root}
	t := ed.root
	for i, name := range segs {
		if err := ed.load(ctx, t); err != nil {
			return nil, err
		}
		n := t.entries[name]
		switch {
		case n == nil && create:
			n = &mnode{mode: modeDir, sub: &mtree{entries: map[string]*mnode{}}}
			t.entries[name] = n
		case n == nil:
			return nil, entryNotFound(path)
		case n.mode != modeDir && create:
			return nil, Errorf(ErrInvalid, "cannot write %s: %s is a file", path, strings.Join(segs[:i+1], "/"))
		case n.mode != modeDir:
			return nil, entryNotFound(path)
		}
		if n.sub == nil {
			n.sub = &mtree{id: n.id}
		}
		t = n.sub
		chain = append(chain, t)
	}
	return chain, ed.load(ctx, t)
}

func markDirty(chain []*mtree) {
	for _, t := range chain {
		t.dirty = true
	}
}

func splitDir(path string) (dir []string, name string) {
	segs := splitPath(path)
	return segs[:len(segs)-1], segs[len(segs)-1]
}

// get returns the file node at path, or ErrEntryNotFound.
func (ed *treeEditor) getFile(ctx context.Context, path string) (*mnode, error) {
	dir, name := splitDir(path)
	chain, err := ed.dir(ctx, path, dir, false)
	if err != nil {
		return nil, err
	}
	n := chain[len(chain)-1].entries[name]
	if n == nil || n.mode == modeDir || n.mode == modeGitlink {
		return nil, entryNotFound(path)
	}
	return n, nil
}

// put writes blob id at path, creating directories. An existing executable
// file stays executable.
func (ed *treeEditor) put(ctx context.Context, path, id string) error {
	dir, name := splitDir(path)
	chain, err := ed.dir(ctx, path, dir, true)
	if err != nil {
		return err
	}
	t := chain[len(chain)-1]
	mode := modeFile
	if old := t.entries[name]; old != nil {
		if old.mode == modeDir {
			return Errorf(ErrInvalid, "cannot write %s: it is a directory", path)
		}
		if old.mode == modeExec {
			mode = modeExec
		}
	}
	t.entries[name] = &mnode{mode: mode, id: id}
	markDirty(chain)
	return nil
}

// remove deletes the file (or, with folder, the directory) at path;
// ErrEntryNotFound when there is none.
func (ed *treeEditor) remove(ctx context.Context, path string, folder bool) error {
	dir, name := splitDir(path)
	chain, err := ed.dir(ctx, path, dir, false)
	if err != nil {
		return err
	}
	t := chain[len(chain)-1]
	n := t.entries[name]
	if n == nil || (n.mode == modeDir) != folder {
		return entryNotFound(path)
	}
	delete(t.entries, name)
	markDirty(chain)
	return nil
}

// write stores the edited trees bottom-up and returns the root id.
func (ed *treeEditor) write(ctx context.Context) (string, error) {
	id, _, err := ed.writeTree(ctx, ed.root, true)
	return id, err
}

func (ed *treeEditor) writeTree(ctx context.Context, t *mtree, root bool) (id string, empty bool, err error) {
	if !t.dirty {
		return t.id, false, nil
	}
	entries := make([]treeEntry, 0, len(t.entries))
	for name, n := range t.entries {
		id := n.id
		if n.sub != nil {
			subID, empty, err := ed.writeTree(ctx, n.sub, false)
			if err != nil {
				return "", false, err
			}
			if empty {
				continue
			}
			id = subID
		}
		entries = append(entries, treeEntry{Mode: n.mode, Name: name, ID: id})
	}
	if len(entries) == 0 && !root {
		return "", true, nil
	}
	id, err = ed.s.writeTree(ctx, entries)
	return id, false, err
}
