package localfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"quarry/hub"
)

// Put implements hub.BlobStore. It streams r into a temporary file next to
// the target, syncs it, renames it over the target and syncs the directory.
func (s *BlobStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p, err := s.path(key)
	if err != nil {
		return 0, err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("localfs: put %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tempDir), tempPrefix+"*")
	if err != nil {
		return 0, fmt.Errorf("localfs: put %s: %w", key, err)
	}
	n, err := writeSync(ctx, f, r)
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return 0, fmt.Errorf("localfs: put %s: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return 0, fmt.Errorf("localfs: put %s: %w", key, err)
	}
	return n, nil
}

// writeSync copies r into f, syncs and closes f.
func writeSync(ctx context.Context, f *os.File, r io.Reader) (int64, error) {
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Open implements hub.BlobStore. It reads straight from the file, so the
// object is never held in memory.
func (s *BlobStore) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, hub.Errorf(hub.ErrInvalid, "negative offset %d", offset)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, s.fsError("open", key, err)
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = os.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, s.fsError("open", key, err)
	}
	size := info.Size()
	if offset > size {
		f.Close()
		return nil, hub.Errorf(hub.ErrRange, "offset %d beyond the size %d of %s", offset, size, key)
	}
	if length < 0 || offset+length > size {
		length = size - offset
	}
	return &sectionFile{SectionReader: io.NewSectionReader(f, offset, length), f: f}, nil
}

// sectionFile reads a section of a file and closes the file.
type sectionFile struct {
	*io.SectionReader
	f *os.File
}

func (s *sectionFile) Close() error { return s.f.Close() }

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// Move implements hub.BlobMover: it renames from to to within the store, so
// promoting a verified upload costs no copy. The target's directory is
// synced so the rename survives a crash.
func (s *BlobStore) Move(ctx context.Context, from, to string) error {
	src, err := s.path(from)
	if err != nil {
		return err
	}
	dst, err := s.path(to)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("localfs: move %s: %w", from, err)
	}
	if err := os.Rename(src, dst); err != nil {
		return s.fsError("move", from, err)
	}
	return syncDir(filepath.Dir(dst))
}
