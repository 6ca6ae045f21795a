package hub_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
)

const base = "https://hub.example"

// tokenOf extracts the signed token from an href under base+prefix.
func tokenOf(t *testing.T, href, prefix string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(href, base+prefix)
	if !ok {
		t.Fatalf("href %q lacks prefix %q", href, base+prefix)
	}
	return tok
}

func (e *env) batch(t *testing.T, id hub.RepoID, op string, transfers []string, objs ...hub.LFSObject) *hub.LFSBatchResponse {
	t.Helper()
	resp, err := e.svc.LFSBatch(ctx, e.alice, id, base, hub.LFSBatchRequest{Operation: op, Transfers: transfers, Objects: objs})
	if err != nil {
		t.Fatalf("LFSBatch: %v", err)
	}
	return resp
}

func TestLFSBasicUploadAndCommit(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	data := []byte("pretend these are weights")
	oid := sha256hex(data)
	resp := e.batch(t, id, "upload", []string{"basic", "multipart"}, hub.LFSObject{OID: oid, Size: int64(len(data))})
	if resp.Transfer != "basic" || len(resp.Objects) != 1 || !resp.Objects[0].Authenticated {
		t.Fatalf("batch response %+v", resp)
	}
	up := resp.Objects[0].Actions["upload"]
	if up.ExpiresIn != 3600 {
		t.Fatalf("expires_in %d", up.ExpiresIn)
	}
	tok := tokenOf(t, up.Href, "/api/lfs/upload/")

	// Wrong bytes (same length, then different length): rejected, nothing recorded, temp deleted.
	keys := len(e.blobs.Keys())
	for _, bad := range [][]byte{bytes.ToUpper(data), append(data, 'x'), data[:3]} {
		err := e.svc.PutLFSObject(ctx, tok, bytes.NewReader(bad))
		wantKind(t, err, hub.ErrInvalid)
	}
	if got := len(e.blobs.Keys()); got != keys {
		t.Fatalf("failed uploads left %d keys: %v", got-keys, e.blobs.Keys())
	}
	_, err := e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: "w", Ops: []hub.Op{{Kind: hub.OpLFSFile, Path: "w.bin", OID: oid}}})
	wantKind(t, err, hub.ErrInvalid)

	// Tampered and wrong-kind tokens are refused.
	wantKind(t, e.svc.PutLFSObject(ctx, tok[:len(tok)-2]+"AA", bytes.NewReader(data)), hub.ErrForbidden)
	_, err = e.svc.PutLFSPart(ctx, tok, 1, bytes.NewReader(data))
	wantKind(t, err, hub.ErrForbidden)

	if err := e.svc.PutLFSObject(ctx, tok, bytes.NewReader(data)); err != nil {
		t.Fatalf("PutLFSObject: %v", err)
	}
	for _, k := range e.blobs.Keys() {
		if strings.HasPrefix(k, "uploads/") {
			t.Fatalf("temporary key %s left behind", k)
		}
	}
	// Now held: the batch asks for nothing.
	again := e.batch(t, id, "upload", []string{"basic"}, hub.LFSObject{OID: oid, Size: int64(len(data))})
	if again.Objects[0].Actions != nil || again.Objects[0].Error != nil {
		t.Fatalf("second batch %+v", again.Objects[0])
	}

	e.commit(t, id, "weights", hub.Op{Kind: hub.OpLFSFile, Path: "w.bin", OID: oid})
	e.commit(t, id, "copy", hub.Op{Kind: hub.OpLFSFile, Path: "copy/w2.bin", OldPath: "w.bin"})
	rev := e.rev(t, id, "main")
	if got := e.paths(t, rev); !contains(got, "copy/w2.bin") || contains(got, "w.bin") {
		t.Fatalf("after move: %v", got)
	}
	f, err := e.svc.Stat(ctx, rev, "copy/w2.bin", false)
	if err != nil {
		t.Fatal(err)
	}
	if f.ETag != oid || f.Size != int64(len(data)) || f.Offset != 0 || f.Entry.LFS == nil || f.Entry.Size != f.Size {
		t.Fatalf("LFS Stat = %+v", f)
	}
	if got := e.read(t, rev, "copy/w2.bin", false); got != string(data) {
		t.Fatalf("LFS content %q", got)
	}
	ptr := e.read(t, rev, "copy/w2.bin", true)
	want := "version https://git-lfs.github.com/spec/v1\noid sha256:" + oid + "\nsize " + strconv.Itoa(len(data)) + "\n"
	if ptr != want {
		t.Fatalf("raw pointer %q", ptr)
	}
	raw, _ := e.svc.Stat(ctx, rev, "copy/w2.bin", true)
	if raw.ETag != f.Entry.OID || raw.Size != int64(len(want)) || f.Entry.LFS.PointerSize != raw.Size {
		t.Fatalf("raw Stat %+v vs %+v", raw, f.Entry)
	}

	// Download: signed href for held objects, 404 for others.
	missing := sha256hex([]byte("nope"))
	dl := e.batch(t, id, "download", nil, hub.LFSObject{OID: oid, Size: int64(len(data))}, hub.LFSObject{OID: missing, Size: 4})
	if dl.Objects[1].Error == nil || dl.Objects[1].Error.Code != 404 {
		t.Fatalf("missing download %+v", dl.Objects[1])
	}
	dtok := tokenOf(t, dl.Objects[0].Actions["download"].Href, "/api/lfs/download/")
	df, err := e.svc.OpenLFSDownload(ctx, dtok)
	if err != nil || df.Size != int64(len(data)) || df.ETag != oid || df.Entry.OID != f.Entry.OID {
		t.Fatalf("OpenLFSDownload = %+v, %v", df, err)
	}
	_, err = e.svc.OpenLFSDownload(ctx, tok)
	wantKind(t, err, hub.ErrForbidden)

	// Another repo must upload the bytes itself before committing the oid.
	other := e.newRepo(t, "other")
	_, err = e.svc.Commit(ctx, e.alice, other, hub.CommitInput{Summary: "steal", Ops: []hub.Op{{Kind: hub.OpLFSFile, Path: "w.bin", OID: oid}}})
	wantKind(t, err, hub.ErrInvalid)
	if !strings.Contains(hub.ErrorMessage(err), "w.bin") {
		t.Fatalf("message %q does not name the path", hub.ErrorMessage(err))
	}
	if o := e.batch(t, other, "upload", nil, hub.LFSObject{OID: oid, Size: int64(len(data))}).Objects[0]; o.Actions == nil {
		t.Fatal("another repo got no upload action for an object it does not hold")
	}
}

