package hub_test

import (
	"strings"
	"testing"

	"quarry/hub"
)

func TestPreupload(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	data := []byte("weights")
	oid := sha256hex(data)
	resp := e.batch(t, id, "upload", nil, hub.LFSObject{OID: oid, Size: int64(len(data))})
	if err := e.svc.PutLFSObject(ctx, tokenOf(t, resp.Objects[0].Actions["upload"].Href, "/api/lfs/upload/"), strings.NewReader(string(data))); err != nil {
		t.Fatal(err)
	}
	reg := e.commit(t, id, "files", addFile("notes.txt", "hello"), addFile(".gitignore", "*.log\ncache/\n"),
		hub.Op{Kind: hub.OpLFSFile, Path: "model.bin", OID: oid})
	rev := e.rev(t, id, reg.ID)
	notes, err := e.svc.PathsInfo(ctx, rev, []string{"notes.txt"})
	if err != nil {
		t.Fatal(err)
	}
	files := []hub.PreuploadFile{
		{Path: "notes.txt", Size: 5, Sample: []byte("hello")},
		{Path: "model.bin", Size: 7, Sample: data},
		{Path: "new.safetensors", Size: 7, Sample: data},
		{Path: "debug.log", Size: 3, Sample: []byte("log")},
		{Path: "cache/x.txt", Size: 3, Sample: []byte("abc")},
		{Path: "blob.dat", Size: 3, Sample: []byte{1, 0, 2}},
		{Path: "empty.bin", Size: 0},
	}
	got, err := e.svc.Preupload(ctx, e.alice, id, "main", files, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []hub.PreuploadResult{
		{Path: "notes.txt", UploadMode: "regular", OID: notes[0].OID},
		{Path: "model.bin", UploadMode: "lfs", OID: oid},
		{Path: "new.safetensors", UploadMode: "lfs"},
		{Path: "debug.log", UploadMode: "regular", ShouldIgnore: true},
		{Path: "cache/x.txt", UploadMode: "regular", ShouldIgnore: true},
		{Path: "blob.dat", UploadMode: "lfs"},
		{Path: "empty.bin", UploadMode: "regular"},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("file %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// Attributes and ignore rules given in the request replace the branch's.
	got, err = e.svc.Preupload(ctx, e.alice, id, "main", files[:4], "*.txt filter=lfs diff=lfs merge=lfs -text\n", "notes.txt\n")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].UploadMode != "lfs" || got[0].OID != "" || !got[0].ShouldIgnore || got[1].UploadMode != "regular" || got[1].OID != "" || got[3].ShouldIgnore {
		t.Fatalf("with request rules: %+v", got)
	}
	_, err = e.svc.Preupload(ctx, e.alice, id, "main", []hub.PreuploadFile{{Path: "../x", Size: 1}}, "", "")
	wantKind(t, err, hub.ErrBadPath)
	_, err = e.svc.Preupload(ctx, e.alice, id, "nope", files, "", "")
	wantCode(t, err, "RevisionNotFound")
	_, err = e.svc.Preupload(ctx, e.bob, id, "main", files, "", "")
	wantKind(t, err, hub.ErrForbidden)
}

// TestPreuploadLFSThreshold: a lower Service.LFSThreshold (Lambda's) sends
// text files from that size to LFS; the default keeps them regular up to
// 10 MiB.
func TestPreuploadLFSThreshold(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	files := []hub.PreuploadFile{
		{Path: "small.txt", Size: 500, Sample: []byte("text")},
		{Path: "mid.txt", Size: 2 << 20, Sample: []byte("text")},
		{Path: "big.txt", Size: hub.LFSSizeThreshold, Sample: []byte("text")},
	}
	for _, tc := range []struct {
		threshold int64
		want      []string
	}{
		{0, []string{"regular", "regular", "lfs"}},
		{1 << 20, []string{"regular", "lfs", "lfs"}},
	} {
		e.svc.LFSThreshold = tc.threshold
		got, err := e.svc.Preupload(ctx, e.alice, id, "main", files, "", "")
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			if r.UploadMode != tc.want[i] {
				t.Errorf("threshold %d: %s is %s, want %s", tc.threshold, r.Path, r.UploadMode, tc.want[i])
			}
		}
	}
}
