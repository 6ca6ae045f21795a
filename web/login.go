package web

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// loginData is the sign-in page's data.
type loginData struct {
	Name      string // the name typed before, never the password
	Next      string
	CSRF      string // double-submit token, equal to the quarry_login_csrf cookie
	Error     string
	SignedOut bool
}

// maxFieldLen bounds names and passwords read from the sign-in form.
const maxFieldLen = 1024

// loginForm serves GET /login. A signed-in visitor goes straight to next.
func (s *site) loginForm(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	u, err := s.currentUser(c)
	if err != nil {
		return err
	}
	if u != nil {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return s.showLogin(c, fiber.StatusOK, loginData{Next: next, SignedOut: c.Query("signed_out") == "1"})
}

// showLogin renders the sign-in form with a (new or kept) CSRF token.
func (s *site) showLogin(c *fiber.Ctx, status int, d loginData) error {
	tok, err := s.loginCSRF(c)
	if err != nil {
		return fmt.Errorf("sign-in form: %w", err)
	}
	d.CSRF = tok
	return s.render(c, status, "login", view{Title: "Sign in", Page: d})
}

// login serves POST /login: it checks the double-submit token, signs in
// with the client's address (for throttling), sets the session cookie and
// redirects to next (303). Wrong credentials give 401, throttling 429 with
// Retry-After, a bad form token 403; each re-shows the form with a message.
func (s *site) login(c *fiber.Ctx) error {
	d := loginData{Name: c.FormValue("name"), Next: safeNext(c.FormValue("next"))}
	password := c.FormValue("password")
	if !sameToken(c.FormValue("csrf"), c.Cookies(loginCSRFCookie)) {
		d.Error = "Your sign-in form has expired or did not come from this site. Please sign in again."
		return s.showLogin(c, fiber.StatusForbidden, d)
	}
	if len(d.Name) > maxFieldLen || len(password) > maxFieldLen {
		d.Name = ""
		d.Error = "Name or password is too long."
		return s.showLogin(c, fiber.StatusBadRequest, d)
	}
	if strings.TrimSpace(d.Name) == "" || password == "" {
		d.Error = "Enter your name and your password."
		return s.showLogin(c, fiber.StatusBadRequest, d)
	}
	sess, err := s.svc.SignIn(c.UserContext(), strings.TrimSpace(d.Name), password, c.IP())
	if err != nil {
		return s.loginFailed(c, d, err)
	}
	s.setSessionCookie(c, sess)
	s.clearCookie(c, loginCSRFCookie, "/login")
	return c.Redirect(d.Next, fiber.StatusSeeOther)
}

// loginFailed re-shows the sign-in form after a refused sign-in.
func (s *site) loginFailed(c *fiber.Ctx, d loginData, err error) error {
	if secs := setRetryAfter(c, err); secs > 0 || errors.Is(err, hub.ErrRateLimited) {
		d.Error = "Too many failed sign-ins. Please wait"
		if secs > 0 {
			d.Error += fmt.Sprintf(" %s", plural(secs, "second"))
		}
		d.Error += " and try again."
		return s.showLogin(c, fiber.StatusTooManyRequests, d)
	}
	if errors.Is(err, hub.ErrUnauthorized) {
		d.Error = hub.ErrorMessage(err)
		return s.showLogin(c, fiber.StatusUnauthorized, d)
	}
	return err
}

// logout serves POST /logout: it ends the session, clears the cookie and
// goes to the sign-in page. Without a session it just goes there.
func (s *site) logout(c *fiber.Ctx) error {
	u, err := s.requireForm(c, "/settings/tokens")
	if u == nil {
		return err
	}
	if err := s.svc.SignOut(c.UserContext(), u.session.ID); err != nil {
		return err
	}
	s.clearCookie(c, sessionCookie, "/")
	return c.Redirect("/login?signed_out=1", fiber.StatusSeeOther)
}

// plural returns "1 second" or "n seconds".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
