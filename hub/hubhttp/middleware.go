package hubhttp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// Locals keys.
const (
	localRequestID = "quarry.requestID"
	localCaller    = "quarry.caller"
)

// exposedHeaders are the response headers browser clients may read.
const exposedHeaders = "ETag, Content-Range, Content-Length, Accept-Ranges, X-Repo-Commit, " +
	"X-Linked-Etag, X-Linked-Size, X-Error-Code, X-Error-Message, X-Request-Id, Link, X-Total-Count, " +
	"Content-Disposition, Location"

// maxDrain is how much of an unread request body is read and dropped after
// a handler so that the connection can serve the next request; beyond it the
// connection is closed instead.
const maxDrain = 256 << 10

// drainBody protects keep-alive connections: with streamed request bodies, a
// handler that answers without reading the whole body (a refused upload)
// would leave the rest to be parsed as the next request.
func (s *Server) drainBody(c *fiber.Ctx) error {
	err := c.Next()
	if r := c.Context().RequestBodyStream(); r != nil {
		if n, _ := io.CopyN(io.Discard, r, maxDrain+1); n > maxDrain {
			c.Context().SetConnectionClose()
		}
	}
	return err
}

// requestID gives every response an X-Request-Id.
func (s *Server) requestID(c *fiber.Ctx) error {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	id := hex.EncodeToString(b)
	c.Locals(localRequestID, id)
	c.Set("X-Request-Id", id)
	return c.Next()
}

func requestIDOf(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// cors lets browsers (huggingface.js, transformers.js) call every route and
// answers preflight requests.
func (s *Server) cors(c *fiber.Ctx) error {
	c.Set("Access-Control-Allow-Origin", "*")
	c.Set("Access-Control-Expose-Headers", exposedHeaders)
	if c.Method() != fiber.MethodOptions || c.Get("Access-Control-Request-Method") == "" {
		return c.Next()
	}
	c.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
	if h := c.Get("Access-Control-Request-Headers"); h != "" {
		c.Set("Access-Control-Allow-Headers", h)
	} else {
		c.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Range, X-Request-Id")
	}
	c.Set("Access-Control-Max-Age", "86400")
	return c.SendStatus(fiber.StatusNoContent)
}

// SessionCookie is the name of the web session cookie (set by the web
// sign-in pages, read here for API calls).
const SessionCookie = "quarry_session"

// CSRFHeader carries the session's CSRF token on state-changing API calls
// authenticated by the session cookie.
const CSRFHeader = "X-CSRF-Token"

// authenticate turns the request's credentials into its Caller:
//
//   - The Authorization header (Bearer token, or Basic with the token as
//     password, as git sends it) wins. No header means anonymous; a bad
//     token is 401 even on public resources; too many bad tokens from one
//     address are 429 with Retry-After.
//   - Else the session cookie: accepted as is for GET, HEAD and OPTIONS;
//     for other methods only when the X-CSRF-Token header equals the
//     session's CSRF token (a cross-site form cannot set it). An unknown,
//     expired or unaccepted cookie leaves the request anonymous, so that
//     stale cookies never break public pages.
func (s *Server) authenticate(c *fiber.Ctx) error {
	token, ok := tokenOf(c.Get(fiber.HeaderAuthorization))
	if !ok {
		return &hub.Error{Kind: hub.ErrUnauthorized, Message: "Invalid credentials in Authorization header"}
	}
	caller := &hub.Caller{}
	if token != "" {
		var err error
		if caller, err = s.svc.AuthenticateFrom(c.UserContext(), token, c.IP()); err != nil {
			return err
		}
	} else if id := c.Cookies(SessionCookie); id != "" {
		cl, sess, err := s.svc.SessionCaller(c.UserContext(), id)
		switch {
		case err == nil && cookieAccepted(c, sess):
			caller = cl
		case err != nil && !errors.Is(err, hub.ErrUnauthorized):
			return err
		}
	}
	c.Locals(localCaller, caller)
	return c.Next()
}

// cookieAccepted applies the CSRF rule of authenticate.
func cookieAccepted(c *fiber.Ctx, sess *hub.Session) bool {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return true
	}
	got := c.Get(CSRFHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// tokenOf extracts the token from an Authorization header value. It returns
// "" for no header, and ok=false for a header it cannot read.
func tokenOf(h string) (token string, ok bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", true
	}
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "bearer":
		return rest, rest != ""
	case "basic":
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", false
		}
		_, pass, _ := strings.Cut(string(b), ":")
		return pass, pass != ""
	}
	return "", false
}

// CallerOf returns the request's Caller as the API middleware authenticated
// it (anonymous when no credentials), for routes other packages add to App.
// Token callers' Orgs and Teams are loaded by Service.LoadMemberships.
func CallerOf(c *fiber.Ctx) *hub.Caller { return caller(c) }

// caller returns the request's Caller (anonymous when no credentials).
func caller(c *fiber.Ctx) *hub.Caller {
	if cl, ok := c.Locals(localCaller).(*hub.Caller); ok {
		return cl
	}
	return &hub.Caller{}
}

// baseURL returns the public base URL, without a trailing slash.
func (s *Server) baseURL(c *fiber.Ctx) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	return c.BaseURL()
}
