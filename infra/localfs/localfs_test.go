package localfs_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
	"quarry/infra/localfs"
)

func open(t *testing.T, dir string) *localfs.BlobStore {
	t.Helper()
	s, err := localfs.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	hubtest.TestBlobStore(t, func(t *testing.T) hub.BlobStore { return open(t, t.TempDir()) })
}

func TestInvalidKeys(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "a//b", "a/", "../x", "a/../b", "a/./b", ".", "a/.tmp-123", `a\b`, "a\x00b"} {
		if _, err := s.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, hub.ErrInvalid) {
			t.Errorf("Put(%q) error = %v, want ErrInvalid", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, hub.ErrInvalid) {
			t.Errorf("Stat(%q) error = %v, want ErrInvalid", key, err)
		}
		if _, err := s.Open(ctx, key, 0, -1); !errors.Is(err, hub.ErrInvalid) {
			t.Errorf("Open(%q) error = %v, want ErrInvalid", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, hub.ErrInvalid) {
			t.Errorf("Delete(%q) error = %v, want ErrInvalid", key, err)
		}
	}
}

func TestDirectoryIsNotAnObject(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	if _, err := s.Put(ctx, "objects/ab/cd", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "objects/ab"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("Stat of a directory: error = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, "objects/ab/cd/ef"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("Stat below an object: error = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "objects/ab"); err != nil {
		t.Fatalf("Delete of a directory: %v", err)
	}
	if _, err := s.Stat(ctx, "objects/ab/cd"); err != nil {
		t.Fatalf("object after deleting its directory key: %v", err)
	}
}

func TestLocalPath(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if _, ok := s.LocalPath("lfs/ab/cd"); ok {
		t.Fatal("LocalPath of a missing object reported ok")
	}
	if _, err := s.Put(context.Background(), "lfs/ab/cd", strings.NewReader("content")); err != nil {
		t.Fatal(err)
	}
	p, ok := s.LocalPath("lfs/ab/cd")
	if !ok {
		t.Fatal("LocalPath of an object not ok")
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "content" {
		t.Fatalf("file at LocalPath = %q, %v", b, err)
	}
	if !strings.HasPrefix(p, dir) {
		t.Fatalf("LocalPath %s is outside %s", p, dir)
	}
	if _, ok := s.LocalPath("../etc/passwd"); ok {
		t.Fatal("LocalPath of an escaping key reported ok")
	}
}

// TestCrashLeftovers simulates writers that died mid-write: their temporary
// files are never visible as objects and stale ones are removed on Open.
func TestCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	if _, err := s.Put(ctx, "objects/ab/cd", strings.NewReader("whole")); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".tmp-writes", ".tmp-111")
	fresh := filepath.Join(dir, ".tmp-writes", ".tmp-222")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("part"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temporary file survived Open: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("a fresh temporary file (maybe still being written) was removed: %v", err)
	}
	if _, err := s.Stat(ctx, ".tmp-writes/.tmp-222"); !errors.Is(err, hub.ErrInvalid) {
		t.Fatalf("Stat of a temporary file: error = %v, want ErrInvalid", err)
	}
	if got := readAll(t, s, "objects/ab/cd"); got != "whole" {
		t.Fatalf("object = %q, want %q", got, "whole")
	}
}

// TestPartialWriteNeverVisible fails a Put midway: neither the new key nor
// a temporary file remains, and a replaced object keeps its old content.
func TestPartialWriteNeverVisible(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	if _, err := s.Put(ctx, "lfs/aa/old", strings.NewReader("old content")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"lfs/aa/new", "lfs/aa/old"} {
		r := io.MultiReader(strings.NewReader("partial"), errReader{})
		if _, err := s.Put(ctx, key, r); err == nil {
			t.Fatalf("Put(%s) with a failing reader succeeded", key)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Put(cctx, "lfs/aa/cancelled", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: error = %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "lfs", "aa"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "old" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("files after failed writes = %v, want [old]", names)
	}
	if got := readAll(t, s, "lfs/aa/old"); got != "old content" {
		t.Fatalf("replaced object = %q after a failed write", got)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func readAll(t *testing.T, s *localfs.BlobStore, key string) string {
	t.Helper()
	rc, err := s.Open(context.Background(), key, 0, -1)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMove renames an object: the new key has the bytes, the old is gone,
// and moving a missing key reports ErrNotFound.
func TestMove(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	if _, err := s.Put(ctx, "uploads/x/data", strings.NewReader("payload")); err != nil {
		t.Fatal(err)
	}
	if err := s.Move(ctx, "uploads/x/data", "lfs/ab/abcdef"); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "lfs/ab/abcdef"); got != "payload" {
		t.Fatalf("moved object = %q, want %q", got, "payload")
	}
	if _, err := s.Stat(ctx, "uploads/x/data"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("Stat of the old key: error = %v, want ErrNotFound", err)
	}
	if err := s.Move(ctx, "uploads/x/data", "lfs/ab/other"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("Move of a missing key: error = %v, want ErrNotFound", err)
	}
}
