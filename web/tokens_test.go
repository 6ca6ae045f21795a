package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"quarry/hub"
)

var newTokenField = regexp.MustCompile(`id="new-token" type="text" value="(hf_[A-Za-z0-9]+)"`)

// createToken submits the creation form and returns the page and the new
// token's plaintext ("" when none is shown).
func (b *browser) createToken(csrf string, form url.Values) (*page, string) {
	form.Set("csrf", csrf)
	p := b.post("/settings/tokens", form)
	if m := newTokenField.FindStringSubmatch(p.body); m != nil {
		return p, m[1]
	}
	return p, ""
}

func TestTokenCreateUseRevoke(t *testing.T) {
	e := newEnv(t)
	b, p := e.signedIn("alice", alicePassword)
	p.contains(t, "You have no tokens yet")
	created, tok := b.createToken(p.csrf(t), url.Values{"label": {"laptop"}, "role": {"read"}})
	created.must(t, 200).contains(t, "Token “laptop” created", "shown only this once", `<label for="new-token">New token</label>`)
	if tok == "" {
		t.Fatalf("no new token shown:\n%s", created.body)
	}
	if got := created.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control=%q, want no-store on the page showing a token", got)
	}
	if got := e.api("GET", "/api/whoami-v2", tok); got != 200 {
		t.Fatalf("whoami with the new token: %d, want 200", got)
	}
	suffix := tok[len(tok)-4:]
	list := b.get("/settings/tokens").must(t, 200)
	list.contains(t, "<th scope=\"row\">laptop</th>", "…"+suffix, "Active").lacks(t, tok, "You have no tokens yet")

	ts, err := e.svc.ListTokens(context.Background(), "alice")
	if err != nil || len(ts) != 1 || ts[0].Role != hub.RoleRead || ts[0].Label != "laptop" {
		t.Fatalf("ListTokens=%+v, %v; want one read token labelled laptop", ts, err)
	}
	b.post("/settings/tokens/revoke", url.Values{"csrf": {list.csrf(t)}, "hash": {ts[0].Hash}}).
		redirect(t, "/settings/tokens?revoked="+suffix)
	b.get("/settings/tokens?revoked="+suffix).must(t, 200).contains(t, "Token …"+suffix+" revoked", "Revoked")
	if got := e.api("GET", "/api/whoami-v2", tok); got != http.StatusUnauthorized {
		t.Fatalf("whoami with the revoked token: %d, want 401", got)
	}
}

