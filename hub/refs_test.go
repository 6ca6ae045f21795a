package hub_test

import (
	"strings"
	"testing"

	"quarry/hub"
)

func TestBranchesAndTags(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	c1 := e.commit(t, id, "one", addFile("a.txt", "1"))
	if err := e.svc.CreateBranch(ctx, e.alice, id, "feature/x", "", false); err != nil {
		t.Fatal(err)
	}
	err := e.svc.CreateBranch(ctx, e.alice, id, "feature/x", "", false)
	wantKind(t, err, hub.ErrConflict)
	if !strings.Contains(hub.ErrorMessage(err), "refs/heads/feature/x already exists") {
		t.Fatalf("409 message %q", hub.ErrorMessage(err))
	}
	wantKind(t, e.svc.CreateBranch(ctx, e.alice, id, "refs/heads/y", "", false), hub.ErrInvalid)
	wantKind(t, e.svc.CreateBranch(ctx, e.alice, id, "y", "nope", false), hub.ErrNotFound)
	wantKind(t, e.svc.CreateBranch(ctx, e.bob, id, "y", "", false), hub.ErrForbidden)
	if err := e.svc.CreateBranch(ctx, e.alice, id, "empty", "", true); err != nil {
		t.Fatal(err)
	}
	if got := e.paths(t, e.rev(t, id, "empty")); len(got) != 0 {
		t.Fatalf("empty branch has files %v", got)
	}

	c2 := e.commit(t, id, "two", addFile("a.txt", "2"))
	if err := e.svc.CreateTag(ctx, e.alice, id, c1.ID, "v1", "first"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, e.svc.CreateTag(ctx, e.alice, id, "main", "v1", ""), hub.ErrConflict)
	wantKind(t, e.svc.CreateTag(ctx, e.alice, id, "nope", "v2", ""), hub.ErrNotFound)
	// A branch may share a tag's name; the branch wins when resolving.
	if err := e.svc.CreateBranch(ctx, e.alice, id, "v1", "main", false); err != nil {
		t.Fatalf("branch named like a tag: %v", err)
	}

	for rev, want := range map[string]string{
		"": c2.ID, "HEAD": c2.ID, "main": c2.ID, "refs/heads/main": c2.ID, "feature/x": c1.ID,
		"refs/tags/v1": c1.ID, "v1": c2.ID, c1.ID: c1.ID, strings.ToUpper(c1.ID): c1.ID,
	} {
		if got := e.rev(t, id, rev).Commit; got != want {
			t.Fatalf("resolve %q = %s, want %s", rev, got, want)
		}
	}
	if r := e.rev(t, id, c1.ID); r.Ref != "" {
		t.Fatalf("sha revision has ref %q", r.Ref)
	}
	for _, bad := range []string{"nope", "refs/heads/nope", strings.Repeat("a", 40), c1.ID[:12]} {
		_, err := e.svc.ResolveRevision(ctx, e.alice, id, bad)
		wantCode(t, err, "RevisionNotFound")
	}

	refs, err := e.svc.ListRefs(ctx, e.rev(t, id, "main").Repo)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range refs {
		names = append(names, r.Name)
	}
	if got, want := strings.Join(names, " "), "refs/heads/empty refs/heads/feature/x refs/heads/main refs/heads/v1 refs/tags/v1"; got != want {
		t.Fatalf("refs %q, want %q", got, want)
	}

	wantKind(t, e.svc.DeleteBranch(ctx, e.alice, id, "main"), hub.ErrForbidden)
	err = e.svc.DeleteBranch(ctx, e.alice, id, "nope")
	wantCode(t, err, "RevisionNotFound")
	if err := e.svc.DeleteBranch(ctx, e.alice, id, "feature/x"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteTag(ctx, e.alice, id, "v1"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.DeleteTag(ctx, e.alice, id, "v1"), "RevisionNotFound")
	_, err = e.svc.ResolveRevision(ctx, e.alice, id, "refs/tags/v1")
	wantCode(t, err, "RevisionNotFound")
}

func TestResolveRevisionPath(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	c1 := e.commit(t, id, "one", addFile("dir/a.txt", "1"))
	if err := e.svc.CreateBranch(ctx, e.alice, id, "feat/deep/x", "", false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CreateBranch(ctx, e.alice, id, "feat", "", true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, ref, path string }{
		{"main", "refs/heads/main", ""},
		{"main/dir/a.txt", "refs/heads/main", "dir/a.txt"},
		{"feat/deep/x/dir/a.txt", "refs/heads/feat/deep/x", "dir/a.txt"},
		{"feat/dir", "refs/heads/feat", "dir"},
		{"refs/heads/feat/deep/x/dir", "refs/heads/feat/deep/x", "dir"},
		{c1.ID + "/dir", "", "dir"},
	} {
		rev, path, err := e.svc.ResolveRevisionPath(ctx, e.alice, id, tc.in)
		if err != nil || rev.Ref != tc.ref || path != tc.path {
			t.Fatalf("ResolveRevisionPath(%q) = %+v %q %v; want %s %q", tc.in, rev, path, err, tc.ref, tc.path)
		}
	}
	_, _, err := e.svc.ResolveRevisionPath(ctx, e.alice, id, "nope/dir")
	wantCode(t, err, "RevisionNotFound")
}

func TestShaOfAnotherRepoIsNotResolvable(t *testing.T) {
	e := newEnv(t)
	secret := modelID("secret")
	if _, err := e.svc.CreateRepo(ctx, e.alice, hub.CreateRepoInput{ID: secret, Private: true}); err != nil {
		t.Fatal(err)
	}
	c := e.commit(t, secret, "secret", addFile("key.txt", "s3cr3t"))
	bobRepo := hub.RepoID{Type: hub.Model, Namespace: "bob", Name: "pub"}
	if _, err := e.svc.CreateRepo(ctx, e.bob, hub.CreateRepoInput{ID: bobRepo}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.ResolveRevision(ctx, e.bob, bobRepo, c.ID)
	wantCode(t, err, "RevisionNotFound")
}
