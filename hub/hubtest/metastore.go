package hubtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"quarry/hub"
)

// TestMetaStore runs the hub.MetaStore conformance suite. open must return
// an empty store for each call.
func TestMetaStore(t *testing.T, open func(t *testing.T) hub.MetaStore) {
	t.Run("Repos", func(t *testing.T) { testRepos(t, open) })
	t.Run("ListRepos", func(t *testing.T) { testListRepos(t, open) })
	t.Run("Refs", func(t *testing.T) { testRefs(t, open) })
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open(t)) })
	t.Run("LFS", func(t *testing.T) { testLFS(t, open(t)) })
	t.Run("OrgUsers", func(t *testing.T) { testOrgUsers(t, open(t)) })
	t.Run("ScopedTokens", func(t *testing.T) { testScopedTokens(t, open(t)) })
	t.Run("Members", func(t *testing.T) { testMembers(t, open(t)) })
	t.Run("Teams", func(t *testing.T) { testTeams(t, open(t)) })
	t.Run("Grants", func(t *testing.T) { testGrants(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open(t)) })
	t.Run("Jobs", func(t *testing.T) { testJobs(t, open) })
	t.Run("Projects", func(t *testing.T) { testProjects(t, open) })
}

var t0 = time.Date(2024, 3, 1, 12, 30, 45, 123456789, time.UTC)

var equateEmpty = cmpopts.EquateEmpty()

func repoKey(n int) string { return fmt.Sprintf("%024x", n) }

func newRepo(n int, t hub.RepoType, ns, name string) *hub.Repo {
	return &hub.Repo{
		Key:       repoKey(n),
		ID:        hub.RepoID{Type: t, Namespace: ns, Name: name},
		CreatedAt: t0.Add(time.Duration(n) * time.Hour),
		UpdatedAt: t0.Add(time.Duration(n) * time.Minute),
	}
}

func mustCreateRepo(t *testing.T, s hub.MetaStore, r *hub.Repo) {
	t.Helper()
	if err := s.CreateRepo(context.Background(), r); err != nil {
		t.Fatalf("CreateRepo(%s): %v", r.ID, err)
	}
}

func checkKind(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error = %v, want %v", what, err, want)
	}
}

func testRepos(t *testing.T, open func(t *testing.T) hub.MetaStore) {
	t.Run("CreateGet", func(t *testing.T) { testRepoCreateGet(t, open(t)) })
	t.Run("CreateConflict", func(t *testing.T) { testRepoCreateConflict(t, open(t)) })
	t.Run("Update", func(t *testing.T) { testRepoUpdate(t, open(t)) })
	t.Run("Rename", func(t *testing.T) { testRepoRename(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testRepoDelete(t, open(t)) })
}

func testRepoCreateGet(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	paris := time.FixedZone("Paris", 3600)
	r := &hub.Repo{
		Key: repoKey(1), ID: hub.RepoID{Type: hub.Model, Namespace: "Alice", Name: "Bert-Base"},
		Private: true, Gated: "manual", CreatedAt: t0.In(paris), UpdatedAt: t0.Add(time.Hour),
		Head: "0123456789abcdef0123456789abcdef01234567", Tags: []string{"license:mit", "text-classification"},
		PipelineTag: "text-classification", LibraryName: "transformers", Downloads: 42, Likes: 7,
	}
	want := *r
	want.Version = 1
	mustCreateRepo(t, s, r)
	if r.Version != 1 {
		t.Fatalf("CreateRepo set Version = %d, want 1", r.Version)
	}
	for _, id := range []hub.RepoID{r.ID, {Type: hub.Model, Namespace: "alice", Name: "BERT-base"}} {
		got, err := s.GetRepo(ctx, id)
		if err != nil {
			t.Fatalf("GetRepo(%s): %v", id, err)
		}
		if diff := cmp.Diff(&want, got, equateEmpty); diff != "" {
			t.Fatalf("GetRepo(%s) mismatch (-want +got):\n%s", id, diff)
		}
		got.Tags[0] = "changed"
	}
	got, _ := s.GetRepo(ctx, r.ID)
	if got.Tags[0] != "license:mit" {
		t.Fatal("changing a returned repo changed the store")
	}
	for _, id := range []hub.RepoID{
		{Type: hub.Dataset, Namespace: "Alice", Name: "Bert-Base"},
		{Type: hub.Model, Namespace: "Alice", Name: "Bert"},
		{Type: hub.Model, Namespace: "Bob", Name: "Bert-Base"},
	} {
		_, err := s.GetRepo(ctx, id)
		checkKind(t, fmt.Sprintf("GetRepo(%s %s)", id.Type, id), err, hub.ErrRepoNotFound)
	}
}

func testRepoCreateConflict(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	mustCreateRepo(t, s, newRepo(1, hub.Model, "alice", "bert"))
	err := s.CreateRepo(ctx, newRepo(2, hub.Model, "ALICE", "Bert"))
	checkKind(t, "CreateRepo of a taken id", err, hub.ErrConflict)
	err = s.CreateRepo(ctx, newRepo(1, hub.Model, "alice", "other"))
	checkKind(t, "CreateRepo of a taken key", err, hub.ErrConflict)
	mustCreateRepo(t, s, newRepo(3, hub.Dataset, "alice", "bert"))
	mustCreateRepo(t, s, newRepo(4, hub.Model, "bob", "bert"))
	got, err := s.GetRepo(ctx, hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "bert"})
	if err != nil || got.Key != repoKey(1) {
		t.Fatalf("GetRepo after conflicts = %v, %v; want key %s", got, err, repoKey(1))
	}
}