func TestTokenRoles(t *testing.T) {
	e := newEnv(t)
	b, p := e.signedIn("alice", alicePassword)
	csrf := p.csrf(t)
	for _, tc := range []struct {
		form   url.Values
		role   string
		scopes []hub.TokenScope
		shown  string
	}{
		{url.Values{"label": {"ci"}, "role": {"write"}}, hub.RoleWrite, nil, ""},
		{url.Values{"label": {"one repo"}, "role": {"fineGrained"}, "scopes": {"datasets/alice/tiles:write\r\nalice\n"}},
			hub.RoleFineGrained, []hub.TokenScope{
				{Type: hub.Dataset, Namespace: "alice", Name: "tiles", Role: hub.RoleWrite},
				{Namespace: "alice", Role: hub.RoleRead},
			}, "<code>dataset/alice/tiles:write</code>"},
	} {
		created, tok := b.createToken(csrf, tc.form)
		created.must(t, 200)
		if tok == "" {
			t.Fatalf("%v: no token shown", tc.form)
		}
		if tc.shown != "" {
			created.contains(t, tc.shown)
		}
		c, err := e.svc.Authenticate(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if c.Token.Role != tc.role || len(c.Token.Scopes) != len(tc.scopes) {
			t.Fatalf("%v: token %+v, want role %s scopes %+v", tc.form, c.Token, tc.role, tc.scopes)
		}
		for i, sc := range tc.scopes {
			if got := c.Token.Scopes[i]; got.Namespace != sc.Namespace || got.Name != sc.Name || got.Role != sc.Role ||
				(sc.Name != "" && got.Type != sc.Type) {
				t.Fatalf("scope %d=%+v, want %+v", i, got, sc)
			}
		}
	}
}

func TestTokenCreateRefused(t *testing.T) {
	e := newEnv(t)
	b, p := e.signedIn("alice", alicePassword)
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"label": {""}, "role": {"read"}}, "Give the token a label"},
		{url.Values{"label": {"x"}, "role": {"admin"}}, "Choose the token&#39;s role"},
		{url.Values{"label": {"x"}, "role": {"fineGrained"}, "scopes": {""}}, "at least one repository or namespace"},
		{url.Values{"label": {"x"}, "role": {"fineGrained"}, "scopes": {"alice/ok\nbad name!:read"}}, "Scope on line 2"},
		{url.Values{"label": {"x"}, "role": {"fineGrained"}, "scopes": {"alice/x:admin"}}, "must be read or write"},
	} {
		got, tok := b.createToken(p.csrf(t), tc.form)
		got.must(t, http.StatusBadRequest).contains(t, tc.want, `role="alert"`)
		if tok != "" {
			t.Fatalf("%v: a token was created", tc.form)
		}
		// The form keeps what was typed.
		got.contains(t, `value="`+tc.form.Get("label")+`"`)
	}
	if ts, _ := e.svc.ListTokens(context.Background(), "alice"); len(ts) != 0 {
		t.Fatalf("refused forms created %d tokens", len(ts))
	}
}

func TestTokenFormsNeedCSRF(t *testing.T) {
	e := newEnv(t)
	b, p := e.signedIn("alice", alicePassword)
	_, other := e.signedIn("bob", bobPassword)
	for _, csrf := range []string{"", "wrong", other.csrf(t)} {
		got, tok := b.createToken(csrf, url.Values{"label": {"x"}, "role": {"write"}})
		got.must(t, http.StatusForbidden).contains(t, "did not come from this site")
		if tok != "" {
			t.Fatal("a token was created without the CSRF token")
		}
	}
	if ts, _ := e.svc.ListTokens(context.Background(), "alice"); len(ts) != 0 {
		t.Fatalf("forged forms created %d tokens", len(ts))
	}
	_, tok := b.createToken(p.csrf(t), url.Values{"label": {"x"}, "role": {"read"}})
	ts, _ := e.svc.ListTokens(context.Background(), "alice")
	b.post("/settings/tokens/revoke", url.Values{"hash": {ts[0].Hash}}).must(t, http.StatusForbidden)
	if got := e.api("GET", "/api/whoami-v2", tok); got != 200 {
		t.Fatalf("token revoked by a forged form: whoami %d", got)
	}
}

func TestRevokeSomeoneElsesToken(t *testing.T) {
	e := newEnv(t)
	bobTok, bobToken, err := e.svc.CreateToken(context.Background(), "bob", hub.RoleRead, "bob's")
	if err != nil {
		t.Fatal(err)
	}
	b, p := e.signedIn("alice", alicePassword)
	b.post("/settings/tokens/revoke", url.Values{"csrf": {p.csrf(t)}, "hash": {bobToken.Hash}}).
		must(t, http.StatusNotFound).contains(t, "does not exist or is not yours")
	if got := e.api("GET", "/api/whoami-v2", bobTok); got != 200 {
		t.Fatalf("bob's token after alice's attempt: whoami %d, want 200", got)
	}
}

func TestTokenLabelsAreEscaped(t *testing.T) {
	e := newEnv(t)
	b, p := e.signedIn("alice", alicePassword)
	label := `<script>alert("x")</script>`
	created, _ := b.createToken(p.csrf(t), url.Values{"label": {label}, "role": {"read"}})
	created.must(t, 200).lacks(t, label)
	b.get("/settings/tokens").must(t, 200).lacks(t, label).contains(t, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
}
