package hub_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
)

// bigObject returns size bytes of varied content and their oid.
func bigObject(size int) ([]byte, string) {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*31 + i>>11)
	}
	return data, sha256hex(data)
}

// partOf returns part n (1-based) of data in chunks of chunk bytes.
func partOf(data []byte, chunk, n int) []byte {
	return data[(n-1)*chunk : min(n*chunk, len(data))]
}

// putParts PUTs parts from..to of data with the multipart token tok and
// records their ETags in etags.
func (e *env) putParts(t *testing.T, tok string, data []byte, from, to int, etags map[int]string) {
	t.Helper()
	for n := from; n <= to; n++ {
		etag, err := e.svc.PutLFSPart(ctx, tok, n, bytes.NewReader(partOf(data, hub.LFSChunkSize, n)))
		if err != nil {
			t.Fatalf("PutLFSPart %d: %v", n, err)
		}
		etags[n] = etag
	}
}

func partList(etags map[int]string, n int) []hub.LFSPart {
	parts := make([]hub.LFSPart, n)
	for i := range parts {
		parts[i] = hub.LFSPart{PartNumber: i + 1, ETag: etags[i+1]}
	}
	return parts
}

// TestLFSMultipartResume interrupts a multipart upload after two of five
// parts, lets its URLs expire, resumes it by presenting the old completion
// URL in a new batch request and sends only the three missing parts: the
// completion with all five ETags stores the object, byte for byte.
func TestLFSMultipartResume(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	data, oid := bigObject(hub.LFSMultipartThreshold + 3<<20) // 5 parts
	obj := hub.LFSObject{OID: oid, Size: int64(len(data))}
	first := e.batch(t, id, "upload", []string{"multipart", "basic"}, obj).Objects[0].Actions["upload"]
	if first.Header[hub.LFSResumedHeader] != "" {
		t.Fatalf("a fresh upload is marked resumed: %v", first.Header)
	}
	tok1 := tokenOf(t, first.Href, "/api/lfs/complete/")
	etags := map[int]string{}
	e.putParts(t, tok1, data, 1, 2, etags)

	e.now = e.now.Add(hub.LFSUploadTTL + time.Minute)
	_, err := e.svc.PutLFSPart(ctx, tok1, 3, bytes.NewReader(partOf(data, hub.LFSChunkSize, 3)))
	wantKind(t, err, hub.ErrForbidden)

	obj.Resume = first.Href
	resp := e.batch(t, id, "upload", []string{"multipart", "basic"}, obj)
	again := resp.Objects[0].Actions["upload"]
	if resp.Transfer != "multipart" || again.Header[hub.LFSResumedHeader] != "true" || len(again.Header) != 7 {
		t.Fatalf("resumed action: transfer %s, header %v", resp.Transfer, again.Header)
	}
	tok2 := tokenOf(t, again.Href, "/api/lfs/complete/")
	if tok2 == tok1 || again.Header["3"] != base+"/api/lfs/part/"+tok2+"/3" {
		t.Fatalf("resumed action reuses the expired URLs: %v", again)
	}
	e.putParts(t, tok2, data, 3, 5, etags)
	if err := e.svc.CompleteLFSMultipart(ctx, tok2, oid, partList(etags, 5)); err != nil {
		t.Fatalf("complete a resumed upload: %v", err)
	}
	for _, k := range e.blobs.Keys() {
		if strings.HasPrefix(k, "uploads/") {
			t.Fatalf("upload key %s left behind", k)
		}
	}
	e.commit(t, id, "big", hub.Op{Kind: hub.OpLFSFile, Path: "big.bin", OID: oid, Size: obj.Size})
	if got := e.read(t, e.rev(t, id, "main"), "big.bin", false); got != string(data) {
		t.Fatal("resumed upload stored different content")
	}
	if held := e.batch(t, id, "upload", []string{"multipart"}, obj).Objects[0]; held.Actions != nil {
		t.Fatalf("held object still gets an upload action on resume: %+v", held)
	}
}

