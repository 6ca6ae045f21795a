package hub_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"quarry/hub"
)

func TestStoreLFSThenCommit(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "direct")
	data := bytes.Repeat([]byte("weights "), 5000)
	obj, err := e.svc.StoreLFS(ctx, e.alice, id, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("StoreLFS: %v", err)
	}
	if got, want := obj, (hub.LFSObject{OID: sha256hex(data), Size: int64(len(data))}); got != want {
		t.Fatalf("StoreLFS = %+v, want %+v", got, want)
	}
	e.commit(t, id, "add model", hub.Op{Kind: hub.OpLFSFile, Path: "onnx/model.onnx", OID: obj.OID, Size: obj.Size})
	rev := e.rev(t, id, "main")
	if got := e.read(t, rev, "onnx/model.onnx", false); got != string(data) {
		t.Fatalf("served %d bytes, want the %d stored", len(got), len(data))
	}
	f, err := e.svc.Stat(ctx, rev, "onnx/model.onnx", true)
	if err != nil {
		t.Fatal(err)
	}
	if f.Entry.LFS == nil || f.Entry.LFS.OID != obj.OID || f.Entry.LFS.Size != obj.Size {
		t.Fatalf("entry LFS = %+v, want oid %s size %d", f.Entry.LFS, obj.OID, obj.Size)
	}
	for _, k := range e.blobs.Keys() {
		if strings.HasPrefix(k, "uploads/") {
			t.Fatalf("temporary key %s left behind", k)
		}
	}
}

func TestStoreLFSTwiceAndAcrossRepos(t *testing.T) {
	e := newEnv(t)
	a, b := e.newRepo(t, "a"), e.newRepo(t, "b")
	data := []byte("same content in two repos")
	for _, id := range []hub.RepoID{a, a, b} {
		obj, err := e.svc.StoreLFS(ctx, e.alice, id, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("StoreLFS %s: %v", id, err)
		}
		if obj.OID != sha256hex(data) {
			t.Fatalf("oid %s", obj.OID)
		}
		e.commit(t, id, "add", hub.Op{Kind: hub.OpLFSFile, Path: "x.bin", OID: obj.OID})
	}
	// The object is held by b now, so a batch download there finds it.
	resp := e.batch(t, b, "download", nil, hub.LFSObject{OID: sha256hex(data), Size: int64(len(data))})
	if o := resp.Objects[0]; o.Error != nil || o.Actions["download"].Href == "" {
		t.Fatalf("download batch in b: %+v", o)
	}
}

func TestStoreLFSNeedsWriteAccess(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "guarded")
	for _, tc := range []struct {
		name   string
		caller *hub.Caller
		kind   error
	}{
		{"other user", e.bob, hub.ErrForbidden},
		{"anonymous", e.anon, hub.ErrUnauthorized},
		{"read token", &hub.Caller{User: e.alice.User, Token: &hub.Token{Role: hub.RoleRead}}, hub.ErrForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.StoreLFS(ctx, tc.caller, id, strings.NewReader("x"))
			wantKind(t, err, tc.kind)
		})
	}
	_, err := e.svc.StoreLFS(ctx, e.alice, modelID("missing"), strings.NewReader("x"))
	wantKind(t, err, hub.ErrNotFound)
	for _, k := range e.blobs.Keys() {
		if strings.HasPrefix(k, "uploads/") || strings.HasPrefix(k, "lfs/") {
			t.Fatalf("refused store left key %s", k)
		}
	}
}

// brokenReader yields some bytes, then fails.
type brokenReader struct{ n int }

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

func TestStoreLFSReaderFailure(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "broken")
	_, err := e.svc.StoreLFS(ctx, e.alice, id, &brokenReader{n: 1000})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v, want the reader's error", err)
	}
	for _, k := range e.blobs.Keys() {
		if strings.HasPrefix(k, "uploads/") || strings.HasPrefix(k, "lfs/") {
			t.Fatalf("failed store left key %s", k)
		}
	}
	// Nothing was recorded: committing a pointer to some oid fails.
	h := sha256hex(bytes.Repeat([]byte{0}, 1000))
	_, err = e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: "x",
		Ops: []hub.Op{{Kind: hub.OpLFSFile, Path: "x.bin", OID: h}}})
	wantKind(t, err, hub.ErrInvalid)
}
