package hubtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"quarry/hub"
)

// TestBlobStore runs the hub.BlobStore conformance suite. open must return
// an empty store for each call.
func TestBlobStore(t *testing.T, open func(t *testing.T) hub.BlobStore) {
	t.Run("PutOpenStat", func(t *testing.T) { testBlobPutOpen(t, open(t)) })
	t.Run("Empty", func(t *testing.T) { testBlobEmpty(t, open(t)) })
	t.Run("Missing", func(t *testing.T) { testBlobMissing(t, open(t)) })
	t.Run("Range", func(t *testing.T) { testBlobRange(t, open(t)) })
	t.Run("Replace", func(t *testing.T) { testBlobReplace(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testBlobDelete(t, open(t)) })
	t.Run("FailedPut", func(t *testing.T) { testBlobFailedPut(t, open(t)) })
	t.Run("Large", func(t *testing.T) { testBlobLarge(t, open(t)) })
	t.Run("ConcurrentPut", func(t *testing.T) { testBlobConcurrentPut(t, open(t)) })
}

// readBlob reads key[offset:offset+length] or fails the test.
func readBlob(t *testing.T, s hub.BlobStore, key string, offset, length int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key, offset, length)
	if err != nil {
		t.Fatalf("Open(%q, %d, %d): %v", key, offset, length, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

func putBlob(t *testing.T, s hub.BlobStore, key, content string) {
	t.Helper()
	n, err := s.Put(context.Background(), key, strings.NewReader(content))
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	if got, want := n, int64(len(content)); got != want {
		t.Fatalf("Put(%q) = %d bytes, want %d", key, got, want)
	}
}

func checkBlob(t *testing.T, s hub.BlobStore, key, want string) {
	t.Helper()
	size, err := s.Stat(context.Background(), key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	if size != int64(len(want)) {
		t.Fatalf("Stat(%q) = %d, want %d", key, size, len(want))
	}
	if got := string(readBlob(t, s, key, 0, -1)); got != want {
		t.Fatalf("content of %q = %q, want %q", key, got, want)
	}
}

func checkBlobMissing(t *testing.T, s hub.BlobStore, key string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Stat(ctx, key); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("Stat(%q) error = %v, want ErrNotFound", key, err)
	}
	rc, err := s.Open(ctx, key, 0, -1)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("Open(%q) error = %v, want ErrNotFound", key, err)
	}
}

func testBlobPutOpen(t *testing.T, s hub.BlobStore) {
	blobs := map[string]string{
		"objects/ab/cdef0123456789abcdef0123456789abcdef01":                     "blob 5\x00hello",
		"lfs/9f/86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08": "test",
		"uploads/u1/1": "part one",
		"uploads/u1/2": "part two",
	}
	for k, v := range blobs {
		putBlob(t, s, k, v)
	}
	for k, v := range blobs {
		checkBlob(t, s, k, v)
	}
}

func testBlobEmpty(t *testing.T, s hub.BlobStore) {
	putBlob(t, s, "uploads/empty/1", "")
	checkBlob(t, s, "uploads/empty/1", "")
}

func testBlobMissing(t *testing.T, s hub.BlobStore) {
	checkBlobMissing(t, s, "objects/00/0000000000000000000000000000000000000")
	putBlob(t, s, "uploads/m/1", "x")
	checkBlobMissing(t, s, "uploads/m/2")
}

func testBlobRange(t *testing.T, s hub.BlobStore) {
	const key, content = "objects/12/3456", "0123456789"
	putBlob(t, s, key, content)
	tests := []struct {
		offset, length int64
		want           string
	}{
		{0, -1, "0123456789"},
		{0, 10, "0123456789"},
		{3, 4, "3456"},
		{7, -1, "789"},
		{7, 100, "789"},
		{9, 1, "9"},
	}
	for _, tt := range tests {
		if got := string(readBlob(t, s, key, tt.offset, tt.length)); got != tt.want {
			t.Errorf("Open(%d, %d) = %q, want %q", tt.offset, tt.length, got, tt.want)
		}
	}
}

func testBlobReplace(t *testing.T, s hub.BlobStore) {
	const key = "uploads/r/1"
	putBlob(t, s, key, "a long first version")
	putBlob(t, s, key, "short")
	checkBlob(t, s, key, "short")
}

func testBlobDelete(t *testing.T, s hub.BlobStore) {
	ctx := context.Background()
	putBlob(t, s, "uploads/d/1", "one")
	putBlob(t, s, "uploads/d/2", "two")
	if err := s.Delete(ctx, "uploads/d/1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	checkBlobMissing(t, s, "uploads/d/1")
	checkBlob(t, s, "uploads/d/2", "two")
	if err := s.Delete(ctx, "uploads/d/1"); err != nil {
		t.Fatalf("Delete of a deleted key: %v", err)
	}
	if err := s.Delete(ctx, "uploads/never/1"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	putBlob(t, s, "uploads/d/1", "again")
	checkBlob(t, s, "uploads/d/1", "again")
}

// failingReader yields some bytes, then an error.
type failingReader struct{ n int }

var errReader = errors.New("reader failed")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errReader
	}
	n := min(len(p), r.n)
	for i := range n {
		p[i] = 'x'
	}
	r.n -= n
	return n, nil
}

func testBlobFailedPut(t *testing.T, s hub.BlobStore) {
	ctx := context.Background()
	if _, err := s.Put(ctx, "uploads/f/1", &failingReader{n: 100 << 10}); err == nil {
		t.Fatal("Put with a failing reader succeeded")
	}
	checkBlobMissing(t, s, "uploads/f/1")
	putBlob(t, s, "uploads/f/2", "intact")
	if _, err := s.Put(ctx, "uploads/f/2", &failingReader{n: 10}); err == nil {
		t.Fatal("replacing Put with a failing reader succeeded")
	}
	checkBlob(t, s, "uploads/f/2", "intact")
}

// patternReader streams n pseudo-random bytes without holding them.
func patternReader(seed uint64, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{byte(seed)}), n)
}

