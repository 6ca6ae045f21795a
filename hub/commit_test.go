package hub_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/hub"
)

func TestCommitScenarios(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	steps := []struct {
		name string
		ops  []hub.Op
		want []string
	}{
		{"add nested", []hub.Op{addFile("README.md", "# hi\n"), addFile("a/b/c.txt", "c"), addFile("a/d.txt", "d")},
			[]string{".gitattributes", "README.md", "a/", "a/b/", "a/b/c.txt", "a/d.txt"}},
		{"overwrite", []hub.Op{addFile("a/d.txt", "d2")},
			[]string{".gitattributes", "README.md", "a/", "a/b/", "a/b/c.txt", "a/d.txt"}},
		{"rename", []hub.Op{{Kind: hub.OpFile, Path: "x/c.txt", OldPath: "a/b/c.txt", Content: []byte("c")}},
			[]string{".gitattributes", "README.md", "a/", "a/d.txt", "x/", "x/c.txt"}},
		{"delete file", []hub.Op{{Kind: hub.OpDeleteFile, Path: "README.md"}},
			[]string{".gitattributes", "a/", "a/d.txt", "x/", "x/c.txt"}},
		{"delete folder (trailing slash)", []hub.Op{{Kind: hub.OpDeleteFolder, Path: "a/"}},
			[]string{".gitattributes", "x/", "x/c.txt"}},
	}
	prev := e.head(t, id)
	for _, st := range steps {
		info := e.commit(t, id, st.name, st.ops...)
		if got, want := info.Parents, []string{prev}; !cmp.Equal(got, want) {
			t.Fatalf("%s: parents %v, want %v", st.name, got, want)
		}
		prev = info.ID
		if got := e.paths(t, e.rev(t, id, "main")); !cmp.Equal(got, st.want) {
			t.Fatalf("%s: tree %v, want %v", st.name, got, st.want)
		}
	}
	rev := e.rev(t, id, "main")
	if got := e.read(t, rev, "x/c.txt", false); got != "c" {
		t.Fatalf("x/c.txt = %q", got)
	}
	commits, total, err := e.svc.ListCommits(ctx, rev, 0, 0)
	if err != nil || total != 6 || len(commits) != 6 {
		t.Fatalf("ListCommits: %d commits, total %d, err %v", len(commits), total, err)
	}
	if commits[0].Title != "delete folder (trailing slash)" || commits[5].Title != "initial commit" || commits[5].Message != "" {
		t.Fatalf("commit titles: first %q, last %q/%q", commits[0].Title, commits[5].Title, commits[5].Message)
	}
	if commits[0].Authors[0] != "alice" || !commits[0].Date.Equal(e.now) {
		t.Fatalf("commit author/date: %v %v", commits[0].Authors, commits[0].Date)
	}
}

func TestCommitMessageAndUnchangedSubtrees(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	e.commit(t, id, "one", addFile("keep/deep/a.txt", "a"), addFile("edit/b.txt", "b"))
	before := treeOIDs(t, e, e.rev(t, id, "main"))
	info, err := e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: "two", Description: "body\nmore",
		Ops: []hub.Op{addFile("edit/b.txt", "b2")}})
	if err != nil {
		t.Fatal(err)
	}
	if info.Title != "two" || info.Message != "body\nmore" {
		t.Fatalf("title %q message %q", info.Title, info.Message)
	}
	after := treeOIDs(t, e, e.rev(t, id, "main"))
	if before["keep"] != after["keep"] || before["keep/deep/a.txt"] != after["keep/deep/a.txt"] {
		t.Fatal("an untouched subtree changed id")
	}
	if before["edit"] == after["edit"] || before["edit/b.txt"] == after["edit/b.txt"] {
		t.Fatal("the edited subtree kept its id")
	}
}

func treeOIDs(t *testing.T, e *env, rev *hub.Revision) map[string]string {
	t.Helper()
	entries, err := e.svc.Tree(ctx, rev, "", true)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, en := range entries {
		m[en.Path] = en.OID
	}
	return m
}