func TestLFSTokenExpiry(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	data := []byte("x")
	resp := e.batch(t, id, "upload", nil, hub.LFSObject{OID: sha256hex(data), Size: 1})
	tok := tokenOf(t, resp.Objects[0].Actions["upload"].Href, "/api/lfs/upload/")
	e.now = e.now.Add(hub.LFSUploadTTL + time.Second)
	wantKind(t, e.svc.PutLFSObject(ctx, tok, bytes.NewReader(data)), hub.ErrForbidden)
}

func TestLFSBatchErrors(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	_, err := e.svc.LFSBatch(ctx, e.alice, id, base, hub.LFSBatchRequest{Operation: "verify"})
	wantKind(t, err, hub.ErrInvalid)
	_, err = e.svc.LFSBatch(ctx, e.bob, id, base, hub.LFSBatchRequest{Operation: "upload"})
	wantKind(t, err, hub.ErrForbidden)
	if _, err := e.svc.LFSBatch(ctx, e.bob, id, base, hub.LFSBatchRequest{Operation: "download"}); err != nil {
		t.Fatalf("public download batch: %v", err)
	}
	resp := e.batch(t, id, "upload", nil, hub.LFSObject{OID: "XYZ", Size: 1})
	if resp.Objects[0].Error == nil || resp.Objects[0].Error.Code != 422 {
		t.Fatalf("invalid oid: %+v", resp.Objects[0])
	}
}

