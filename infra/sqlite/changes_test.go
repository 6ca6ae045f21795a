package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
	"quarry/infra/sqlite"
)

func TestChangeCounter(t *testing.T) {
	t.Run("SameHandle", func(t *testing.T) {
		hubtest.TestChangeCounter(t, func(t *testing.T) (hub.MetaStore, hub.MetaStore) {
			db := open(t, filepath.Join(t.TempDir(), "hub.db"))
			return db, db
		})
	})
	t.Run("OtherHandle", func(t *testing.T) {
		hubtest.TestChangeCounter(t, func(t *testing.T) (hub.MetaStore, hub.MetaStore) {
			path := filepath.Join(t.TempDir(), "hub.db")
			return open(t, path), open(t, path)
		})
	})
}

func openTB(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// countingDB counts the credential reads that reach SQLite.
type countingDB struct {
	*sqlite.DB
	reads atomic.Int64
}

func (c *countingDB) GetToken(ctx context.Context, hash string) (*hub.Token, error) {
	c.reads.Add(1)
	return c.DB.GetToken(ctx, hash)
}

func (c *countingDB) GetUser(ctx context.Context, name string) (*hub.User, error) {
	c.reads.Add(1)
	return c.DB.GetUser(ctx, name)
}

// authEnv is a server's service and an admin CLI's service on one file.
type authEnv struct {
	srv, cli *hub.Service
	db       *countingDB
	cliDB    *sqlite.DB
	now      time.Time
	token    string // alice's read token
}

func newAuthEnv(t testing.TB) *authEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hub.db")
	secret := []byte("0123456789abcdef0123456789abcdef")
	e := &authEnv{db: &countingDB{DB: openTB(t, path)}, cliDB: openTB(t, path),
		now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	e.srv, e.cli = hub.NewService(nil, e.db, secret), hub.NewService(nil, e.cliDB, secret)
	e.srv.Now = func() time.Time { return e.now }
	ctx := context.Background()
	if _, err := e.cli.CreateUser(ctx, "alice", "", "", false); err != nil {
		t.Fatal(err)
	}
	tok, _, err := e.cli.CreateToken(ctx, "alice", hub.RoleRead, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	e.token = tok
	return e
}

// auth authenticates e.token on the server and returns the caller and how
// many credential reads reached the store.
func (e *authEnv) auth(t *testing.T) (*hub.Caller, error, int64) {
	t.Helper()
	before := e.db.reads.Load()
	c, err := e.srv.Authenticate(context.Background(), e.token)
	return c, err, e.db.reads.Load() - before
}

// warm authenticates until a request is served from the cache (the first
// one reads and records the token's last use, which retires the entry; the
// second reads again; the third hits).
func (e *authEnv) warm(t *testing.T) {
	t.Helper()
	for i := range 3 {
		if _, err, _ := e.auth(t); err != nil {
			t.Fatalf("Authenticate #%d: %v", i+1, err)
		}
	}
	if _, err, reads := e.auth(t); err != nil || reads != 0 {
		t.Fatalf("Authenticate of a cached token: %v, %d store reads, want 0", err, reads)
	}
}

func TestCredentialCacheHit(t *testing.T) {
	e := newAuthEnv(t)
	e.warm(t)
	c, err, reads := e.auth(t)
	if err != nil || reads != 0 {
		t.Fatalf("Authenticate = %v, %d reads; want a hit", err, reads)
	}
	if got, want := c.Name(), "alice"; got != want {
		t.Fatalf("cached caller = %q, want %q", got, want)
	}
	if got, want := c.Token.Role, hub.RoleRead; got != want {
		t.Fatalf("cached token role = %q, want %q", got, want)
	}
	// Callers get their own copies: changing one does not change the cache.
	c.User.Admin, c.Token.Role = true, hub.RoleWrite
	c, _, _ = e.auth(t)
	if c.User.Admin || c.Token.Role != hub.RoleRead {
		t.Fatalf("a caller's change leaked into the cache: admin %v, role %q", c.User.Admin, c.Token.Role)
	}
	// Unrelated writes (here by the other process) only cost a miss.
	if err := e.cliDB.CreateUser(context.Background(), &hub.User{Name: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err, reads := e.auth(t); err != nil || reads == 0 {
		t.Fatalf("Authenticate after another process wrote = %v, %d reads; want a miss", err, reads)
	}
}

func TestCredentialCacheRevoke(t *testing.T) {
	for _, by := range []string{"server", "cli"} {
		t.Run(by, func(t *testing.T) {
			e := newAuthEnv(t)
			e.warm(t)
			svc := map[string]*hub.Service{"server": e.srv, "cli": e.cli}[by]
			toks, err := svc.ListTokens(context.Background(), "alice")
			if err != nil || len(toks) != 1 {
				t.Fatalf("ListTokens = %v, %v", toks, err)
			}
			if err := svc.RevokeToken(context.Background(), "alice", toks[0].Hash); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if _, err, _ := e.auth(t); !errors.Is(err, hub.ErrUnauthorized) {
					t.Fatalf("Authenticate #%d after revocation by the %s: %v, want ErrUnauthorized", i+1, by, err)
				}
			}
		})
	}
}

// TestCredentialCacheUser changes the cached token's user from the other
// process: a site-admin flag applies to the next request.
func TestCredentialCacheUser(t *testing.T) {
	e := newAuthEnv(t)
	e.warm(t)
	ctx := context.Background()
	u, err := e.cliDB.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Admin = true
	if err := e.cliDB.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	c, err, _ := e.auth(t)
	if err != nil || !c.User.Admin {
		t.Fatalf("Authenticate after the user became admin: %+v, %v", c, err)
	}
}

// TestCredentialCacheMembership grants and removes an org membership from
// the other process while the server has the token cached.
func TestCredentialCacheMembership(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	if _, err := e.cli.CreateUser(ctx, "carol", "", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.CreateOrg(ctx, hub.Operator(), "news", "carol"); err != nil {
		t.Fatal(err)
	}
	story := &hub.Repo{Key: "000000000000000000000001", ID: hub.RepoID{Type: hub.Model, Namespace: "news", Name: "story"},
		Private: true, CreatedAt: e.now, UpdatedAt: e.now}
	if err := e.cliDB.CreateRepo(ctx, story); err != nil {
		t.Fatal(err)
	}
	e.warm(t)
	find := func() error {
		c, err, _ := e.auth(t)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.srv.FindRepo(ctx, c, story.ID, hub.ActionRead)
		return err
	}
	if err := find(); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("FindRepo before membership: %v, want ErrNotFound", err)
	}
	if _, err := e.cli.AddOrgMember(ctx, hub.Operator(), "news", "alice", hub.OrgRoleRead); err != nil {
		t.Fatal(err)
	}
	if err := find(); err != nil {
		t.Fatalf("FindRepo right after the CLI added alice to news: %v", err)
	}
	if err := e.cli.RemoveOrgMember(ctx, hub.Operator(), "news", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := find(); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("FindRepo right after the CLI removed alice from news: %v, want ErrNotFound", err)
	}
}

// TestCredentialCacheLastUsed checks that cached requests still record the
// token's last use once a minute.
func TestCredentialCacheLastUsed(t *testing.T) {
	e := newAuthEnv(t)
	e.warm(t)
	e.now = e.now.Add(61 * time.Second)
	if _, err, _ := e.auth(t); err != nil {
		t.Fatal(err)
	}
	toks, err := e.cliDB.ListTokens(context.Background(), "alice")
	if err != nil || len(toks) != 1 {
		t.Fatalf("ListTokens = %v, %v", toks, err)
	}
	if got, want := toks[0].LastUsedAt, e.now; !got.Equal(want) {
		t.Fatalf("LastUsedAt = %v, want %v", got, want)
	}
}

// TestUpdateTokenKeepsRevocation: a record read before another handle
// revoked the token (as the service's last-use write has) cannot undo it.
func TestUpdateTokenKeepsRevocation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	a, b := open(t, path), open(t, path)
	ctx := context.Background()
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tok := &hub.Token{Hash: "h1", Suffix: "abcd", User: "alice", Role: hub.RoleRead, CreatedAt: t0}
	if err := a.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	stale := *tok
	revoked := *tok
	revoked.RevokedAt = t0.Add(time.Minute)
	if err := b.UpdateToken(ctx, &revoked); err != nil {
		t.Fatal(err)
	}
	stale.LastUsedAt = t0.Add(2 * time.Minute)
	if err := a.UpdateToken(ctx, &stale); err != nil {
		t.Fatal(err)
	}
	got, err := b.GetToken(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(revoked.RevokedAt) || !got.LastUsedAt.Equal(stale.LastUsedAt) {
		t.Fatalf("after a stale update: revoked %v, last used %v; want %v, %v",
			got.RevokedAt, got.LastUsedAt, revoked.RevokedAt, stale.LastUsedAt)
	}
}

// BenchmarkAuthenticate measures a token request's authentication on
// SQLite, served from the credential cache or (Uncached) read each time.
func BenchmarkAuthenticate(b *testing.B) {
	for _, cached := range []bool{true, false} {
		name := map[bool]string{true: "Cached", false: "Uncached"}[cached]
		b.Run(name, func(b *testing.B) {
			e := newAuthEnv(b)
			if !cached {
				e.srv = hub.NewService(nil, struct{ hub.MetaStore }{e.db}, []byte("0123456789abcdef0123456789abcdef"))
			}
			ctx := context.Background()
			for range 3 {
				if _, err := e.srv.Authenticate(ctx, e.token); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.srv.Authenticate(ctx, e.token); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