func testRepoUpdate(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	mustCreateRepo(t, s, newRepo(1, hub.Model, "alice", "bert"))
	r, err := s.GetRepo(ctx, hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "bert"})
	if err != nil {
		t.Fatal(err)
	}
	stale := *r
	r.Private, r.Head, r.Tags, r.Downloads = true, "abc", []string{"a", "b"}, 9
	r.UpdatedAt = t0.Add(48 * time.Hour)
	if err := s.UpdateRepo(ctx, r); err != nil {
		t.Fatalf("UpdateRepo: %v", err)
	}
	if r.Version != 2 {
		t.Fatalf("Version after update = %d, want 2", r.Version)
	}
	stale.Downloads = 1000
	checkKind(t, "UpdateRepo with a stale version", s.UpdateRepo(ctx, &stale), hub.ErrPrecondition)
	got, err := s.GetRepo(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got, equateEmpty); diff != "" {
		t.Fatalf("GetRepo after update mismatch (-want +got):\n%s", diff)
	}
	r.Tags = nil
	if err := s.UpdateRepo(ctx, r); err != nil || r.Version != 3 {
		t.Fatalf("second UpdateRepo: %v, version %d", err, r.Version)
	}
	if got, _ := s.GetRepo(ctx, r.ID); len(got.Tags) != 0 {
		t.Fatalf("tags after clearing = %v", got.Tags)
	}
	missing := newRepo(9, hub.Model, "alice", "missing")
	missing.Version = 1
	checkKind(t, "UpdateRepo of a missing repo", s.UpdateRepo(ctx, missing), hub.ErrRepoNotFound)
}

func testRepoRename(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	a, b := newRepo(1, hub.Model, "alice", "bert"), newRepo(2, hub.Model, "bob", "gpt")
	mustCreateRepo(t, s, a)
	mustCreateRepo(t, s, b)
	old := a.ID
	a.ID = hub.RepoID{Type: hub.Model, Namespace: "carol", Name: "Bert2"}
	if err := s.UpdateRepo(ctx, a); err != nil {
		t.Fatalf("rename: %v", err)
	}
	_, err := s.GetRepo(ctx, old)
	checkKind(t, "GetRepo of the old id", err, hub.ErrRepoNotFound)
	if got, err := s.GetRepo(ctx, hub.RepoID{Type: hub.Model, Namespace: "Carol", Name: "bert2"}); err != nil || got.Key != a.Key {
		t.Fatalf("GetRepo of the new id = %v, %v", got, err)
	}
	mustCreateRepo(t, s, newRepo(3, hub.Model, "alice", "bert"))
	a.ID = hub.RepoID{Type: hub.Model, Namespace: "BOB", Name: "GPT"}
	checkKind(t, "rename onto a taken id", s.UpdateRepo(ctx, a), hub.ErrConflict)
	if got, err := s.GetRepo(ctx, b.ID); err != nil || got.Key != b.Key {
		t.Fatalf("GetRepo(%s) after a refused rename = %v, %v", b.ID, got, err)
	}
	a.ID = hub.RepoID{Type: hub.Model, Namespace: "Carol", Name: "BERT2"}
	if err := s.UpdateRepo(ctx, a); err != nil {
		t.Fatalf("changing the case of a repo's own id: %v", err)
	}
	got, err := s.GetRepo(ctx, hub.RepoID{Type: hub.Model, Namespace: "carol", Name: "bert2"})
	if err != nil || got.ID != a.ID {
		t.Fatalf("GetRepo after a case change = %v, %v; want id %v", got, err, a.ID)
	}
}

func testRepoDelete(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	a, b := newRepo(1, hub.Model, "alice", "bert"), newRepo(2, hub.Model, "alice", "gpt")
	a.Tags = []string{"gone"}
	mustCreateRepo(t, s, a)
	mustCreateRepo(t, s, b)
	for _, r := range []*hub.Repo{a, b} {
		if err := s.UpdateRef(ctx, r.Key, "refs/heads/main", "", "c1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteRepo(ctx, a.Key); err != nil {
		t.Fatalf("DeleteRepo: %v", err)
	}
	_, err := s.GetRepo(ctx, a.ID)
	checkKind(t, "GetRepo after delete", err, hub.ErrRepoNotFound)
	_, err = s.GetRef(ctx, a.Key, "refs/heads/main")
	checkKind(t, "GetRef after delete", err, hub.ErrRevisionNotFound)
	if refs, err := s.ListRefs(ctx, a.Key); err != nil || len(refs) != 0 {
		t.Fatalf("ListRefs after delete = %v, %v", refs, err)
	}
	if c, err := s.GetRef(ctx, b.Key, "refs/heads/main"); err != nil || c != "c1" {
		t.Fatalf("other repo's ref after delete = %q, %v", c, err)
	}
	checkKind(t, "second DeleteRepo", s.DeleteRepo(ctx, a.Key), hub.ErrRepoNotFound)
	mustCreateRepo(t, s, newRepo(3, hub.Model, "Alice", "Bert"))
	mustCreateRepo(t, s, newRepo(1, hub.Model, "alice", "reused-key"))
	page, _, err := s.ListRepos(ctx, hub.RepoFilter{Tags: []string{"gone"}, Limit: 10, AllPrivate: true})
	if err != nil || len(page) != 0 {
		t.Fatalf("listing by a deleted repo's tag = %d repos, %v", len(page), err)
	}
}

func cmpDiff(want, got any) string { return cmp.Diff(want, got, equateEmpty) }
