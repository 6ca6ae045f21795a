package hubhttp_test

import (
	"bytes"
	"strconv"
	"testing"
)

// TestLFSResumeOverHTTP: an upload interrupted after two parts is resumed
// by sending its completion URL as the object's "resume" field in a new
// batch request; the answer is marked resumed and takes the three missing
// parts, and the completion with all five ETags stores the object.
func TestLFSResumeOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "d", "dataset", true)
	content := bytes.Repeat([]byte("resumable upload"), (36<<20)/16) // 5 parts
	oid := sha256hex(content)
	batch := func(obj map[string]any) (string, map[string]string) {
		var b batchResponse
		e.req("POST", "/datasets/alice/d.git/info/lfs/objects/batch", e.alice, map[string]any{
			"operation": "upload", "transfers": []string{"multipart", "basic"}, "objects": []map[string]any{obj},
		}, "Accept: application/vnd.git-lfs+json").must(t, 200).json(t, &b)
		up := b.Objects[0].Actions["upload"]
		return up.Href, up.Header
	}
	chunk := 8 << 20
	etags := map[int]string{}
	put := func(header map[string]string, n int) {
		r := e.req("PUT", header[strconv.Itoa(n)], "", content[(n-1)*chunk:min(n*chunk, len(content))]).must(t, 200)
		etags[n] = r.Header.Get("ETag")
	}

	href, header := batch(map[string]any{"oid": oid, "size": len(content)})
	if header["chunk_size"] != strconv.Itoa(chunk) || header["resumed"] != "" {
		t.Fatalf("first action header %v", header)
	}
	put(header, 1)
	put(header, 2)

	href2, header2 := batch(map[string]any{"oid": oid, "size": len(content), "resume": href})
	if header2["resumed"] != "true" {
		t.Fatalf("resumed action %s header %v", href2, header2)
	}
	for n := 3; n <= 5; n++ {
		put(header2, n)
	}
	var parts []map[string]any
	for n := 1; n <= 5; n++ {
		parts = append(parts, map[string]any{"partNumber": n, "etag": etags[n]})
	}
	e.req("POST", href2, "", map[string]any{"oid": oid, "parts": parts},
		"Content-Type: application/vnd.git-lfs+json").must(t, 200)
	e.commit(e.alice, "datasets/alice/d", "main", ndjson("big", "", lfsOp("big.bin", oid, len(content)))).must(t, 200)
	got := e.req("GET", "/datasets/alice/d/resolve/main/big.bin", e.alice, nil).must(t, 200)
	if !bytes.Equal(got.body, content) {
		t.Fatal("resumed upload content differs")
	}
}