// TestLFSResumeNeverCommitsBadContent resumes an upload whose missing part
// is then sent with wrong bytes of the right length (and their own ETag):
// the completion fails on the object's sha256, the repo does not hold the
// object, and a commit naming it is refused.
func TestLFSResumeNeverCommitsBadContent(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	data, oid := bigObject(hub.LFSMultipartThreshold + 1) // 5 parts, the last 1 byte
	obj := hub.LFSObject{OID: oid, Size: int64(len(data))}
	first := e.batch(t, id, "upload", []string{"multipart"}, obj).Objects[0].Actions["upload"]
	etags := map[int]string{}
	e.putParts(t, tokenOf(t, first.Href, "/api/lfs/complete/"), data, 1, 4, etags)

	obj.Resume = first.Href
	again := e.batch(t, id, "upload", []string{"multipart"}, obj).Objects[0].Actions["upload"]
	tok := tokenOf(t, again.Href, "/api/lfs/complete/")
	bad, err := e.svc.PutLFSPart(ctx, tok, 5, strings.NewReader("?"))
	if err != nil {
		t.Fatal(err)
	}
	etags[5] = bad
	wantKind(t, e.svc.CompleteLFSMultipart(ctx, tok, oid, partList(etags, 5)), hub.ErrInvalid)
	if o := e.batch(t, id, "upload", []string{"multipart"}, hub.LFSObject{OID: oid, Size: obj.Size}).Objects[0]; o.Actions == nil {
		t.Fatal("the repo holds an object whose upload failed its sha256 check")
	}
	_, err = e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: "bad", Ops: []hub.Op{{Kind: hub.OpLFSFile, Path: "big.bin", OID: oid}}})
	wantKind(t, err, hub.ErrInvalid)
}

// TestLFSResumeRefused: a Resume the server did not sign for this repo,
// object and size, that is not a multipart completion URL, or that expired
// more than LFSResumeWindow ago starts a fresh upload: no resumed mark,
// and the parts of the old upload are not part of the new one.
func TestLFSResumeRefused(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	other := e.newRepo(t, "other")
	data, oid := bigObject(hub.LFSMultipartThreshold)
	obj := hub.LFSObject{OID: oid, Size: int64(len(data))}
	href := func(repo hub.RepoID, o hub.LFSObject, transfers ...string) string {
		return e.batch(t, repo, "upload", transfers, o).Objects[0].Actions["upload"].Href
	}
	own := href(id, obj, "multipart")
	e.putParts(t, tokenOf(t, own, "/api/lfs/complete/"), data, 1, 1, map[int]string{})
	_, smallOID := bigObject(10)
	cases := []struct {
		name    string
		resume  string
		advance time.Duration
	}{
		{"other repo", href(other, obj, "multipart"), 0},
		{"other object", href(id, hub.LFSObject{OID: sha256hex([]byte("other")), Size: obj.Size}, "multipart"), 0},
		{"other size", href(id, hub.LFSObject{OID: oid, Size: obj.Size + 1}, "multipart"), 0},
		{"basic upload URL", href(id, hub.LFSObject{OID: smallOID, Size: 10}, "basic"), 0},
		{"tampered", strings.Replace(own, "/complete/eyJ", "/complete/fyJ", 1), 0},
		{"garbage", "not a URL", 0},
		{"expired beyond the window", own, hub.LFSUploadTTL + hub.LFSResumeWindow + time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.resume == own && c.advance == 0 {
				t.Fatalf("case %q presents the valid URL", c.name)
			}
			e.now = e.now.Add(c.advance)
			o := obj
			o.Resume = c.resume
			act := e.batch(t, id, "upload", []string{"multipart"}, o).Objects[0].Actions["upload"]
			if act.Header[hub.LFSResumedHeader] != "" || act.Header["chunk_size"] == "" {
				t.Fatalf("resume %q: action %v", c.resume, act)
			}
			err := e.svc.CompleteLFSMultipart(ctx, tokenOf(t, act.Href, "/api/lfs/complete/"), oid, partList(map[int]string{1: "x"}, 4))
			if err == nil || !strings.Contains(hub.ErrorMessage(err), "part 1 was not uploaded") {
				t.Fatalf("the fresh upload sees the old upload's part: %v", err)
			}
		})
	}
	// Multipart not offered: a basic action whatever the Resume.
	o := obj
	o.Resume = own
	if act := e.batch(t, id, "upload", []string{"basic"}, o).Objects[0].Actions["upload"]; act.Header != nil {
		t.Fatalf("basic-only batch with Resume: %v", act)
	}
}

// presignStore is a memory store that also takes presigned multipart
// uploads, whose part "URLs" name the store's upload and part.
type presignStore struct {
	*hubtest.MemBlobStore
	creates int
	parts   map[string][]byte // "uid/n"
}

func (p *presignStore) CreateMultipart(ctx context.Context, key string) (string, error) {
	p.creates++
	return "up" + strconv.Itoa(p.creates), nil
}

func (p *presignStore) PresignPart(ctx context.Context, key, uid string, n int, ttl time.Duration) (string, error) {
	return "mem:" + uid + "/" + strconv.Itoa(n), nil
}

