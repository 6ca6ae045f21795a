package hubtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"quarry/hub"
)

func testRefs(t *testing.T, open func(t *testing.T) hub.MetaStore) {
	t.Run("CAS", func(t *testing.T) { testRefCAS(t, open(t)) })
	t.Run("List", func(t *testing.T) { testRefList(t, open(t)) })
	t.Run("Race", func(t *testing.T) { testRefRace(t, open(t)) })
}

func checkRef(t *testing.T, s hub.MetaStore, key, name, want string) {
	t.Helper()
	got, err := s.GetRef(context.Background(), key, name)
	if want == "" {
		checkKind(t, "GetRef of a missing ref", err, hub.ErrRevisionNotFound)
		return
	}
	if err != nil || got != want {
		t.Fatalf("GetRef(%s) = %q, %v; want %q", name, got, err, want)
	}
}

func testRefCAS(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	r := newRepo(1, hub.Model, "alice", "bert")
	mustCreateRepo(t, s, r)
	const main = "refs/heads/main"
	checkRef(t, s, r.Key, main, "")
	checkKind(t, "moving a missing ref", s.UpdateRef(ctx, r.Key, main, "c0", "c1"), hub.ErrPrecondition)
	checkRef(t, s, r.Key, main, "")
	if err := s.UpdateRef(ctx, r.Key, main, "", "c1"); err != nil {
		t.Fatalf("create ref: %v", err)
	}
	checkRef(t, s, r.Key, main, "c1")
	checkKind(t, "creating an existing ref", s.UpdateRef(ctx, r.Key, main, "", "c9"), hub.ErrConflict)
	checkRef(t, s, r.Key, main, "c1")
	checkKind(t, "moving from a stale commit", s.UpdateRef(ctx, r.Key, main, "c0", "c9"), hub.ErrPrecondition)
	checkRef(t, s, r.Key, main, "c1")
	if err := s.UpdateRef(ctx, r.Key, main, "c1", "c2"); err != nil {
		t.Fatalf("move ref: %v", err)
	}
	checkRef(t, s, r.Key, main, "c2")
	checkKind(t, "deleting from a stale commit", s.UpdateRef(ctx, r.Key, main, "c1", ""), hub.ErrPrecondition)
	checkRef(t, s, r.Key, main, "c2")
	if err := s.UpdateRef(ctx, r.Key, main, "c2", ""); err != nil {
		t.Fatalf("delete ref: %v", err)
	}
	checkRef(t, s, r.Key, main, "")
	if err := s.UpdateRef(ctx, r.Key, main, "", "c3"); err != nil {
		t.Fatalf("recreate ref: %v", err)
	}
	checkRef(t, s, r.Key, main, "c3")
}

