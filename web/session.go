package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// Cookie names.
const (
	sessionCookie   = "quarry_session"
	loginCSRFCookie = "quarry_login_csrf"
)

// defaultNext is where a sign-in leads when no (valid) next URL is given.
const defaultNext = "/settings/tokens"

// signedIn is the signed-in person of a request.
type signedIn struct {
	caller  *hub.Caller
	session *hub.Session
}

// name returns the signed-in user's name.
func (u *signedIn) name() string { return u.caller.Name() }

// currentUser returns the request's session, or nil when the request has no
// valid session cookie. A stale cookie (expired, signed out) is cleared.
func (s *site) currentUser(c *fiber.Ctx) (*signedIn, error) {
	id := c.Cookies(sessionCookie)
	if id == "" {
		return nil, nil
	}
	caller, sess, err := s.svc.SessionCaller(c.UserContext(), id)
	if errors.Is(err, hub.ErrUnauthorized) {
		s.clearCookie(c, sessionCookie, "/")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &signedIn{caller: caller, session: sess}, nil
}

// requireUser returns the signed-in user, or nil after redirecting the
// request to the sign-in page, which then leads back to next.
func (s *site) requireUser(c *fiber.Ctx, next string) (*signedIn, error) {
	u, err := s.currentUser(c)
	if err != nil || u != nil {
		return u, err
	}
	return nil, c.Redirect("/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
}

// requireForm is requireUser for state-changing forms: it also checks the
// form's CSRF token, answering 403 when it is missing or wrong. It returns
// nil when the request has been answered.
func (s *site) requireForm(c *fiber.Ctx, next string) (*signedIn, error) {
	u, err := s.requireUser(c, next)
	if err != nil || u == nil {
		return nil, err
	}
	if !sameToken(c.FormValue("csrf"), u.session.CSRF) {
		return nil, s.showError(c, fiber.StatusForbidden,
			"This form has expired or did not come from this site. Go back, reload the page and try again.")
	}
	return u, nil
}

// requestPath returns the request's path and query, for next URLs (the
// request line may carry an absolute URI).
func requestPath(c *fiber.Ctx) string {
	return string(c.Request().URI().RequestURI())
}

// sameToken compares two secrets in constant time; empty never matches.
func sameToken(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setSessionCookie stores the session id in the browser until it expires.
func (s *site) setSessionCookie(c *fiber.Ctx, sess *hub.Session) {
	maxAge := int(sess.ExpiresAt.Sub(s.now()) / time.Second)
	if maxAge < 1 {
		maxAge = 1
	}
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: sess.ID, Path: "/", MaxAge: maxAge, Expires: sess.ExpiresAt,
		HTTPOnly: true, Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// clearCookie tells the browser to drop a cookie.
func (s *site) clearCookie(c *fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: "", Path: path, MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// loginCSRF returns the double-submit token of the sign-in form: the one the
// browser already holds, or a new one set as a cookie.
func (s *site) loginCSRF(c *fiber.Ctx) (string, error) {
	if tok := c.Cookies(loginCSRFCookie); validRandom(tok) {
		return tok, nil
	}
	tok, err := randomToken()
	if err != nil {
		return "", err
	}
	c.Cookie(&fiber.Cookie{
		Name: loginCSRFCookie, Value: tok, Path: "/login", SessionOnly: true,
		HTTPOnly: true, Secure: s.secure, SameSite: fiber.CookieSameSiteStrictMode,
	})
	return tok, nil
}

// randomLen is the number of random bytes of a login CSRF token.
const randomLen = 32

// randomToken returns randomLen random bytes, base64url without padding.
func randomToken() (string, error) {
	b := make([]byte, randomLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validRandom reports whether s looks like a token from randomToken.
func validRandom(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == randomLen
}

// safeNext returns next if it is a local path of this site ("/x?y"), else
// defaultNext. Absolute URLs, scheme-relative "//host" and backslash tricks
// ("/\host", which browsers read as "//host") are refused: no open redirect.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") {
		return defaultNext
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return defaultNext
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return defaultNext
	}
	if u.Path == "/login" || u.Path == "/logout" {
		return defaultNext
	}
	return next
}
