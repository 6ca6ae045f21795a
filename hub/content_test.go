package hub_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/hub"
)

func TestTreePathsInfoStat(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	e.commit(t, id, "files", addFile("README.md", "hello"), addFile("src/a.txt", "aaa"), addFile("src/sub/b.txt", "b"), addFile("src.txt", "s"))
	rev := e.rev(t, id, "main")

	top, err := e.svc.Tree(ctx, rev, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := entryPaths(top), []string{".gitattributes", "README.md", "src", "src.txt"}; !cmp.Equal(got, want) {
		t.Fatalf("root listing %v, want %v", got, want)
	}
	src, err := e.svc.Tree(ctx, rev, "src/", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := entryPaths(src), []string{"src/a.txt", "src/sub"}; !cmp.Equal(got, want) {
		t.Fatalf("src listing %v, want %v", got, want)
	}
	if src[1].Type != hub.EntryDirectory || src[1].Size != 0 || len(src[1].OID) != 40 {
		t.Fatalf("dir entry %+v", src[1])
	}
	if src[0].Size != 3 || src[0].LFS != nil {
		t.Fatalf("file entry %+v", src[0])
	}
	for _, p := range []string{"nope", "README.md", "src/../x"} {
		_, err := e.svc.Tree(ctx, rev, p, false)
		wantCode(t, err, "EntryNotFound")
	}

	infos, err := e.svc.PathsInfo(ctx, rev, []string{"README.md", "missing", "src/sub", "../bad"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := entryPaths(infos), []string{"README.md", "src/sub"}; !cmp.Equal(got, want) {
		t.Fatalf("paths-info %v, want %v", got, want)
	}

	f, err := e.svc.Stat(ctx, rev, "README.md", false)
	if err != nil {
		t.Fatal(err)
	}
	if f.ETag != infos[0].OID || f.Size != 5 || f.Commit != rev.Commit || f.Offset != int64(len("blob 5\x00")) {
		t.Fatalf("Stat = %+v", f)
	}
	for _, tc := range []struct {
		off, n int64
		want   string
	}{{0, -1, "hello"}, {1, 3, "ell"}, {3, 100, "lo"}, {5, -1, ""}} {
		rc, err := e.svc.OpenFile(ctx, f, tc.off, tc.n)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != tc.want {
			t.Fatalf("OpenFile(%d,%d) = %q, want %q", tc.off, tc.n, b, tc.want)
		}
	}
	_, err = e.svc.OpenFile(ctx, f, 6, -1)
	wantKind(t, err, hub.ErrRange)
	for _, p := range []string{"src", "nope.txt", "src/a.txt/x", ""} {
		_, err := e.svc.Stat(ctx, rev, p, false)
		wantCode(t, err, "EntryNotFound")
	}
}

func entryPaths(entries []hub.Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Path)
	}
	return out
}

func TestLastCommit(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	c1 := e.commit(t, id, "one", addFile("a.txt", "a"), addFile("d/x.txt", "x"))
	c2 := e.commit(t, id, "two", addFile("b.txt", "b"))
	c3 := e.commit(t, id, "three", addFile("d/x.txt", "x2"))
	e.commit(t, id, "four", addFile("a.txt", "a")) // same content: changes nothing
	rev := e.rev(t, id, "main")
	for path, want := range map[string]string{"a.txt": c1.ID, "b.txt": c2.ID, "d/x.txt": c3.ID, "d": c3.ID} {
		got, err := e.svc.LastCommit(ctx, rev, path)
		if err != nil || got.ID != want {
			t.Fatalf("LastCommit(%s) = %v, %v; want %s", path, got, err, want)
		}
	}
	first := e.rev(t, id, c1.ID)
	if got, err := e.svc.LastCommit(ctx, first, ".gitattributes"); err != nil || len(got.Parents) != 0 || got.Title != "initial commit" {
		t.Fatalf("LastCommit(.gitattributes) = %+v, %v", got, err)
	}
	_, err := e.svc.LastCommit(ctx, rev, "missing")
	wantCode(t, err, "EntryNotFound")
}

func TestListCommitsPaging(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	for i := range 5 {
		e.commit(t, id, "c"+string(rune('0'+i)), addFile("f", string(rune('0'+i))))
	}
	rev := e.rev(t, id, "main")
	page, total, err := e.svc.ListCommits(ctx, rev, 2, 2)
	if err != nil || total != 6 || len(page) != 2 || page[0].Title != "c2" || page[1].Title != "c1" {
		t.Fatalf("page = %+v, total %d, err %v", page, total, err)
	}
	page, total, _ = e.svc.ListCommits(ctx, rev, 5, 10)
	if len(page) != 1 || page[0].Title != "initial commit" || total != 6 {
		t.Fatalf("last page = %+v total %d", page, total)
	}
	page, _, _ = e.svc.ListCommits(ctx, rev, 10, 10)
	if len(page) != 0 {
		t.Fatalf("page past the end has %d commits", len(page))
	}
	older := e.rev(t, id, page0ID(t, e, rev, 3))
	if _, total, _ := e.svc.ListCommits(ctx, older, 0, 1); total != 3 {
		t.Fatalf("total from an older commit = %d, want 3", total)
	}
}

func page0ID(t *testing.T, e *env, rev *hub.Revision, offset int) string {
	t.Helper()
	page, _, err := e.svc.ListCommits(ctx, rev, offset, 1)
	if err != nil {
		t.Fatal(err)
	}
	return page[0].ID
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
