package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
	"quarry/infra/s3"
	"quarry/internal/awstest"
)

var moto *awstest.Server

func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }

var buckets atomic.Int64

// newStore returns a store on a new, empty bucket of the emulator, with
// 5 MiB parts so that multi-megabyte objects take the multipart path.
func newStore(t *testing.T) *s3.BlobStore {
	t.Helper()
	srv := awstest.Need(t, moto)
	ctx := context.Background()
	s, err := s3.Open(ctx, s3.Config{Bucket: fmt.Sprintf("quarry-test-%d-%d", os.Getpid(), buckets.Add(1)),
		Endpoint: srv.URL, Region: awstest.Region, AccessKeyID: awstest.AccessKeyID,
		SecretAccessKey: awstest.SecretAccessKey, PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	hubtest.TestBlobStore(t, func(t *testing.T) hub.BlobStore { return newStore(t) })
}

func put(t *testing.T, s *s3.BlobStore, key string, content []byte) {
	t.Helper()
	n, err := s.Put(context.Background(), key, bytes.NewReader(content))
	if err != nil || n != int64(len(content)) {
		t.Fatalf("Put(%s) = %d, %v; want %d bytes", key, n, err, len(content))
	}
}

func read(t *testing.T, s *s3.BlobStore, key string, offset, length int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key, offset, length)
	if err != nil {
		t.Fatalf("Open(%s, %d, %d): %v", key, offset, length, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestErrors checks the translation of S3 errors into hub kinds.
func TestErrors(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	put(t, s, "objects/ab/x", []byte("0123456789"))
	open := func(key string, off, n int64) error {
		rc, err := s.Open(ctx, key, off, n)
		if err == nil {
			rc.Close()
		}
		return err
	}
	_, statErr := s.Stat(ctx, "objects/ab/missing")
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"OpenMissing", open("objects/ab/missing", 0, -1), hub.ErrNotFound},
		{"OpenMissingRange", open("objects/ab/missing", 3, 2), hub.ErrNotFound},
		{"OpenMissingEmpty", open("objects/ab/missing", 0, 0), hub.ErrNotFound},
		{"StatMissing", statErr, hub.ErrNotFound},
		{"OffsetPastEnd", open("objects/ab/x", 11, -1), hub.ErrRange},
		{"OffsetPastEndLength", open("objects/ab/x", 20, 5), hub.ErrRange},
		{"MoveMissing", s.Move(ctx, "uploads/none/data", "lfs/00/none"), hub.ErrNotFound},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: error = %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if got := read(t, s, "objects/ab/x", 10, -1); len(got) != 0 {
		t.Fatalf("read from the end = %q, want empty", got)
	}
	if got := read(t, s, "objects/ab/x", 4, 0); len(got) != 0 {
		t.Fatalf("read of length 0 = %q, want empty", got)
	}
}

// TestMultipartAbort checks that a reader failing after the first part
// leaves no object and no incomplete upload behind.
func TestMultipartAbort(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	r := io.MultiReader(bytes.NewReader(make([]byte, 6<<20)), iotestErr{})
	if _, err := s.Put(ctx, "lfs/ab/broken", r); err == nil {
		t.Fatal("Put with a reader failing after 6 MiB succeeded")
	}
	if _, err := s.Stat(ctx, "lfs/ab/broken"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("Stat after a failed multipart Put: %v, want ErrNotFound", err)
	}
	if n := openUploads(t, s); n != 0 {
		t.Fatalf("%d multipart uploads left open after a failed Put", n)
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// TestPresign moves bytes through presigned URLs with a plain HTTP client,
// as huggingface_hub and @huggingface/hub do.
func TestPresign(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	content := []byte("presigned content, uploaded without the SDK")
	putURL, err := s.PresignPut(ctx, "uploads/p1/data", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(putURL)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("X-Amz-SignedHeaders"); got != "host" {
		t.Fatalf("presigned PUT signs headers %q, want only host", got)
	}
	for k := range u.Query() {
		if strings.Contains(strings.ToLower(k), "checksum") {
			t.Fatalf("presigned PUT URL carries %s: clients would have to send it", k)
		}
	}
	req, _ := http.NewRequest(http.MethodPut, putURL, bytes.NewReader(content))
	req.Header.Set("Content-Type", "application/octet-stream")
	if status, body := do(t, req); status != http.StatusOK {
		t.Fatalf("PUT to presigned URL: %d %s", status, body)
	}
	if size, err := s.Stat(ctx, "uploads/p1/data"); err != nil || size != int64(len(content)) {
		t.Fatalf("Stat after presigned PUT = %d, %v", size, err)
	}
	getURL, err := s.PresignGet(ctx, "uploads/p1/data", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, getURL, nil)
	if status, body := do(t, req); status != http.StatusOK || !bytes.Equal(body, content) {
		t.Fatalf("GET presigned URL = %d %q", status, body)
	}
	req.Header.Set("Range", "bytes=10-16")
	if status, body := do(t, req); status != http.StatusPartialContent || string(body) != "content" {
		t.Fatalf("ranged GET presigned URL = %d %q", status, body)
	}
	if _, err := s.PresignGet(ctx, "x", 8*24*time.Hour); !errors.Is(err, hub.ErrInvalid) {
		t.Fatalf("PresignGet beyond 7 days: %v, want ErrInvalid", err)
	}
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestMove(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	put(t, s, "uploads/m1/data", []byte("moved"))
	if err := s.Move(ctx, "uploads/m1/data", "lfs/aa/moved"); err != nil {
		t.Fatalf("Move: %v", err)
	}
	if got := read(t, s, "lfs/aa/moved", 0, -1); string(got) != "moved" {
		t.Fatalf("moved content = %q", got)
	}
	if _, err := s.Stat(ctx, "uploads/m1/data"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("source after Move: %v, want ErrNotFound", err)
	}
	// Above the single-copy limit, Move copies by parts (lowered here
	// from 5 GiB so that an 11 MiB object crosses it).
	s3.SetCopyLimits(s, 1<<20, 5<<20)
	big := bytes.Repeat([]byte("0123456789abcdef"), 11<<16)
	put(t, s, "uploads/m2/data", big)
	if err := s.Move(ctx, "uploads/m2/data", "lfs/bb/big"); err != nil {
		t.Fatalf("multipart Move: %v", err)
	}
	if got := read(t, s, "lfs/bb/big", 0, -1); !bytes.Equal(got, big) {
		t.Fatalf("multipart-moved content differs (%d bytes, want %d)", len(got), len(big))
	}
	if _, err := s.Stat(ctx, "uploads/m2/data"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("source after multipart Move: %v, want ErrNotFound", err)
	}
}

func openUploads(t *testing.T, s *s3.BlobStore) int {
	t.Helper()
	n, err := s3.OpenUploads(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCreateBucket checks the bucket settings and that setting up an
// existing bucket again keeps its content.
func TestCreateBucket(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	put(t, s, "objects/ke/pt", []byte("kept"))
	if err := s.CreateBucket(ctx); err != nil {
		t.Fatalf("CreateBucket on an existing bucket: %v", err)
	}
	if got := read(t, s, "objects/ke/pt", 0, -1); string(got) != "kept" {
		t.Fatalf("content after a second CreateBucket = %q", got)
	}
	methods, expose, days, err := s3.BucketSettings(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if methods != "GET,HEAD,PUT" || expose != "ETag" || days != 1 {
		t.Fatalf("bucket settings: CORS methods %q, exposed %q, abort after %d days; want GET,HEAD,PUT, ETag, 1",
			methods, expose, days)
	}
}
