package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
	"quarry/hub/hubhttp"
	"quarry/infra"
	"quarry/web"
)

// Passwords of the test users.
const (
	alicePassword = "correct horse battery"
	bobPassword   = "bob's long password"
)

// env is the hub API and the web pages on one Fiber app over real stores
// (SQLite and files in a temporary directory), with users alice and bob.
type env struct {
	t   testing.TB
	app *fiber.App
	svc *hub.Service
}

func newEnv(t *testing.T) *env { return newEnvWith(t, web.Config{PublicURL: "http://quarry.test"}) }

// newEnvB is newEnv for benchmarks.
func newEnvB(b *testing.B) *env { return newEnvWith(b, web.Config{PublicURL: "http://quarry.test"}) }

func newEnvWith(t testing.TB, cfg web.Config) *env {
	t.Helper()
	blobs, meta, closer, err := infra.Open(infra.Config{Backend: infra.BackendLocal, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closer.Close() })
	svc := hub.NewService(blobs, meta, bytes.Repeat([]byte("k"), 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := hubhttp.NewServer(svc, hubhttp.Config{PublicURL: cfg.PublicURL, Logger: log})
	cfg.Logger = log
	web.Register(srv.App(), svc, cfg)
	ctx := context.Background()
	for name, pw := range map[string]string{"alice": alicePassword, "bob": bobPassword} {
		if _, err := svc.CreateUser(ctx, name, name+"@example.org", pw, false); err != nil {
			t.Fatal(err)
		}
	}
	return &env{t: t, app: srv.App(), svc: svc}
}

// browser is a client with a cookie jar, like a browser without JavaScript.
type browser struct {
	e       *env
	cookies map[string]string
}

func (e *env) browser() *browser { return &browser{e: e, cookies: map[string]string{}} }

// page is a response with its body read.
type page struct {
	*http.Response
	body string
}

// get sends GET path.
func (b *browser) get(path string) *page { return b.do("GET", path, nil) }

// post sends a urlencoded form.
func (b *browser) post(path string, form url.Values) *page { return b.do("POST", path, form) }

func (b *browser) do(method, path string, form url.Values) *page {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://quarry.test"+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.e.app.Test(req, -1)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return &page{Response: resp, body: string(raw)}
}

// must fails the test unless the response has status.
func (p *page) must(t testing.TB, status int) *page {
	t.Helper()
	if p.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", p.Request.Method, p.Request.URL, p.StatusCode, status, p.body)
	}
	return p
}

// redirect fails the test unless the response is a 303 to location.
func (p *page) redirect(t testing.TB, location string) *page {
	t.Helper()
	p.must(t, http.StatusSeeOther)
	if got := p.Header.Get("Location"); got != location {
		t.Fatalf("Location=%q, want %q", got, location)
	}
	return p
}

// contains fails the test unless the body contains every s.
func (p *page) contains(t testing.TB, ss ...string) *page {
	t.Helper()
	for _, s := range ss {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page does not contain %q:\n%s", s, p.body)
		}
	}
	return p
}

// lacks fails the test if the body contains any s.
func (p *page) lacks(t testing.TB, ss ...string) *page {
	t.Helper()
	for _, s := range ss {
		if strings.Contains(p.body, s) {
			t.Fatalf("page contains %q:\n%s", s, p.body)
		}
	}
	return p
}

// cookie returns the Set-Cookie of the response named name, or nil.
func (p *page) cookie(name string) *http.Cookie {
	for _, c := range p.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the value of the page's first csrf field.
func (p *page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", p.body)
	}
	return m[1]
}

// signIn signs b in through the sign-in form and returns the response.
func (b *browser) signIn(name, password, next string) *page {
	b.e.t.Helper()
	form := b.get("/login?next="+url.QueryEscape(next)).must(b.e.t, 200)
	return b.post("/login", url.Values{"csrf": {form.csrf(b.e.t)}, "name": {name}, "password": {password}, "next": {next}})
}

// signedIn returns a browser signed in as name, on the token page.
func (e *env) signedIn(name, password string) (*browser, *page) {
	e.t.Helper()
	b := e.browser()
	b.signIn(name, password, "/settings/tokens").redirect(e.t, "/settings/tokens")
	return b, b.get("/settings/tokens").must(e.t, 200)
}

// api sends an API request with an optional token and returns the status.
func (e *env) api(method, path, token string) int {
	e.t.Helper()
	req := httptest.NewRequest(method, "http://quarry.test"+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
