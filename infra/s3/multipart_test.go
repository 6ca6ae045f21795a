package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"testing"
	"time"

	"quarry/hub"
	"quarry/infra/s3"
)

// putURL PUTs body to a presigned URL with no headers but the length, as
// the HF clients do, and returns the response's ETag.
func putURL(t *testing.T, u string, body []byte) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
		t.Fatalf("PUT part: %s, ETag %q", resp.Status, resp.Header.Get("ETag"))
	}
	return resp.Header.Get("ETag")
}

func TestPresignedMultipart(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	content := make([]byte, 5<<20+123)
	rand.Read(content)
	id, err := s.CreateMultipart(ctx, "uploads/x/data")
	if err != nil {
		t.Fatal(err)
	}
	var parts []hub.LFSPart
	for i, chunk := range [][]byte{content[:5<<20], content[5<<20:]} {
		u, err := s.PresignPart(ctx, "uploads/x/data", id, i+1, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, hub.LFSPart{PartNumber: i + 1, ETag: putURL(t, u, chunk)})
	}
	bad := []hub.LFSPart{parts[0], {PartNumber: 2, ETag: `"0123"`}}
	if err := s.CompleteMultipart(ctx, "uploads/x/data", id, bad); !errors.Is(err, hub.ErrInvalid) {
		t.Fatalf("complete with a wrong etag: %v, want ErrInvalid", err)
	}
	if err := s.CompleteMultipart(ctx, "uploads/x/data", id, parts); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "uploads/x/data", 0, -1); !bytes.Equal(got, content) {
		t.Fatalf("joined object differs: %d bytes, want %d", len(got), len(content))
	}
	if n, err := s3.OpenUploads(ctx, s); err != nil || n != 0 {
		t.Fatalf("open uploads after completion = %d, %v", n, err)
	}
}

func TestAbortMultipart(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	id, err := s.CreateMultipart(ctx, "uploads/y/data")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AbortMultipart(ctx, "uploads/y/data", id); err != nil {
		t.Fatal(err)
	}
	if err := s.AbortMultipart(ctx, "uploads/y/data", id); err != nil {
		t.Fatalf("second abort: %v", err)
	}
	if n, err := s3.OpenUploads(ctx, s); err != nil || n != 0 {
		t.Fatalf("open uploads after abort = %d, %v", n, err)
	}
	if _, err := s.PresignPart(ctx, "k", id, 0, time.Hour); !errors.Is(err, hub.ErrInvalid) {
		t.Fatalf("part 0: %v, want ErrInvalid", err)
	}
}
