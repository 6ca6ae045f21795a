package hub_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
)

// countingMeta counts the token reads and writes that reach the store.
type countingMeta struct {
	*hubtest.MemMeta
	reads, writes atomic.Int64
	// barrier, when set, holds ChangeCount calls until it is done, so that
	// concurrent requests all see the count from before any of them wrote.
	barrier *sync.WaitGroup
}

func (m *countingMeta) ChangeCount(ctx context.Context) (uint64, error) {
	n, err := m.MemMeta.ChangeCount(ctx)
	if b := m.barrier; b != nil {
		b.Done()
		b.Wait()
	}
	return n, err
}

func (m *countingMeta) GetToken(ctx context.Context, hash string) (*hub.Token, error) {
	m.reads.Add(1)
	return m.MemMeta.GetToken(ctx, hash)
}

func (m *countingMeta) UpdateToken(ctx context.Context, t *hub.Token) error {
	m.writes.Add(1)
	return m.MemMeta.UpdateToken(ctx, t)
}

// credEnv is a service whose store counts token reads, with a user alice
// and a read token of hers.
type credEnv struct {
	svc   *hub.Service
	meta  *countingMeta
	now   time.Time
	token string
	hash  string
}

func newCredEnv(t *testing.T, wrap func(*countingMeta) hub.MetaStore) *credEnv {
	t.Helper()
	e := &credEnv{meta: &countingMeta{MemMeta: hubtest.NewMemMeta()}, now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	e.svc = hub.NewService(hubtest.NewMemBlobStore(), wrap(e.meta), []byte("0123456789abcdef0123456789abcdef"))
	e.svc.Now = func() time.Time { return e.now }
	if _, err := e.svc.CreateUser(ctx, "alice", "", "", false); err != nil {
		t.Fatal(err)
	}
	tok, rec, err := e.svc.CreateToken(ctx, "alice", hub.RoleRead, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	e.token, e.hash = tok, rec.Hash
	return e
}

func cachingStore(m *countingMeta) hub.MetaStore { return m }

// auth authenticates e.token and returns the caller, the error and the
// number of token reads that reached the store.
func (e *credEnv) auth() (*hub.Caller, error, int64) {
	before := e.meta.reads.Load()
	c, err := e.svc.Authenticate(ctx, e.token)
	return c, err, e.meta.reads.Load() - before
}

// warm authenticates until requests are served from the cache: the first
// one reads and records the last use (a change), the second reads again.
func (e *credEnv) warm(t *testing.T) {
	t.Helper()
	for i := range 2 {
		if _, err, _ := e.auth(); err != nil {
			t.Fatalf("Authenticate #%d: %v", i+1, err)
		}
	}
}

func TestCredentialCache(t *testing.T) {
	e := newCredEnv(t, cachingStore)
	e.warm(t)
	for i := range 3 {
		c, err, reads := e.auth()
		if err != nil || reads != 0 {
			t.Fatalf("Authenticate #%d of a cached token: %v, %d store reads, want 0", i+1, err, reads)
		}
		if c.Name() != "alice" || c.Token.Role != hub.RoleRead || c.Token.Hash != e.hash {
			t.Fatalf("cached caller = %q with token %+v", c.Name(), c.Token)
		}
		c.User.Name, c.Token.Role = "mallory", hub.RoleWrite // a caller's copy
	}
	if _, err := e.svc.Authenticate(ctx, "hf_unknown"); !errors.Is(err, hub.ErrUnauthorized) {
		t.Fatalf("Authenticate of an unknown token: %v, want ErrUnauthorized", err)
	}
}

// TestCredentialCacheOff: a store that cannot count changes is read for
// every request.
func TestCredentialCacheOff(t *testing.T) {
	e := newCredEnv(t, func(m *countingMeta) hub.MetaStore { return struct{ hub.MetaStore }{m} })
	e.warm(t)
	if _, err, reads := e.auth(); err != nil || reads != 1 {
		t.Fatalf("Authenticate without a ChangeCounter: %v, %d store reads, want 1", err, reads)
	}
}

func TestCredentialCacheRevoke(t *testing.T) {
	e := newCredEnv(t, cachingStore)
	e.warm(t)
	if err := e.svc.RevokeToken(ctx, "alice", e.hash); err != nil {
		t.Fatal(err)
	}
	if _, err, _ := e.auth(); !errors.Is(err, hub.ErrUnauthorized) {
		t.Fatalf("Authenticate right after revocation: %v, want ErrUnauthorized", err)
	}
}

// TestCredentialCacheMembership: org membership changes apply to a cached
// token's next request.
func TestCredentialCacheMembership(t *testing.T) {
	e := newCredEnv(t, cachingStore)
	op := hub.Operator()
	if _, err := e.svc.CreateUser(ctx, "carol", "", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateOrg(ctx, op, "news", "carol"); err != nil {
		t.Fatal(err)
	}
	story := hub.RepoID{Type: hub.Model, Namespace: "news", Name: "story"}
	if _, err := e.svc.CreateRepo(ctx, op, hub.CreateRepoInput{ID: story, Private: true}); err != nil {
		t.Fatal(err)
	}
	e.warm(t)
	find := func() error {
		c, err, _ := e.auth()
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FindRepo(ctx, c, story, hub.ActionRead)
		return err
	}
	steps := []struct {
		name   string
		change func() error
		want   error
	}{
		{"before", func() error { return nil }, hub.ErrNotFound},
		{"added to the org", func() error { _, err := e.svc.AddOrgMember(ctx, op, "news", "alice", hub.OrgRoleRead); return err }, nil},
		{"removed from the org", func() error { return e.svc.RemoveOrgMember(ctx, op, "news", "alice") }, hub.ErrNotFound},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if err := find(); (st.want == nil) != (err == nil) || (st.want != nil && !errors.Is(err, st.want)) {
			t.Fatalf("FindRepo(private org repo) %s: %v, want %v", st.name, err, st.want)
		}
	}
}

// TestCredentialCacheLastUsed: once a minute, one of the concurrent
// requests served from the cache records the token's last use.
func TestCredentialCacheLastUsed(t *testing.T) {
	e := newCredEnv(t, cachingStore)
	e.warm(t)
	e.now = e.now.Add(2 * time.Minute)
	before := e.meta.writes.Load()
	e.meta.barrier = new(sync.WaitGroup)
	e.meta.barrier.Add(8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := e.svc.Authenticate(ctx, e.token); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	e.meta.barrier = nil
	if got := e.meta.writes.Load() - before; got != 1 {
		t.Fatalf("%d last-use writes by 8 concurrent requests, want 1", got)
	}
	tok, err := e.meta.MemMeta.GetToken(ctx, e.hash)
	if err != nil || !tok.LastUsedAt.Equal(e.now) {
		t.Fatalf("LastUsedAt = %v, %v; want %v", tok.LastUsedAt, err, e.now)
	}
}