// put stores a part at its presigned URL and returns its ETag.
func (p *presignStore) put(url string, b []byte) string {
	p.parts[strings.TrimPrefix(url, "mem:")] = b
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func (p *presignStore) CompleteMultipart(ctx context.Context, key, uid string, parts []hub.LFSPart) error {
	var all []byte
	for _, part := range parts {
		b, ok := p.parts[uid+"/"+strconv.Itoa(part.PartNumber)]
		if sum := md5.Sum(b); !ok || `"`+hex.EncodeToString(sum[:])+`"` != part.ETag {
			return hub.Errorf(hub.ErrInvalid, "part %d", part.PartNumber)
		}
		all = append(all, b...)
	}
	_, err := p.Put(ctx, key, bytes.NewReader(all))
	return err
}

func (p *presignStore) AbortMultipart(ctx context.Context, key, uid string) error { return nil }

// TestLFSPresignedResume resumes a presigned (S3) multipart upload: the
// new batch answer signs part URLs for the same store upload instead of
// starting another, and the completion joins old and new parts.
func TestLFSPresignedResume(t *testing.T) {
	e := newEnv(t)
	ps := &presignStore{MemBlobStore: e.blobs, parts: map[string][]byte{}}
	e.svc.Blobs = ps
	id := e.newRepo(t, "m")
	data, oid := bigObject(2*hub.LFSChunkSize + 5) // 3 parts
	obj := hub.LFSObject{OID: oid, Size: int64(len(data))}
	first := e.batch(t, id, "upload", []string{"multipart"}, obj).Objects[0].Actions["upload"]
	etags := map[int]string{1: ps.put(first.Header["1"], partOf(data, hub.LFSChunkSize, 1))}

	e.now = e.now.Add(hub.LFSUploadTTL + time.Hour)
	obj.Resume = first.Href
	again := e.batch(t, id, "upload", []string{"multipart"}, obj).Objects[0].Actions["upload"]
	if ps.creates != 1 || again.Header[hub.LFSResumedHeader] != "true" || again.Header["2"] != "mem:up1/2" {
		t.Fatalf("resumed presigned action: %d uploads created, header %v", ps.creates, again.Header)
	}
	for n := 2; n <= 3; n++ {
		etags[n] = ps.put(again.Header[strconv.Itoa(n)], partOf(data, hub.LFSChunkSize, n))
	}
	if err := e.svc.CompleteLFSMultipart(ctx, tokenOf(t, again.Href, "/api/lfs/complete/"), oid, partList(etags, 3)); err != nil {
		t.Fatalf("complete a resumed presigned upload: %v", err)
	}
	e.commit(t, id, "big", hub.Op{Kind: hub.OpLFSFile, Path: "big.bin", OID: oid, Size: obj.Size})
	if got := e.read(t, e.rev(t, id, "main"), "big.bin", false); got != string(data) {
		t.Fatal("resumed presigned upload stored different content")
	}
}

// TestLFSResumeAcrossStores: an upload begun on a store that takes
// presigned parts cannot continue on one that does not, nor the other way
// round (the store was reconfigured): both start afresh.
func TestLFSResumeAcrossStores(t *testing.T) {
	e := newEnv(t)
	ps := &presignStore{MemBlobStore: e.blobs, parts: map[string][]byte{}}
	id := e.newRepo(t, "m")
	_, oid := bigObject(hub.LFSMultipartThreshold)
	obj := hub.LFSObject{OID: oid, Size: hub.LFSMultipartThreshold}
	upload := func(blobs hub.BlobStore, resume string) hub.LFSAction {
		e.svc.Blobs = blobs
		o := obj
		o.Resume = resume
		return e.batch(t, id, "upload", []string{"multipart"}, o).Objects[0].Actions["upload"]
	}
	local := upload(e.blobs, "")
	presigned := upload(ps, local.Href)
	if presigned.Header[hub.LFSResumedHeader] != "" || ps.creates != 1 || presigned.Header["1"] != "mem:up1/1" {
		t.Fatalf("a local upload resumed on the presigning store: %v", presigned.Header)
	}
	back := upload(e.blobs, presigned.Href)
	if back.Header[hub.LFSResumedHeader] != "" || !strings.HasPrefix(back.Header["1"], base+"/api/lfs/part/") {
		t.Fatalf("a presigned upload resumed on the local store: %v", back.Header)
	}
	if again := upload(ps, presigned.Href); again.Header[hub.LFSResumedHeader] != "true" || ps.creates != 1 {
		t.Fatalf("control: the presigned upload does not resume on its store: %v", again.Header)
	}
}
