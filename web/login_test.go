package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"quarry/hub"
	"quarry/web"
)

func TestSignedOutRedirectsToLogin(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, path := range []string{"/settings/tokens", "/settings/repos", "/settings/repos?x=1"} {
		b.get(path).redirect(t, "/login?next="+url.QueryEscape(path))
	}
	b.get("/settings").redirect(t, "/settings/tokens")
	b.post("/settings/tokens", url.Values{"label": {"x"}, "role": {"read"}}).redirect(t, "/login?next=%2Fsettings%2Ftokens")
	b.post("/logout", nil).redirect(t, "/login?next=%2Fsettings%2Ftokens")
}

func TestLoginForm(t *testing.T) {
	e := newEnv(t)
	p := e.browser().get("/login?next=/settings/repos").must(t, 200)
	p.contains(t, `<label for="name">Name</label>`, `<label for="password">Password</label>`,
		`name="next" value="/settings/repos"`, `<main id="main"`, `<header`, `<footer`, `lang="en"`)
	c := p.cookie("quarry_login_csrf")
	if c == nil {
		t.Fatal("no quarry_login_csrf cookie")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/login" || c.Secure {
		t.Fatalf("login csrf cookie=%+v, want HttpOnly, SameSite=Strict, Path=/login, not Secure", c)
	}
	if got := p.csrf(t); got != c.Value {
		t.Fatalf("form csrf=%q, cookie %q: must be equal (double submit)", got, c.Value)
	}
	if got := p.Header.Get("Content-Security-Policy"); got == "" {
		t.Fatal("no Content-Security-Policy")
	}
	if got, want := p.Header.Get("Cache-Control"), "no-store"; got != want {
		t.Fatalf("Cache-Control=%q, want %q", got, want)
	}
}

func TestLoginOK(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	p := b.signIn("alice", alicePassword, "/settings/repos").redirect(t, "/settings/repos")
	c := p.cookie("quarry_session")
	if c == nil || c.Value == "" {
		t.Fatal("no quarry_session cookie")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
		t.Fatalf("session cookie=%+v, want HttpOnly, SameSite=Lax, Path=/, not Secure over http", c)
	}
	if want := int(hub.SessionTTL / time.Second); c.MaxAge < want-60 || c.MaxAge > want {
		t.Fatalf("session cookie Max-Age=%d, want about %d", c.MaxAge, want)
	}
	b.get("/settings/repos").must(t, 200).contains(t, "Signed in as <strong>alice</strong>")
	// A signed-in visitor of /login goes straight on.
	b.get("/login?next=/settings/repos").redirect(t, "/settings/repos")
}

func TestLoginNextIsLocalOnly(t *testing.T) {
	e := newEnv(t)
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/logout"} {
		e.browser().signIn("alice", alicePassword, next).redirect(t, "/settings/tokens")
	}
}

func TestLoginWrongPassword(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, password string }{
		{"alice", "wrong password"},
		{"nobody", "whatever"},
		{"alice", bobPassword},
	} {
		b := e.browser()
		p := b.signIn(tc.name, tc.password, "/settings/tokens").must(t, http.StatusUnauthorized)
		p.contains(t, "Invalid username or password", `value="`+tc.name+`"`, `role="alert"`).lacks(t, tc.password)
		if p.cookie("quarry_session") != nil {
			t.Fatal("a failed sign-in set a session cookie")
		}
	}
}

func TestLoginEmptyFields(t *testing.T) {
	e := newEnv(t)
	e.browser().signIn("alice", "", "/").must(t, http.StatusBadRequest).contains(t, "Enter your name and your password")
}

func TestLoginThrottled(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	var p *page
	for i := 0; i < 200; i++ {
		if p = b.signIn("alice", "wrong", "/settings/tokens"); p.StatusCode != http.StatusUnauthorized {
			break
		}
	}
	p.must(t, http.StatusTooManyRequests).contains(t, "Too many failed sign-ins")
	secs, err := strconv.Atoi(p.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After=%q, want a positive number of seconds", p.Header.Get("Retry-After"))
	}
	// The right password for another account still works.
	b.signIn("bob", bobPassword, "/settings/tokens").redirect(t, "/settings/tokens")
}

func TestLoginCSRF(t *testing.T) {
	e := newEnv(t)
	form := url.Values{"name": {"alice"}, "password": {alicePassword}, "next": {"/settings/tokens"}}
	// No cookie, no field: a cross-site form post.
	e.browser().post("/login", form).must(t, http.StatusForbidden).contains(t, "expired or did not come from this site")
	// A field that does not match the browser's cookie.
	b := e.browser()
	b.get("/login").must(t, 200)
	form.Set("csrf", "forged")
	p := b.post("/login", form).must(t, http.StatusForbidden)
	if p.cookie("quarry_session") != nil {
		t.Fatal("a forged sign-in set a session cookie")
	}
	// The re-shown form carries a token that works.
	form.Set("csrf", p.csrf(t))
	b.post("/login", form).redirect(t, "/settings/tokens")
}

func TestSecureCookies(t *testing.T) {
	for _, cfg := range []web.Config{{PublicURL: "https://hub.example"}, {PublicURL: "http://x", SecureCookies: true}} {
		e := newEnvWith(t, cfg)
		b := e.browser()
		if c := b.get("/login").must(t, 200).cookie("quarry_login_csrf"); c == nil || !c.Secure {
			t.Fatalf("%+v: login csrf cookie %+v, want Secure", cfg, c)
		}
		if c := b.signIn("alice", alicePassword, "/").cookie("quarry_session"); c == nil || !c.Secure {
			t.Fatalf("%+v: session cookie %+v, want Secure", cfg, c)
		}
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	b, p := e.signedIn("alice", alicePassword)
	session := b.cookies["quarry_session"]
	// Without the CSRF field the session survives.
	b.post("/logout", url.Values{}).must(t, http.StatusForbidden)
	b.get("/settings/tokens").must(t, 200)
	out := b.post("/logout", url.Values{"csrf": {p.csrf(t)}}).redirect(t, "/login?signed_out=1")
	if c := out.cookie("quarry_session"); c == nil || c.Value != "" || !c.Expires.Before(time.Now()) {
		t.Fatalf("logout cookie=%+v, want it cleared", c)
	}
	b.get("/login?signed_out=1").must(t, 200).contains(t, "You have signed out")
	// The old session id is dead, even if a copy of the cookie survives.
	b.cookies["quarry_session"] = session
	b.get("/settings/tokens").redirect(t, "/login?next=%2Fsettings%2Ftokens")
}
