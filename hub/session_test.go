package hub_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"quarry/hub"
)

func newSignInEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	if _, err := e.svc.CreateUser(ctx, "alice", "", "correct horse", false); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSignInSession(t *testing.T) {
	e := newSignInEnv(t)
	_, err := e.svc.SignIn(ctx, "alice", "wrong", "10.0.0.1")
	wantKind(t, err, hub.ErrUnauthorized)
	if got, want := hub.ErrorMessage(err), "Invalid username or password"; got != want {
		t.Fatalf("message = %q, want %q", got, want)
	}
	_, err = e.svc.SignIn(ctx, "nobody", "correct horse", "10.0.0.1")
	wantKind(t, err, hub.ErrUnauthorized)
	s, err := e.svc.SignIn(ctx, "ALICE", "correct horse", "10.0.0.1")
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if s.User != "alice" || len(s.ID) != 43 || len(s.CSRF) != 43 || s.ID == s.CSRF || !s.ExpiresAt.Equal(e.now.Add(hub.SessionTTL)) {
		t.Fatalf("session = %+v", s)
	}
	c, got, err := e.svc.SessionCaller(ctx, s.ID)
	if err != nil {
		t.Fatalf("SessionCaller: %v", err)
	}
	if c.Name() != "alice" || c.Token != nil || c.Session == nil || got.CSRF != s.CSRF || got.ID != s.ID {
		t.Fatalf("caller = %+v, session %+v", c, got)
	}
	// A session caller has the user's full rights.
	if err := hub.AuthorizeNamespace(c, "alice"); err != nil {
		t.Fatalf("session caller cannot create repos: %v", err)
	}
	_, _, err = e.svc.SessionCaller(ctx, s.ID+"x")
	wantKind(t, err, hub.ErrUnauthorized)
	if err := e.svc.SignOut(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.SessionCaller(ctx, s.ID)
	wantKind(t, err, hub.ErrUnauthorized)
	if err := e.svc.SignOut(ctx, s.ID); err != nil {
		t.Fatalf("second SignOut: %v", err)
	}
}

func TestSessionExpires(t *testing.T) {
	e := newSignInEnv(t)
	s, err := e.svc.SignIn(ctx, "alice", "correct horse", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(hub.SessionTTL - time.Second)
	if _, _, err := e.svc.SessionCaller(ctx, s.ID); err != nil {
		t.Fatalf("session before expiry: %v", err)
	}
	e.now = e.now.Add(time.Second)
	_, _, err = e.svc.SessionCaller(ctx, s.ID)
	wantKind(t, err, hub.ErrUnauthorized)
}

// TestSignInThrottle is acceptance 6: 100 wrong passwords in a row for one
// account are throttled, the right password from another address works.
func TestSignInThrottle(t *testing.T) {
	e := newSignInEnv(t)
	var limited *hub.RateLimitError
	first := -1
	for i := range 100 {
		_, err := e.svc.SignIn(ctx, "alice", fmt.Sprintf("guess %d", i), "10.0.0.66")
		if errors.As(err, &limited) {
			if first < 0 {
				first = i
			}
			wantKind(t, err, hub.ErrRateLimited)
			continue
		}
		wantKind(t, err, hub.ErrUnauthorized)
		if first >= 0 {
			t.Fatalf("attempt %d was not throttled after attempt %d was", i, first)
		}
	}
	if first < 0 || limited.RetryAfter <= 0 {
		t.Fatalf("100 wrong passwords were never throttled (first %d, %+v)", first, limited)
	}
	// The right password from the throttled address is refused too...
	_, err := e.svc.SignIn(ctx, "alice", "correct horse", "10.0.0.66")
	wantKind(t, err, hub.ErrRateLimited)
	// ...but works from another address.
	if _, err := e.svc.SignIn(ctx, "alice", "correct horse", "10.0.0.7"); err != nil {
		t.Fatalf("right password from another address: %v", err)
	}
	// Waiting out Retry-After lets the first address try again.
	e.now = e.now.Add(limited.RetryAfter)
	if _, err := e.svc.SignIn(ctx, "alice", "correct horse", "10.0.0.66"); err != nil {
		t.Fatalf("after Retry-After: %v", err)
	}
}

func TestSignInThrottleDistributed(t *testing.T) {
	e := newSignInEnv(t)
	p := hub.DefaultThrottlePolicy()
	p.Account = hub.Budget{Burst: 20, Every: time.Minute}
	e.svc.SetThrottlePolicy(p)
	for i := range 20 {
		_, err := e.svc.SignIn(ctx, "alice", "guess", fmt.Sprintf("10.1.0.%d", i))
		wantKind(t, err, hub.ErrUnauthorized)
	}
	// The account's budget is spent: addresses that failed are refused...
	_, err := e.svc.SignIn(ctx, "alice", "guess", "10.1.0.3")
	wantKind(t, err, hub.ErrRateLimited)
	// ...an address with a clean record is not.
	if _, err := e.svc.SignIn(ctx, "alice", "correct horse", "10.2.0.1"); err != nil {
		t.Fatalf("clean address: %v", err)
	}
	// Spraying many accounts from one address trips the address budget.
	var err2 error
	for i := range 60 {
		_, err2 = e.svc.SignIn(ctx, fmt.Sprintf("user%d", i), "x", "10.3.0.1")
	}
	wantKind(t, err2, hub.ErrRateLimited)
}

func TestBadTokenThrottle(t *testing.T) {
	e := newSignInEnv(t)
	p := hub.DefaultThrottlePolicy()
	p.Token = hub.Budget{Burst: 5, Every: time.Second}
	e.svc.SetThrottlePolicy(p)
	good, _, err := e.svc.CreateToken(ctx, "alice", hub.RoleRead, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_, err := e.svc.AuthenticateFrom(ctx, "hf_bad", "10.0.0.9")
		wantKind(t, err, hub.ErrUnauthorized)
	}
	_, err = e.svc.AuthenticateFrom(ctx, "hf_bad", "10.0.0.9")
	var rl *hub.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("6th bad token: %v, want a RateLimitError with RetryAfter 1s", err)
	}
	if _, err := e.svc.AuthenticateFrom(ctx, good, "10.0.0.10"); err != nil {
		t.Fatalf("good token from another address: %v", err)
	}
	e.now = e.now.Add(time.Second)
	if _, err := e.svc.AuthenticateFrom(ctx, good, "10.0.0.9"); err != nil {
		t.Fatalf("good token after the wait: %v", err)
	}
}

func TestThrottleBucketsLeak(t *testing.T) {
	th := hub.NewThrottle(hub.ThrottlePolicy{Token: hub.Budget{Burst: 1, Every: time.Second}})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		th.FailToken(fmt.Sprint(i), now.Add(time.Duration(i)*time.Second))
	}
	if err := th.CheckToken("4999", now.Add(4999*time.Second)); !errors.Is(err, hub.ErrRateLimited) {
		t.Fatalf("recent key not limited: %v", err)
	}
	if err := th.CheckToken("0", now.Add(4999*time.Second)); err != nil {
		t.Fatalf("old key still limited: %v", err)
	}
}
