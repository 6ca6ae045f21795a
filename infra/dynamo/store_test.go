package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
	"quarry/infra/dynamo"
	"quarry/internal/awstest"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// TestSharedTable has two handles on one table (as two Lambda instances
// have) race ref updates, and one watch the other's writes for the change
// count.
func TestSharedTable(t *testing.T) {
	a := newStore(t)
	b, err := dynamo.Open(context.Background(), dynamo.Config{Table: a.Table(), Endpoint: moto.URL,
		Region: awstest.Region, AccessKeyID: awstest.AccessKeyID, SecretAccessKey: awstest.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	hubtest.RaceRefs(t, []hub.MetaStore{a, b}, 8, 10)
	hubtest.TestChangeCounter(t, func(t *testing.T) (hub.MetaStore, hub.MetaStore) { return a, b })
}

// TestCreateTable checks the table's settings and that setting up an
// existing table again keeps its items.
func TestCreateTable(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.CreateUser(ctx, &hub.User{Name: "kept", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable(ctx); err != nil {
		t.Fatalf("CreateTable on an existing table: %v", err)
	}
	if _, err := s.GetUser(ctx, "kept"); err != nil {
		t.Fatalf("user after a second CreateTable: %v", err)
	}
	billing, indexes, ttl, err := dynamo.TableSettings(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(indexes)
	want := []string{"gsi1", "repos-by-created", "repos-by-downloads", "repos-by-id", "repos-by-likes", "repos-by-modified"}
	if billing != "PAY_PER_REQUEST" || !slices.Equal(indexes, want) || ttl != dynamo.TTLAttribute {
		t.Fatalf("table: billing %q, indexes %v, TTL %q; want PAY_PER_REQUEST, %v, %q",
			billing, indexes, ttl, want, dynamo.TTLAttribute)
	}
	exp := t0.Add(time.Hour)
	if err := s.CreateSession(ctx, &hub.Session{ID: "h", User: "kept", CreatedAt: t0, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	if got, err := dynamo.SessionTTL(ctx, s, "h"); err != nil || got != exp.Unix() {
		t.Fatalf("session TTL attribute = %d, %v; want %d", got, err, exp.Unix())
	}
}

// TestListVisibilityPaging pages through a listing where most repos are
// private, so that each page needs several index reads (growing Query
// limits, three type partitions merged): every visible repo must come
// exactly once, in order, whatever the page size.
func TestListVisibilityPaging(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	types := []hub.RepoType{hub.Model, hub.Dataset, hub.Space}
	var all []*hub.Repo
	for i := range 40 {
		r := &hub.Repo{Key: fmt.Sprintf("%024x", i+1), ID: hub.RepoID{Type: types[i%3], Namespace: []string{"ann", "bob"}[i%2],
			Name: fmt.Sprintf("r%02d", i)}, Private: i%5 != 0, CreatedAt: t0, UpdatedAt: t0,
			Downloads: int64((i * 7) % 11), Tags: []string{fmt.Sprintf("t%d", i%4)}}
		if err := s.CreateRepo(ctx, r); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	viewers := []hub.RepoFilter{
		{},
		{ViewerNamespaces: []string{"ANN"}},
		{ViewerRepoKeys: []string{all[3].Key, all[8].Key}},
		{AllPrivate: true, Tags: []string{"t1"}},
		{Type: hub.Dataset, ViewerNamespaces: []string{"bob"}},
		{Author: "bob", ViewerNamespaces: []string{"bob"}, Search: []string{"R1"}},
	}
	for vi, v := range viewers {
		for _, limit := range []int{2, 5} {
			for _, asc := range []bool{true, false} {
				f := v
				f.Sort, f.Ascending, f.Limit = "downloads", asc, limit
				got := listKeys(t, s, f)
				if want := expectKeys(all, f); !slices.Equal(got, want) {
					t.Errorf("viewer %d, limit %d, ascending %v: keys %v, want %v", vi, limit, asc, got, want)
				}
			}
		}
	}
}

func listKeys(t *testing.T, s *dynamo.MetaStore, f hub.RepoFilter) []string {
	t.Helper()
	var keys []string
	for range 100 {
		page, next, err := s.ListRepos(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			keys = append(keys, r.Key)
		}
		if next == "" {
			return keys
		}
		f.After = next
	}
	t.Fatal("paging does not end")
	return nil
}

// expectKeys filters and sorts all (by downloads, then key) the slow way.
func expectKeys(all []*hub.Repo, f hub.RepoFilter) []string {
	var rs []*hub.Repo
	for _, r := range all {
		ns := strings.ToLower(r.ID.Namespace)
		visible := !r.Private || f.AllPrivate || slices.ContainsFunc(f.ViewerNamespaces, func(v string) bool {
			return strings.ToLower(v) == ns
		}) || slices.Contains(f.ViewerRepoKeys, r.Key)
		match := (f.Type == "" || r.ID.Type == f.Type) && (f.Author == "" || strings.EqualFold(f.Author, ns)) &&
			(len(f.Tags) == 0 || slices.Contains(r.Tags, f.Tags[0])) &&
			(len(f.Search) == 0 || strings.Contains(strings.ToLower(r.ID.String()), strings.ToLower(f.Search[0])))
		if visible && match {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b *hub.Repo) int {
		c := a.Downloads - b.Downloads
		if c == 0 {
			return strings.Compare(a.Key, b.Key)
		}
		if c < 0 {
			return -1
		}
		return 1
	})
	if !f.Ascending {
		slices.Reverse(rs)
	}
	keys := []string{}
	for _, r := range rs {
		keys = append(keys, r.Key)
	}
	if len(keys) == 0 {
		return nil
	}
	return keys
}

// TestListCursor checks that cursors are opaque but checked: one from
// another sort or direction, or garbage, is ErrInvalid.
func TestListCursor(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for i := range 3 {
		r := &hub.Repo{Key: fmt.Sprintf("%024x", i+1), ID: hub.RepoID{Type: hub.Model, Namespace: "ns", Name: fmt.Sprintf("r%d", i)}}
		if err := s.CreateRepo(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	_, next, err := s.ListRepos(ctx, hub.RepoFilter{Sort: "likes", Ascending: true, Limit: 1})
	if err != nil || next == "" {
		t.Fatalf("first page: next %q, %v", next, err)
	}
	for _, f := range []hub.RepoFilter{
		{Sort: "downloads", Ascending: true, After: next},
		{Sort: "likes", Ascending: false, After: next},
		{Sort: "likes", Ascending: true, After: "not a cursor"},
		{Sort: "stars", Ascending: true},
	} {
		f.Limit = 1
		if _, _, err := s.ListRepos(ctx, f); !errors.Is(err, hub.ErrInvalid) {
			t.Errorf("ListRepos(%+v): %v, want ErrInvalid", f, err)
		}
	}
}

// TestTokenUpdateRules checks UpdateToken's monotonic fields: a revocation
// is never undone and an expiry only moves earlier, as in SQLite.
func TestTokenUpdateRules(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	tok := &hub.Token{Hash: "h", Suffix: "abcd", User: "alice", Role: hub.RoleRead, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	revoked := *tok
	revoked.RevokedAt = t0.Add(time.Minute)
	if err := s.UpdateToken(ctx, &revoked); err != nil {
		t.Fatal(err)
	}
	stale := *tok // read before the revocation, written after it
	stale.LastUsedAt, stale.ExpiresAt = t0.Add(2*time.Minute), t0.Add(48*time.Hour)
	if err := s.UpdateToken(ctx, &stale); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetToken(ctx, "h")
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(revoked.RevokedAt) || !got.ExpiresAt.Equal(tok.ExpiresAt) || !got.LastUsedAt.Equal(stale.LastUsedAt) {
		t.Fatalf("token after a stale update: revoked %v, expires %v, used %v; want %v, %v, %v",
			got.RevokedAt, got.ExpiresAt, got.LastUsedAt, revoked.RevokedAt, tok.ExpiresAt, stale.LastUsedAt)
	}
}

// TestSecret checks that two handles on one table get the same secret.
func TestSecret(t *testing.T) {
	a := newStore(t)
	ctx := context.Background()
	b, err := dynamo.Open(ctx, dynamo.Config{Table: a.Table(), Endpoint: moto.URL,
		Region: awstest.Region, AccessKeyID: awstest.AccessKeyID, SecretAccessKey: awstest.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	s1, err := a.Secret(ctx, 32)
	if err != nil || len(s1) != 32 {
		t.Fatalf("Secret = %d bytes, %v", len(s1), err)
	}
	s2, err := b.Secret(ctx, 32)
	if err != nil || string(s1) != string(s2) {
		t.Fatalf("second handle's Secret differs (%v)", err)
	}
	if _, err := b.Secret(ctx, 64); err == nil {
		t.Fatal("a stored secret shorter than asked for was accepted")
	}
}
