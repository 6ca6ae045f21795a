package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"quarry/hub"
)

// TestTokenExpiryOnlyShrinks: a stale token record written back (the
// service recording a last use) never extends an expiry set meanwhile
// (a finished job shortening its token's life).
func TestTokenExpiryOnlyShrinks(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "hub.db"))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := db.CreateUser(ctx, &hub.User{Name: "alice", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	tok := &hub.Token{Hash: "h", Suffix: "abcd", User: "alice", Role: hub.RoleFineGrained, CreatedAt: t0,
		ExpiresAt: t0.Add(6 * time.Hour)}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	stale, _ := db.GetToken(ctx, "h")
	tok.ExpiresAt = t0.Add(time.Minute)
	if err := db.UpdateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	stale.LastUsedAt = t0.Add(time.Second)
	if err := db.UpdateToken(ctx, stale); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetToken(ctx, "h")
	if err != nil {
		t.Fatal(err)
	}
	if !got.ExpiresAt.Equal(t0.Add(time.Minute)) || !got.LastUsedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("after a stale write: expires %v, last used %v", got.ExpiresAt, got.LastUsedAt)
	}
	got.ExpiresAt = time.Time{}
	if err := db.UpdateToken(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := db.GetToken(ctx, "h"); !again.ExpiresAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("an expiry was removed: %v", again.ExpiresAt)
	}
}