func TestLFSMultipart(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	size := hub.LFSMultipartThreshold + 3*1024*1024 // 35 MiB: 5 parts, the last 3 MiB
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	oid := sha256hex(data)
	resp := e.batch(t, id, "upload", []string{"basic", "multipart"}, hub.LFSObject{OID: oid, Size: int64(size)})
	act := resp.Objects[0].Actions["upload"]
	if resp.Transfer != "multipart" || act.Header["chunk_size"] != "8388608" || len(act.Header) != 6 {
		t.Fatalf("multipart action: transfer %s, header %v", resp.Transfer, act.Header)
	}
	tok := tokenOf(t, act.Href, "/api/lfs/complete/")
	_, err := e.svc.PutLFSPart(ctx, tok, 5, bytes.NewReader(data[:10]))
	wantKind(t, err, hub.ErrInvalid)
	var parts []hub.LFSPart
	for n := 1; n <= 5; n++ {
		ptok := tokenOf(t, act.Header[strconv.Itoa(n)], "/api/lfs/part/")
		ptok, ok := strings.CutSuffix(ptok, "/"+strconv.Itoa(n))
		if !ok || ptok != tok {
			t.Fatalf("part %d URL %q", n, act.Header[strconv.Itoa(n)])
		}
		lo, hi := (n-1)*hub.LFSChunkSize, min(n*hub.LFSChunkSize, size)
		etag, err := e.svc.PutLFSPart(ctx, tok, n, bytes.NewReader(data[lo:hi]))
		if err != nil || !strings.HasPrefix(etag, `"`) {
			t.Fatalf("PutLFSPart %d = %q, %v", n, etag, err)
		}
		parts = append(parts, hub.LFSPart{PartNumber: n, ETag: etag})
	}
	_, err = e.svc.PutLFSPart(ctx, tok, 6, bytes.NewReader(nil))
	wantKind(t, err, hub.ErrInvalid)

	swapped := append([]hub.LFSPart{parts[1], parts[0]}, parts[2:]...)
	wantKind(t, e.svc.CompleteLFSMultipart(ctx, tok, oid, swapped), hub.ErrInvalid)
	wantKind(t, e.svc.CompleteLFSMultipart(ctx, tok, oid, parts[:4]), hub.ErrInvalid)
	badTag := append([]hub.LFSPart{}, parts...)
	badTag[2].ETag = `"00"`
	wantKind(t, e.svc.CompleteLFSMultipart(ctx, tok, oid, badTag), hub.ErrInvalid)
	if _, err := e.svc.LFSBatch(ctx, e.alice, id, base, hub.LFSBatchRequest{Operation: "download",
		Objects: []hub.LFSObject{{OID: oid, Size: int64(size)}}}); err != nil {
		t.Fatal(err)
	}

	if err := e.svc.CompleteLFSMultipart(ctx, tok, oid, parts); err != nil {
		t.Fatalf("CompleteLFSMultipart: %v", err)
	}
	for _, k := range e.blobs.Keys() {
		if strings.HasPrefix(k, "uploads/") {
			t.Fatalf("upload key %s left behind", k)
		}
	}
	e.commit(t, id, "big", hub.Op{Kind: hub.OpLFSFile, Path: "big.safetensors", OID: oid, Size: int64(size)})
	if got := e.read(t, e.rev(t, id, "main"), "big.safetensors", false); got != string(data) {
		t.Fatal("multipart content differs")
	}
	// Small objects stay basic even when multipart is offered.
	small := e.batch(t, id, "upload", []string{"multipart"}, hub.LFSObject{OID: sha256hex([]byte("s")), Size: 1})
	if small.Transfer != "basic" || small.Objects[0].Actions["upload"].Header != nil {
		t.Fatalf("small object: %+v", small)
	}
	// The parts are gone once completed: completing again finds none.
	wantKind(t, e.svc.CompleteLFSMultipart(ctx, tok, oid, parts), hub.ErrInvalid)
}

// moverStore is a memory store with the optional Move capability.
type moverStore struct {
	*hubtest.MemBlobStore
	moves []string
}

func (m *moverStore) Move(ctx context.Context, from, to string) error {
	rc, err := m.Open(ctx, from, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := m.Put(ctx, to, rc); err != nil {
		return err
	}
	m.moves = append(m.moves, from+" -> "+to)
	return m.Delete(ctx, from)
}

func TestLFSUploadUsesMover(t *testing.T) {
	e := newEnv(t)
	ms := &moverStore{MemBlobStore: e.blobs}
	e.svc.Blobs = ms
	id := e.newRepo(t, "m")
	data := []byte("moved")
	oid := sha256hex(data)
	resp := e.batch(t, id, "upload", nil, hub.LFSObject{OID: oid, Size: int64(len(data))})
	if err := e.svc.PutLFSObject(ctx, tokenOf(t, resp.Objects[0].Actions["upload"].Href, "/api/lfs/upload/"), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if len(ms.moves) != 1 || !strings.HasSuffix(ms.moves[0], " -> lfs/"+oid[:2]+"/"+oid) {
		t.Fatalf("moves %v", ms.moves)
	}
}
