package hub

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// SessionTTL is how long a web session lasts after sign-in.
const SessionTTL = 14 * 24 * time.Hour

// Session is a signed-in web session. ID is the secret carried by the
// session cookie (32 random bytes, base64url); the store only ever sees its
// sha256. CSRF is the token state-changing forms and API calls made with
// the cookie must echo.
type Session struct {
	ID        string
	User      string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SignIn checks name and password and opens a session. A wrong name or
// password gives ErrUnauthorized "Invalid username or password"; too many
// failures give a *RateLimitError (see Throttle for the policy). clientAddr
// is the caller's network address.
func (s *Service) SignIn(ctx context.Context, name, password, clientAddr string) (*Session, error) {
	now := s.now()
	if err := s.throttle.CheckSignIn(name, clientAddr, now); err != nil {
		return nil, errors.Join(err, s.record(ctx, AuditEvent{Actor: name, Action: "sign-in.throttled", ClientAddr: clientAddr}))
	}
	u, err := s.CheckPassword(ctx, name, password)
	if errors.Is(err, ErrUnauthorized) {
		s.throttle.FailSignIn(name, clientAddr, now)
		return nil, errors.Join(err, s.record(ctx, AuditEvent{Actor: name, Action: "sign-in.failed", ClientAddr: clientAddr}))
	} else if err != nil {
		return nil, err
	}
	s.throttle.SucceedSignIn(name, clientAddr)
	sess := &Session{User: u.Name, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if sess.ID, err = randomString(); err == nil {
		sess.CSRF, err = randomString()
	}
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	stored := *sess
	stored.ID = hashToken(sess.ID)
	if err := s.Meta.CreateSession(ctx, &stored); err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	if err := s.Meta.DeleteExpiredSessions(ctx, now); err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return sess, s.record(ctx, AuditEvent{Actor: u.Name, Action: "sign-in", ClientAddr: clientAddr})
}

// SessionCaller returns the caller a session id stands for (full rights of
// its user) and the session. Unknown and expired sessions, and sessions of
// deleted users, give ErrUnauthorized.
func (s *Service) SessionCaller(ctx context.Context, sessionID string) (*Caller, *Session, error) {
	bad := Errorf(ErrUnauthorized, "Your session has expired: please sign in again")
	if sessionID == "" {
		return nil, nil, bad
	}
	sess, err := s.Meta.GetSession(ctx, hashToken(sessionID))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, bad
	} else if err != nil {
		return nil, nil, fmt.Errorf("session: %w", err)
	}
	if !s.now().Before(sess.ExpiresAt) {
		if err := s.Meta.DeleteSession(ctx, sess.ID); err != nil {
			return nil, nil, fmt.Errorf("session: %w", err)
		}
		return nil, nil, bad
	}
	u, err := s.person(ctx, sess.User)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, bad
	} else if err != nil {
		return nil, nil, err
	}
	sess.ID = sessionID
	c := &Caller{User: u, Session: sess}
	if err := s.loadMemberships(ctx, c); err != nil {
		return nil, nil, err
	}
	return c, sess, nil
}

// SignOut ends a session; an unknown session is not an error.
func (s *Service) SignOut(ctx context.Context, sessionID string) error {
	if sessionID == "" {
		return nil
	}
	h := hashToken(sessionID)
	sess, err := s.Meta.GetSession(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	if err := s.Meta.DeleteSession(ctx, h); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return s.record(ctx, AuditEvent{Actor: sess.User, Action: "sign-out"})
}

// randomString returns 32 random bytes in unpadded base64url.
func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
