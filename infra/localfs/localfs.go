// Package localfs is a hub.BlobStore on the local filesystem. Each key is a
// file under the store's directory; writes go to a temporary file in the
// store's temporary directory that is synced and renamed into place, so an object is
// either absent or complete, even after a crash.
package localfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"quarry/hub"
)

// tempPrefix starts the names of files being written. No key may have a
// segment with this prefix, so such files are never visible as objects.
const tempPrefix = ".tmp-"

// tempDir holds every file being written, so that cleaning up after a crash
// reads one directory instead of walking the whole store.
const tempDir = tempPrefix + "writes"

// staleTemp is how long a temporary file may go unmodified before Open
// removes it as a leftover of a crashed writer.
const staleTemp = time.Hour

// BlobStore stores objects as files under a directory. It is safe for
// concurrent use, also by several processes sharing the directory.
type BlobStore struct {
	dir string
}

var (
	_ hub.BlobStore   = (*BlobStore)(nil)
	_ hub.LocalPather = (*BlobStore)(nil)
	_ hub.BlobMover   = (*BlobStore)(nil)
)

// Open returns a store rooted at dir, creating it if needed, and removes
// temporary files left behind by writers that crashed.
func Open(dir string) (*BlobStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("localfs: open %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("localfs: open %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, tempDir), 0o755); err != nil {
		return nil, fmt.Errorf("localfs: open %s: %w", dir, err)
	}
	s := &BlobStore{dir: abs}
	if _, err := s.CleanTemp(time.Now().Add(-staleTemp)); err != nil {
		return nil, err
	}
	return s, nil
}

// CleanTemp removes temporary files last modified before cutoff and returns
// how many it removed. Files of writers still running are newer than any
// sensible cutoff, since writing keeps updating their modification time.
func (s *BlobStore) CleanTemp(cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, tempDir))
	if err != nil {
		return 0, fmt.Errorf("localfs: clean temporary files: %w", err)
	}
	n := 0
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if os.Remove(filepath.Join(s.dir, tempDir, e.Name())) == nil {
			n++
		}
	}
	return n, nil
}

// path maps a key to its file, rejecting keys that could escape the store
// or name a temporary file.
func (s *BlobStore) path(key string) (string, error) {
	if key == "" || strings.ContainsAny(key, "\\\x00") {
		return "", hub.Errorf(hub.ErrInvalid, "invalid blob key %q", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, tempPrefix) {
			return "", hub.Errorf(hub.ErrInvalid, "invalid blob key %q", key)
		}
	}
	return filepath.Join(s.dir, filepath.FromSlash(key)), nil
}

// LocalPath implements hub.LocalPather: the file holding key, and whether
// the object exists.
func (s *BlobStore) LocalPath(key string) (string, bool) {
	p, err := s.path(key)
	if err != nil {
		return "", false
	}
	info, err := os.Stat(p)
	if err != nil || !info.Mode().IsRegular() {
		return "", false
	}
	return p, true
}

// Stat implements hub.BlobStore.
func (s *BlobStore) Stat(ctx context.Context, key string) (int64, error) {
	p, err := s.path(key)
	if err != nil {
		return 0, err
	}
	info, err := os.Stat(p)
	if err != nil {
		return 0, s.fsError("stat", key, err)
	}
	if !info.Mode().IsRegular() {
		return 0, notFound(key)
	}
	return info.Size(), nil
}

// Delete implements hub.BlobStore.
func (s *BlobStore) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	info, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) || (err == nil && info.IsDir()) {
		return nil
	}
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("localfs: delete %s: %w", key, err)
	}
	return nil
}

func notFound(key string) error {
	return &hub.Error{Kind: hub.ErrNotFound, Message: fmt.Sprintf("blob %s not found", key)}
}

// fsError translates a filesystem error on key.
func (s *BlobStore) fsError(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return notFound(key)
	}
	return fmt.Errorf("localfs: %s %s: %w", op, key, err)
}
