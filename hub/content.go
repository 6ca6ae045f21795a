package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// LFSInfo describes the LFS content behind a pointer file.
type LFSInfo struct {
	OID         string // sha256, 64 hex
	Size        int64  // size of the content
	PointerSize int64  // size of the pointer blob
}

// Entry is a file or directory at a revision.
type Entry struct {
	Type string // "file" or "directory"
	Path string
	OID  string // git blob or tree sha1 (for LFS files, the pointer's)
	Size int64  // real size (LFS content size for LFS files); 0 for directories
	LFS  *LFSInfo
}

// File is a file at a revision, ready to stream.
type File struct {
	Entry  Entry
	Commit string // X-Repo-Commit
	Key    string // BlobStore key holding the bytes to serve
	Offset int64  // where the served bytes start inside Key
	Size   int64  // number of bytes to serve
	ETag   string // unquoted: blob sha1, or sha256 for LFS content
}

// Entry types.
const (
	EntryFile      = "file"
	EntryDirectory = "directory"
)

// lookup returns the tree entry at path below tree root ("" gives the root
// itself), or ErrEntryNotFound.
func (s *Service) lookup(ctx context.Context, root, path string) (treeEntry, error) {
	cur := treeEntry{Mode: modeDir, ID: root}
	for _, name := range splitPath(path) {
		if !cur.isDir() {
			return treeEntry{}, entryNotFound(path)
		}
		entries, err := s.readTree(ctx, cur.ID)
		if err != nil {
			return treeEntry{}, err
		}
		e, ok := findEntry(entries, name)
		if !ok || e.Mode == modeGitlink {
			return treeEntry{}, entryNotFound(path)
		}
		cur = e
	}
	return cur, nil
}

// findEntry finds name in git-sorted entries, as a file or as a directory.
func findEntry(entries []treeEntry, name string) (treeEntry, bool) {
	for _, key := range []string{name, name + "/"} {
		i, ok := slices.BinarySearchFunc(entries, key, func(e treeEntry, k string) int {
			return strings.Compare(e.sortKey(), k)
		})
		if ok {
			return entries[i], true
		}
	}
	return treeEntry{}, false
}

func entryNotFound(path string) error {
	return NotFoundf(ErrEntryNotFound, "Entry not found: %s", path)
}

// rootTree returns the tree id of a commit.
func (s *Service) rootTree(ctx context.Context, commit string) (string, error) {
	c, err := s.readCommit(ctx, commit)
	if err != nil {
		return "", err
	}
	return c.Tree, nil
}

// located is a tree entry with its full path.
type located struct {
	path string
	te   treeEntry
}

