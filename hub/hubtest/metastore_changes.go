package hubtest

import (
	"context"
	"testing"
	"time"

	"quarry/hub"
)

// TestChangeCounter runs the hub.ChangeCounter conformance suite: every
// write of a user, token, membership or team made through writer
// increases the count that watcher reports, and the count never
// decreases. open returns an empty store as both (the same value), or two
// handles on one empty storage (as the server and the admin CLI have);
// watcher must implement hub.ChangeCounter.
func TestChangeCounter(t *testing.T, open func(t *testing.T) (writer, watcher hub.MetaStore)) {
	ctx := context.Background()
	w, watcher := open(t)
	cc, ok := watcher.(hub.ChangeCounter)
	if !ok {
		t.Fatalf("%T does not implement hub.ChangeCounter", watcher)
	}
	count := func(what string) uint64 {
		t.Helper()
		n, err := cc.ChangeCount(ctx)
		if err != nil {
			t.Fatalf("ChangeCount after %s: %v", what, err)
		}
		return n
	}
	alice := &hub.User{Name: "alice", CreatedAt: t0}
	tok := &hub.Token{Hash: "hash-count-0001", Suffix: "0001", User: "alice", Role: hub.RoleRead, CreatedAt: t0}
	writes := []struct {
		name  string
		write func() error
	}{
		{"CreateUser", func() error { return w.CreateUser(ctx, alice) }},
		{"CreateUser(org)", func() error { return w.CreateUser(ctx, &hub.User{Name: "news", Org: true, CreatedAt: t0}) }},
		{"UpdateUser", func() error { alice.Admin = true; return w.UpdateUser(ctx, alice) }},
		{"CreateToken", func() error { return w.CreateToken(ctx, tok) }},
		{"UpdateToken", func() error { tok.RevokedAt = t0.Add(time.Hour); return w.UpdateToken(ctx, tok) }},
		{"PutMember", func() error {
			return w.PutMember(ctx, hub.Membership{Org: "news", User: "alice", Role: "read", CreatedAt: t0})
		}},
		{"PutMember(role)", func() error {
			return w.PutMember(ctx, hub.Membership{Org: "news", User: "alice", Role: "admin", CreatedAt: t0})
		}},
		{"CreateTeam", func() error { return w.CreateTeam(ctx, &hub.Team{Org: "news", Name: "desk", CreatedAt: t0}) }},
		{"AddTeamMember", func() error { return w.AddTeamMember(ctx, "news", "desk", "alice") }},
		{"RemoveTeamMember", func() error { return w.RemoveTeamMember(ctx, "news", "desk", "alice") }},
		{"DeleteMember", func() error { return w.DeleteMember(ctx, "news", "alice") }},
	}
	prev := count("opening")
	if again := count("nothing"); again < prev {
		t.Fatalf("ChangeCount went down without writes: %d then %d", prev, again)
	}
	for _, wr := range writes {
		if err := wr.write(); err != nil {
			t.Fatalf("%s: %v", wr.name, err)
		}
		n := count(wr.name)
		if n <= prev {
			t.Fatalf("ChangeCount after %s = %d, want > %d", wr.name, n, prev)
		}
		prev = n
	}
}
