package hub_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
)

// newAuthService returns a service over memory stores with a settable clock.
func newAuthService(t *testing.T) (*hub.Service, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	s := hub.NewService(hubtest.NewMemBlobStore(), hubtest.NewMemMeta(), []byte(strings.Repeat("k", 32)))
	s.Now = func() time.Time { return now }
	return s, &now
}

func TestCreateUser(t *testing.T) {
	ctx := context.Background()
	s, _ := newAuthService(t)
	u, err := s.CreateUser(ctx, "alice", "a@example.org", "s3cret", true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Name, "alice"; got != want {
		t.Fatalf("Name=%q, want %q", got, want)
	}
	if !u.Admin || u.Email != "a@example.org" {
		t.Fatalf("user=%+v", u)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$") || strings.Contains(u.PasswordHash, "s3cret") {
		t.Fatalf("PasswordHash=%q, want an argon2id PHC string", u.PasswordHash)
	}
	t.Run("ErrConflict", func(t *testing.T) {
		_, err := s.CreateUser(ctx, "ALICE", "", "", false)
		if !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("err=%v, want ErrConflict", err)
		}
	})
	t.Run("ErrInvalidName", func(t *testing.T) {
		for _, name := range []string{"", "a/b", "-x", "x..y", "bob.git", "api", "Datasets", "spaces"} {
			if _, err := s.CreateUser(ctx, name, "", "", false); !errors.Is(err, hub.ErrInvalid) {
				t.Fatalf("CreateUser(%q) err=%v, want ErrInvalid", name, err)
			}
		}
	})
}

func TestCheckPassword(t *testing.T) {
	ctx := context.Background()
	s, _ := newAuthService(t)
	if _, err := s.CreateUser(ctx, "alice", "", "correct horse", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "bob", "", "", false); err != nil {
		t.Fatal(err)
	}
	u, err := s.CheckPassword(ctx, "Alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Name, "alice"; got != want {
		t.Fatalf("Name=%q, want %q", got, want)
	}
	for _, c := range []struct{ name, pw string }{
		{"alice", "wrong"}, {"alice", ""}, {"bob", ""}, {"bob", "x"}, {"nobody", "correct horse"},
	} {
		if _, err := s.CheckPassword(ctx, c.name, c.pw); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("CheckPassword(%q, %q) err=%v, want ErrUnauthorized", c.name, c.pw, err)
		}
	}
}

func TestCreateToken(t *testing.T) {
	ctx := context.Background()
	s, now := newAuthService(t)
	if _, err := s.CreateUser(ctx, "alice", "", "", false); err != nil {
		t.Fatal(err)
	}
	plain, tok, err := s.CreateToken(ctx, "ALICE", hub.RoleWrite, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^hf_[0-9A-Za-z]{34}$`).MatchString(plain) {
		t.Fatalf("token %q does not look like hf_ + 34 base62 characters", plain)
	}
	sum := sha256.Sum256([]byte(plain))
	if got, want := tok.Hash, hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Hash=%q, want %q", got, want)
	}
	if got, want := tok.Suffix, plain[len(plain)-4:]; got != want {
		t.Fatalf("Suffix=%q, want %q", got, want)
	}
	if tok.User != "alice" || tok.Role != hub.RoleWrite || tok.Label != "laptop" || !tok.CreatedAt.Equal(*now) {
		t.Fatalf("token=%+v", tok)
	}
	other, _, err := s.CreateToken(ctx, "alice", hub.RoleRead, "")
	if err != nil {
		t.Fatal(err)
	}
	if other == plain {
		t.Fatal("two tokens are equal")
	}
	t.Run("ErrInvalidRole", func(t *testing.T) {
		if _, _, err := s.CreateToken(ctx, "alice", "admin", ""); !errors.Is(err, hub.ErrInvalid) {
			t.Fatalf("err=%v, want ErrInvalid", err)
		}
	})
	t.Run("ErrUnknownUser", func(t *testing.T) {
		if _, _, err := s.CreateToken(ctx, "nobody", hub.RoleRead, ""); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("err=%v, want ErrNotFound", err)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	s, now := newAuthService(t)
	if _, err := s.CreateUser(ctx, "alice", "", "", false); err != nil {
		t.Fatal(err)
	}
	plain, tok, err := s.CreateToken(ctx, "alice", hub.RoleRead, "ci")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Authenticate(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Name(), "alice"; got != want {
		t.Fatalf("caller=%q, want %q", got, want)
	}
	if got, want := c.Token.Role, hub.RoleRead; got != want {
		t.Fatalf("role=%q, want %q", got, want)
	}

	t.Run("LastUsedAtAtMostOncePerMinute", func(t *testing.T) {
		lastUsed := func() time.Time {
			got, err := s.Meta.GetToken(ctx, tok.Hash)
			if err != nil {
				t.Fatal(err)
			}
			return got.LastUsedAt
		}
		first := *now
		if got := lastUsed(); !got.Equal(first) {
			t.Fatalf("LastUsedAt=%v, want %v", got, first)
		}
		*now = first.Add(30 * time.Second)
		if _, err := s.Authenticate(ctx, plain); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(first) {
			t.Fatalf("LastUsedAt=%v after 30s, want unchanged %v", got, first)
		}
		*now = first.Add(61 * time.Second)
		if _, err := s.Authenticate(ctx, plain); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(*now) {
			t.Fatalf("LastUsedAt=%v after 61s, want %v", got, *now)
		}
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		for _, bad := range []string{"", "hf_", plain + "x", "api_" + plain[3:], strings.ToUpper(plain)} {
			_, err := s.Authenticate(ctx, bad)
			if !errors.Is(err, hub.ErrUnauthorized) {
				t.Fatalf("Authenticate(%q) err=%v, want ErrUnauthorized", bad, err)
			}
			if got, want := hub.ErrorMessage(err), "Invalid credentials in Authorization header"; got != want {
				t.Fatalf("message=%q, want %q", got, want)
			}
		}
	})

	t.Run("Revoked", func(t *testing.T) {
		if err := s.RevokeToken(ctx, "bob", tok.Hash); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("revoke by another user: err=%v, want ErrNotFound", err)
		}
		if _, err := s.Authenticate(ctx, plain); err != nil {
			t.Fatalf("token stopped working after a refused revocation: %v", err)
		}
		if err := s.RevokeToken(ctx, "alice", tok.Hash); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, "alice", tok.Hash); err != nil {
			t.Fatalf("second revocation: %v", err)
		}
		if _, err := s.Authenticate(ctx, plain); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("revoked token: err=%v, want ErrUnauthorized", err)
		}
		if err := s.RevokeToken(ctx, "alice", strings.Repeat("0", 64)); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("unknown hash: err=%v, want ErrNotFound", err)
		}
	})
}

func TestListTokens(t *testing.T) {
	ctx := context.Background()
	s, now := newAuthService(t)
	for _, name := range []string{"alice", "bob"} {
		if _, err := s.CreateUser(ctx, name, "", "", false); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, label := range []string{"one", "two"} {
		*now = now.Add(time.Second)
		_, tok, err := s.CreateToken(ctx, "alice", hub.RoleRead, label)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tok.Hash)
	}
	if _, _, err := s.CreateToken(ctx, "bob", hub.RoleRead, "bob's"); err != nil {
		t.Fatal(err)
	}
	ts, err := s.ListTokens(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tok := range ts {
		got = append(got, tok.Hash)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("ListTokens=%v, want %v", got, want)
	}
}