func TestCommitFailuresChangeNothing(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	e.commit(t, id, "base", addFile("a.txt", "a"))
	head := e.head(t, id)
	missingOID := strings.Repeat("0", 64)
	for _, tc := range []struct {
		name string
		in   hub.CommitInput
		kind error
	}{
		{"non-hex parent", hub.CommitInput{ParentCommit: "not-a-sha",
			Ops: []hub.Op{addFile("b.txt", "b")}}, hub.ErrInvalid},
		{"stale parent hex", hub.CommitInput{ParentCommit: strings.Repeat("1", 40),
			Ops: []hub.Op{addFile("b.txt", "b")}}, hub.ErrPrecondition},
		{"missing lfs oid", hub.CommitInput{Ops: []hub.Op{addFile("b.txt", "b"),
			{Kind: hub.OpLFSFile, Path: "w.bin", OID: missingOID, Size: 3}}}, hub.ErrInvalid},
		{"delete missing", hub.CommitInput{Ops: []hub.Op{{Kind: hub.OpDeleteFile, Path: "nope.txt"}}}, hub.ErrNotFound},
		{"delete missing folder", hub.CommitInput{Ops: []hub.Op{{Kind: hub.OpDeleteFolder, Path: "nope"}}}, hub.ErrNotFound},
		{"rename missing", hub.CommitInput{Ops: []hub.Op{{Kind: hub.OpFile, Path: "c", OldPath: "nope", Content: []byte("c")}}}, hub.ErrNotFound},
		{"file over dir", hub.CommitInput{Ops: []hub.Op{addFile("a.txt/x", "x")}}, hub.ErrInvalid},
		{"too large", hub.CommitInput{Ops: []hub.Op{{Kind: hub.OpFile, Path: "big.txt", Content: make([]byte, 10<<20+1)}}}, hub.ErrInvalid},
		{"no summary", hub.CommitInput{Summary: " ", Ops: []hub.Op{addFile("b.txt", "b")}}, hub.ErrInvalid},
		{"missing branch", hub.CommitInput{Branch: "nope", Ops: []hub.Op{addFile("b.txt", "b")}}, hub.ErrNotFound},
	} {
		if tc.in.Summary == "" {
			tc.in.Summary = tc.name
		}
		_, err := e.svc.Commit(ctx, e.alice, id, tc.in)
		wantKind(t, err, tc.kind)
		if got := e.head(t, id); got != head {
			t.Fatalf("%s: head moved to %s", tc.name, got)
		}
	}
	_, err := e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: "s", ParentCommit: strings.Repeat("1", 40), Ops: []hub.Op{addFile("b", "b")}})
	if !strings.Contains(hub.ErrorMessage(err), "The branch was updated since you opened this page") {
		t.Fatalf("stale parent message: %q", hub.ErrorMessage(err))
	}
	_, err = e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: "s", Branch: "nope", Ops: []hub.Op{addFile("b", "b")}})
	wantCode(t, err, "RevisionNotFound")
	// The right parent (full or abbreviated) is accepted.
	if _, err := e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: "ok", ParentCommit: head[:7], Ops: []hub.Op{addFile("b", "b")}}); err != nil {
		t.Fatalf("commit with abbreviated parent: %v", err)
	}
}

func TestCommitBadPathsWriteNothing(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	head, keys := e.head(t, id), len(e.blobs.Keys())
	for _, p := range []string{"", "/abs", "../up", "a/../b", "a//b", "./a", "a\\b", ".git/config", ".git", "d/.git/x", "nul\x00"} {
		ops := []hub.Op{addFile("fine.txt", "new content "+p), addFile(p, "x")}
		_, err := e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: "bad", Ops: ops})
		wantKind(t, err, hub.ErrBadPath)
		if !strings.Contains(hub.ErrorMessage(err), fmt.Sprintf("%q", p)) {
			t.Fatalf("error %q does not name path %q", hub.ErrorMessage(err), p)
		}
		ren := []hub.Op{{Kind: hub.OpFile, Path: "ok.txt", OldPath: p, Content: []byte("x")}}
		if p != "" { // "" OldPath means no rename
			_, err = e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: "bad", Ops: ren})
			wantKind(t, err, hub.ErrBadPath)
		}
	}
	if got := e.head(t, id); got != head {
		t.Fatalf("head moved")
	}
	if got := len(e.blobs.Keys()); got != keys {
		t.Fatalf("bad commits wrote %d objects", got-keys)
	}
}

func TestConcurrentCommitsAllLand(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: fmt.Sprintf("c%d", i),
				Ops: []hub.Op{addFile(fmt.Sprintf("f%d.txt", i), "x"), addFile("shared/log.txt", fmt.Sprint(i))}})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	rev := e.rev(t, id, "main")
	_, total, err := e.svc.ListCommits(ctx, rev, 0, 0)
	if err != nil || total != n+1 {
		t.Fatalf("total commits %d (err %v), want %d", total, err, n+1)
	}
	got := e.paths(t, rev)
	for i := range n {
		if !contains(got, fmt.Sprintf("f%d.txt", i)) {
			t.Fatalf("file of commit %d lost: %v", i, got)
		}
	}
	r, err := e.meta.GetRepo(ctx, id)
	if err != nil || r.Head != rev.Commit {
		t.Fatalf("index head %s, want %s (err %v)", r.Head, rev.Commit, err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestCommitAccess(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	op := []hub.Op{addFile("a", "a")}
	_, err := e.svc.Commit(ctx, e.bob, id, hub.CommitInput{Summary: "s", Ops: op})
	wantKind(t, err, hub.ErrForbidden)
	_, err = e.svc.Commit(ctx, e.anon, id, hub.CommitInput{Summary: "s", Ops: op})
	wantKind(t, err, hub.ErrUnauthorized)
	readOnly := &hub.Caller{User: e.alice.User, Token: &hub.Token{Role: hub.RoleRead}}
	_, err = e.svc.Commit(ctx, readOnly, id, hub.CommitInput{Summary: "s", Ops: op})
	wantKind(t, err, hub.ErrForbidden)
	_, err = e.svc.Commit(ctx, e.alice, modelID("missing"), hub.CommitInput{Summary: "s", Ops: op})
	wantCode(t, err, "RepoNotFound")
}