func testBlobLarge(t *testing.T, s hub.BlobStore) {
	ctx := context.Background()
	const key, size = "lfs/aa/large", 5<<20 + 12345
	n, err := s.Put(ctx, key, patternReader(7, size))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n != size {
		t.Fatalf("Put = %d bytes, want %d", n, size)
	}
	if got, err := s.Stat(ctx, key); err != nil || got != size {
		t.Fatalf("Stat = %d, %v; want %d", got, err, size)
	}
	want := sha256.New()
	io.Copy(want, patternReader(7, size))
	rc, err := s.Open(ctx, key, 0, -1)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got := sha256.New()
	_, err = io.Copy(got, rc)
	rc.Close()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("large object content differs")
	}
	const off, length = 3<<20 + 17, 1000
	wantPart := make([]byte, off+length)
	io.ReadFull(patternReader(7, size), wantPart)
	if got := readBlob(t, s, key, off, length); !bytes.Equal(got, wantPart[off:]) {
		t.Fatal("range read of a large object differs")
	}
}

func testBlobConcurrentPut(t *testing.T, s hub.BlobStore) {
	ctx := context.Background()
	const key, writers, size = "objects/cc/concurrent", 8, 256 << 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for i := range writers {
		wg.Go(func() {
			content := bytes.Repeat([]byte{byte('a' + i)}, size)
			if _, err := s.Put(ctx, key, bytes.NewReader(content)); err != nil {
				errs <- fmt.Errorf("Put %d: %w", i, err)
			}
		})
		wg.Go(func() {
			for range 10 {
				if err := readWhole(ctx, s, key, size); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := readWhole(ctx, s, key, size); err != nil {
		t.Fatal(err)
	}
}

// readWhole checks that key is missing or holds size copies of one byte.
func readWhole(ctx context.Context, s hub.BlobStore, key string, size int) error {
	rc, err := s.Open(ctx, key, 0, -1)
	if errors.Is(err, hub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("Open: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if len(b) != size || !bytes.Equal(b, bytes.Repeat(b[:1], size)) {
		return fmt.Errorf("read a mixed or partial object (%d bytes)", len(b))
	}
	return nil
}
