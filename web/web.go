// Package web serves Quarry's server-rendered pages for people: the home
// page with search, repo pages (rendered card, metrics, files, history,
// commit diffs, comparisons), user and organization pages, sign-in and
// sign-out, the access-token settings page, the repository visibility
// settings page and the account's activity (audit) page, with their
// stylesheet and script. Pages are html/template
// templates and assets embedded in the binary (no external CDN); they work
// without JavaScript, which only adds copy buttons.
//
// Cards are Markdown rendered by goldmark without raw HTML, with links and
// images filtered (markdown.go), under a CSP without inline script.
//
// Sessions: a successful sign-in sets the cookie "quarry_session" (HttpOnly,
// SameSite=Lax, Path=/, Secure when served over HTTPS) holding the secret
// session id of hub.Service.SignIn.
//
// CSRF: every state-changing form of a signed-in page carries a hidden "csrf"
// field that must equal the session's CSRF token (synchronizer token). The
// sign-in form, which has no session yet, uses a double-submit token: GET
// /login sets the random cookie "quarry_login_csrf" (HttpOnly, SameSite=Strict,
// Path=/login) and puts the same value in the form; POST /login refuses a form
// whose field does not match the cookie. A cross-site page can neither read
// nor set that cookie, so it cannot sign a victim in to the attacker's account
// (login CSRF). This was chosen over an Origin/Referer check because it does
// not depend on proxies and privacy settings that strip those headers.
//
// Register adds /login, /logout, /settings and /settings/..., and
// /static/... and /favicon.ico; the names are reserved user names in package hub, so they never
// shadow a namespace, and none collides with the HF API routes. It then adds
// the reading pages (browse.go): /, /NS, the repo pages /NS/NAME,
// /datasets/NS/NAME, /spaces/NS/NAME and their tree/, blob/, commits/,
// commit/ and compare/ sub-pages. Those are GET routes with parameters
// that step aside (c.Next) for reserved first segments, so routes added
// after Register still get their requests; the demo's /spaces/NS/NAME/
// (trailing slash) is left to the demo.
package web

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// Config configures the web pages.
type Config struct {
	// PublicURL is the absolute base URL of the site (QUARRY_PUBLIC_URL).
	PublicURL string
	// SecureCookies marks cookies Secure (sent over HTTPS only). It is also
	// implied by a PublicURL starting with "https://".
	SecureCookies bool
	// Logger receives internal errors; nil means slog.Default().
	Logger *slog.Logger
	// Training, when set, adds the training pages /training/new and
	// /training/ID (training.go).
	Training *hub.Training
}

// site holds what every handler needs.
type site struct {
	svc       *hub.Service
	publicURL string // base of absolute URLs in snippets, no trailing slash
	secure    bool
	log       *slog.Logger
	pages     *pages
	assets    *assets
	training  *hub.Training // nil without training pages
}

// Register adds the web routes to app, next to the hub API of package
// hubhttp. It panics if the embedded templates do not parse, which the
// package's tests rule out.
func Register(app *fiber.App, svc *hub.Service, cfg Config) {
	s := &site{
		svc:       svc,
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		secure:    cfg.SecureCookies || strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://"),
		log:       cfg.Logger,
		assets:    mustLoadAssets(),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.pages = mustParsePages(s.assets)
	app.Get("/static/:name", s.static)
	app.Get("/favicon.ico", func(c *fiber.Ctx) error { // browsers ask for it on any page
		return c.Redirect(s.assets.url("favicon.svg"), fiber.StatusMovedPermanently)
	})
	app.Get("/login", s.wrap(s.loginForm))
	app.Post("/login", s.wrap(s.login))
	app.Post("/logout", s.wrap(s.logout))
	app.Get("/settings", s.wrap(func(c *fiber.Ctx) error {
		return c.Redirect("/settings/tokens", fiber.StatusSeeOther)
	}))
	app.Get("/settings/tokens", s.wrap(s.tokens))
	app.Post("/settings/tokens", s.wrap(s.createToken))
	app.Post("/settings/tokens/revoke", s.wrap(s.revokeToken))
	app.Get("/settings/repos", s.wrap(s.repos))
	app.Post("/settings/repos/visibility", s.wrap(s.setVisibility))
	app.Get("/settings/activity", s.wrap(s.activity))
	s.registerTraining(app, cfg.Training)
	s.registerBrowse(app)
}

// contentSecurityPolicy allows only the site's own scripts, styles and
// forms: no inline script, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// wrap sets the security headers of pages and renders an error page for
// any error h returns, so that web routes never answer with the API's JSON.
func (s *site) wrap(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("Content-Security-Policy", contentSecurityPolicy)
		c.Set("X-Frame-Options", "DENY")
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("Referrer-Policy", "same-origin")
		c.Set("Cache-Control", "no-store")
		if err := h(c); err != nil {
			return s.errorPage(c, err)
		}
		return nil
	}
}

// now returns the service's clock.
func (s *site) now() time.Time {
	if s.svc.Now != nil {
		return s.svc.Now()
	}
	return time.Now()
}