func testRefList(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	a, b := newRepo(1, hub.Model, "alice", "bert"), newRepo(2, hub.Model, "alice", "gpt")
	mustCreateRepo(t, s, a)
	mustCreateRepo(t, s, b)
	if refs, err := s.ListRefs(ctx, a.Key); err != nil || len(refs) != 0 {
		t.Fatalf("ListRefs of a new repo = %v, %v", refs, err)
	}
	for _, name := range []string{"refs/tags/v1", "refs/heads/main", "refs/heads/dev", "refs/heads/a/b"} {
		if err := s.UpdateRef(ctx, a.Key, name, "", "c-"+name); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpdateRef(ctx, b.Key, "refs/heads/main", "", "other"); err != nil {
		t.Fatal(err)
	}
	refs, err := s.ListRefs(ctx, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	var want []hub.Ref
	for _, name := range []string{"refs/heads/a/b", "refs/heads/dev", "refs/heads/main", "refs/tags/v1"} {
		want = append(want, hub.Ref{Name: name, Commit: "c-" + name})
	}
	if diff := cmpDiff(want, refs); diff != "" {
		t.Fatalf("ListRefs mismatch (-want +got):\n%s", diff)
	}
	checkRef(t, s, b.Key, "refs/heads/main", "other")
	checkRef(t, s, b.Key, "refs/heads/dev", "")
}

// testRefRace has 8 goroutines race to move one ref from the same commit,
// round after round: exactly one must win each round.
func testRefRace(t *testing.T, s hub.MetaStore) {
	RaceRefs(t, []hub.MetaStore{s}, 8, 20)
}

// RaceRefs creates a repo through stores[0], then has goroutines (spread
// over stores, which may be handles on one database) race to create one ref
// and then to move it, for rounds rounds. Exactly one goroutine must win
// each race; the others must get ErrConflict (create) or ErrPrecondition.
func RaceRefs(t *testing.T, stores []hub.MetaStore, goroutines, rounds int) {
	ctx := context.Background()
	r := newRepo(77, hub.Model, "race", "repo")
	mustCreateRepo(t, stores[0], r)
	const name = "refs/heads/main"
	cur := ""
	for round := range rounds {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, goroutines)
		for g := range goroutines {
			wg.Go(func() {
				<-start
				s := stores[g%len(stores)]
				errs[g] = s.UpdateRef(ctx, r.Key, name, cur, fmt.Sprintf("r%d-g%d", round, g))
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for g, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: goroutines %d and %d both won", round, winner, g)
			case err == nil:
				winner = g
			case cur == "" && !errors.Is(err, hub.ErrConflict):
				t.Fatalf("round %d: losing create error = %v, want ErrConflict", round, err)
			case cur != "" && !errors.Is(err, hub.ErrPrecondition):
				t.Fatalf("round %d: losing update error = %v, want ErrPrecondition", round, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no goroutine won", round)
		}
		cur = fmt.Sprintf("r%d-g%d", round, winner)
		checkRef(t, stores[0], r.Key, name, cur)
	}
}

func testUsers(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	u := &hub.User{Name: "Alice", FullName: "Alice A.", Email: "a@example.com",
		PasswordHash: "$2a$hash", Admin: true, CreatedAt: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	checkKind(t, "CreateUser of a taken name", s.CreateUser(ctx, &hub.User{Name: "aLICE"}), hub.ErrConflict)
	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got, err := s.GetUser(ctx, name)
		if err != nil {
			t.Fatalf("GetUser(%s): %v", name, err)
		}
		if diff := cmpDiff(u, got); diff != "" {
			t.Fatalf("GetUser(%s) mismatch (-want +got):\n%s", name, diff)
		}
	}
	_, err := s.GetUser(ctx, "bob")
	checkKind(t, "GetUser of a missing user", err, hub.ErrNotFound)
	u.FullName, u.Admin, u.PasswordHash = "Alice B.", false, ""
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	got, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(u, got); diff != "" {
		t.Fatalf("GetUser after update mismatch (-want +got):\n%s", diff)
	}
	checkKind(t, "UpdateUser of a missing user", s.UpdateUser(ctx, &hub.User{Name: "bob"}), hub.ErrNotFound)
}

func testTokens(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	tok := func(hash, user string, created time.Time) *hub.Token {
		return &hub.Token{Hash: hash, Suffix: hash[len(hash)-4:], User: user, Role: hub.RoleWrite,
			Label: "label " + hash, CreatedAt: created}
	}
	toks := []*hub.Token{
		tok("hash-b-0002", "alice", t0.Add(2*time.Hour)),
		tok("hash-a-0001", "alice", t0.Add(1*time.Hour)),
		tok("hash-c-0003", "bob", t0),
		tok("hash-d-0004", "alice", t0.Add(3*time.Hour)),
	}
	for _, tk := range toks {
		if err := s.CreateToken(ctx, tk); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
	}
	checkKind(t, "CreateToken of a taken hash", s.CreateToken(ctx, tok("hash-a-0001", "bob", t0)), hub.ErrConflict)
	got, err := s.GetToken(ctx, "hash-a-0001")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(toks[1], got); diff != "" {
		t.Fatalf("GetToken mismatch (-want +got):\n%s", diff)
	}
	if !got.LastUsedAt.IsZero() || !got.RevokedAt.IsZero() {
		t.Fatalf("zero times came back as %v, %v", got.LastUsedAt, got.RevokedAt)
	}
	_, err = s.GetToken(ctx, "nope")
	checkKind(t, "GetToken of a missing hash", err, hub.ErrNotFound)
	list, err := s.ListTokens(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff([]*hub.Token{toks[1], toks[0], toks[3]}, list); diff != "" {
		t.Fatalf("ListTokens mismatch (-want +got):\n%s", diff)
	}
	if list, err := s.ListTokens(ctx, "carol"); err != nil || len(list) != 0 {
		t.Fatalf("ListTokens of a user without tokens = %v, %v", list, err)
	}
	toks[1].LastUsedAt, toks[1].RevokedAt = t0.Add(5*time.Hour), t0.Add(6*time.Hour)
	if err := s.UpdateToken(ctx, toks[1]); err != nil {
		t.Fatalf("UpdateToken: %v", err)
	}
	got, err = s.GetToken(ctx, "hash-a-0001")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(toks[1], got); diff != "" {
		t.Fatalf("GetToken after update mismatch (-want +got):\n%s", diff)
	}
	checkKind(t, "UpdateToken of a missing hash", s.UpdateToken(ctx, tok("hash-z-9999", "alice", t0)), hub.ErrNotFound)
}

func testLFS(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	a, b := newRepo(1, hub.Model, "alice", "bert"), newRepo(2, hub.Model, "bob", "gpt")
	mustCreateRepo(t, s, a)
	mustCreateRepo(t, s, b)
	const oid = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	_, err := s.GetLFSObject(ctx, a.Key, oid)
	checkKind(t, "GetLFSObject before Add", err, hub.ErrNotFound)
	for range 2 {
		if err := s.AddLFSObject(ctx, a.Key, oid, 4); err != nil {
			t.Fatalf("AddLFSObject: %v", err)
		}
	}
	if size, err := s.GetLFSObject(ctx, a.Key, oid); err != nil || size != 4 {
		t.Fatalf("GetLFSObject = %d, %v; want 4", size, err)
	}
	_, err = s.GetLFSObject(ctx, b.Key, oid)
	checkKind(t, "GetLFSObject from another repo", err, hub.ErrNotFound)
	_, err = s.GetLFSObject(ctx, a.Key, oid[:63]+"0")
	checkKind(t, "GetLFSObject of another oid", err, hub.ErrNotFound)
}