// walk lists the entries below dir (a tree id at path prefix), recursively
// when asked, skipping submodules.
func (s *Service) walk(ctx context.Context, tree, prefix string, recursive bool, out *[]located) error {
	entries, err := s.readTree(ctx, tree)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Mode == modeGitlink {
			continue
		}
		p := joinPath(prefix, e.Name)
		*out = append(*out, located{p, e})
		if recursive && e.isDir() {
			if err := s.walk(ctx, e.ID, p, true, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// entries turns located tree entries into API entries, reading blob
// metadata with bounded parallelism.
func (s *Service) entries(ctx context.Context, locs []located) ([]Entry, error) {
	out := make([]Entry, len(locs))
	err := parallel(len(locs), 8, func(i int) error {
		e, err := s.entry(ctx, locs[i].path, locs[i].te)
		out[i] = e
		return err
	})
	return out, err
}

func (s *Service) entry(ctx context.Context, path string, te treeEntry) (Entry, error) {
	if te.isDir() {
		return Entry{Type: EntryDirectory, Path: path, OID: te.ID}, nil
	}
	m, err := s.readBlobMeta(ctx, te.ID)
	if err != nil {
		return Entry{}, err
	}
	return fileEntry(path, te.ID, m), nil
}

func fileEntry(path, id string, m *blobMeta) Entry {
	e := Entry{Type: EntryFile, Path: path, OID: id, Size: m.Size}
	if m.LFS != nil {
		info := *m.LFS
		e.LFS, e.Size = &info, info.Size
	}
	return e
}

// Tree lists the directory at path ("" = root), recursively when asked
// (directories included), sorted by path. A missing path or a file gives
// ErrEntryNotFound.
func (s *Service) Tree(ctx context.Context, rev *Revision, path string, recursive bool) ([]Entry, error) {
	path = strings.Trim(path, "/")
	if path != "" && ValidatePath(path) != nil {
		return nil, entryNotFound(path)
	}
	root, err := s.rootTree(ctx, rev.Commit)
	if err != nil {
		return nil, err
	}
	dir, err := s.lookup(ctx, root, path)
	if err != nil {
		return nil, err
	}
	if !dir.isDir() {
		return nil, NotFoundf(ErrEntryNotFound, "Entry not found: %s is not a directory", path)
	}
	// A listing is a function of the directory's tree id and where it sits,
	// and trees never change: cache it, so repeated listings of a commit
	// (clients page through and re-list) cost no object reads.
	key := fmt.Sprintf("list:%s:%t:%s", dir.ID, recursive, path)
	if v, ok := s.cacheGet(key); ok {
		return slices.Clone(v.([]Entry)), nil
	}
	var locs []located
	if err := s.walk(ctx, dir.ID, path, recursive, &locs); err != nil {
		return nil, err
	}
	slices.SortFunc(locs, func(a, b located) int { return strings.Compare(a.path, b.path) })
	entries, err := s.entries(ctx, locs)
	if err != nil {
		return nil, err
	}
	s.cacheAdd(key, slices.Clone(entries), listingSize(entries))
	return entries, nil
}

// listingSize estimates the memory a cached listing holds.
func listingSize(entries []Entry) int {
	n := 0
	for _, e := range entries {
		n += 160 + len(e.Path)
	}
	return n
}

// PathsInfo returns the entries at paths, omitting those that do not exist.
func (s *Service) PathsInfo(ctx context.Context, rev *Revision, paths []string) ([]Entry, error) {
	root, err := s.rootTree(ctx, rev.Commit)
	if err != nil {
		return nil, err
	}
	var locs []located
	for _, p := range paths {
		p = strings.Trim(p, "/")
		if p == "" || ValidatePath(p) != nil {
			continue
		}
		te, err := s.lookup(ctx, root, p)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		locs = append(locs, located{p, te})
	}
	return s.entries(ctx, locs)
}

// Stat returns the file at path. Unless raw, an LFS pointer is followed to
// its content. Directories and missing paths give ErrEntryNotFound.
func (s *Service) Stat(ctx context.Context, rev *Revision, path string, raw bool) (*File, error) {
	if ValidatePath(path) != nil {
		return nil, entryNotFound(path)
	}
	root, err := s.rootTree(ctx, rev.Commit)
	if err != nil {
		return nil, err
	}
	te, err := s.lookup(ctx, root, path)
	if err != nil {
		return nil, err
	}
	if te.isDir() {
		return nil, entryNotFound(path)
	}
	m, err := s.readBlobMeta(ctx, te.ID)
	if err != nil {
		return nil, err
	}
	e := fileEntry(path, te.ID, m)
	f := &File{Entry: e, Commit: rev.Commit, Key: objectKey(te.ID), Offset: m.Header, Size: m.Size, ETag: te.ID}
	if e.LFS != nil && !raw {
		f.Key, f.Offset, f.Size, f.ETag = lfsKey(e.LFS.OID), 0, e.LFS.Size, e.LFS.OID
	}
	return f, nil
}

// OpenFile reads length bytes (length < 0: to the end) from offset of f's
// served bytes. An offset past the end gives ErrRange.
func (s *Service) OpenFile(ctx context.Context, f *File, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 || offset > f.Size {
		return nil, Errorf(ErrRange, "offset %d outside file of %d bytes", offset, f.Size)
	}
	if length < 0 || length > f.Size-offset {
		length = f.Size - offset
	}
	rc, err := s.Blobs.Open(ctx, f.Key, f.Offset+offset, length)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Entry.Path, err)
	}
	return rc, nil
}

// parallel runs fn(0..n-1) on up to workers goroutines and returns the
// first error.
func parallel(n, workers int, fn func(i int) error) error {
	if n <= 1 || workers <= 1 {
		for i := 0; i < n; i++ {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan int)
	)
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}
