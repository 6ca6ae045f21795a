package hub_test

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"quarry/hub"
)

// TestHistoryPassesGitFsck exports every stored object into a bare
// repository as loose objects and lets the real git check and read them.
func TestHistoryPassesGitFsck(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	data := []byte("lfs bytes")
	oid := sha256hex(data)
	resp := e.batch(t, id, "upload", nil, hub.LFSObject{OID: oid, Size: int64(len(data))})
	if err := e.svc.PutLFSObject(ctx, tokenOf(t, resp.Objects[0].Actions["upload"].Href, "/api/lfs/upload/"), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	e.commit(t, id, "add", addFile("a-b", "1"), addFile("a.txt", "2"), addFile("a/x", "3"), addFile("a0", "4"),
		hub.Op{Kind: hub.OpLFSFile, Path: "w/model.bin", OID: oid})
	e.commit(t, id, "edit", addFile("a/y/z.txt", "5"), hub.Op{Kind: hub.OpDeleteFile, Path: "a0"})
	rev := e.rev(t, id, "main")

	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	git("init", "-q", "--bare")
	for _, key := range e.blobs.Keys() {
		if strings.HasPrefix(key, "objects/") {
			writeLoose(t, e, dir, key)
		}
	}
	git("update-ref", "refs/heads/main", rev.Commit)
	git("fsck", "--full", "--strict", "--no-dangling")

	var want []string
	entries, err := e.svc.Tree(ctx, rev, "", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Type == hub.EntryFile {
			want = append(want, en.OID+"\t"+en.Path)
		}
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(git("ls-tree", "-r", "main")), "\n") {
		fields := strings.Fields(line) // mode type id\tpath
		got = append(got, fields[2]+"\t"+line[strings.IndexByte(line, '\t')+1:])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("git ls-tree:\n%s\nours:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := git("log", "--format=%s|%an", "main"); got != "edit|alice\nadd|alice\ninitial commit|alice\n" {
		t.Fatalf("git log:\n%s", got)
	}
	if got := git("cat-file", "-p", "main:w/model.bin"); !strings.Contains(got, "oid sha256:"+oid) {
		t.Fatalf("pointer in git: %q", got)
	}
}

// writeLoose writes one stored object as a zlib-compressed loose object.
func writeLoose(t *testing.T, e *env, dir, key string) {
	t.Helper()
	rc, err := e.blobs.Open(ctx, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	path := filepath.Join(dir, key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o444); err != nil {
		t.Fatal(err)
	}
}
