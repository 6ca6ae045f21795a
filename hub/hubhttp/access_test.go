package hubhttp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"quarry/hub"
)

func TestWhoamiOrgsAndRoles(t *testing.T) {
	e := newEnv(t)
	ctx, op := context.Background(), hub.Operator()
	if _, err := e.svc.CreateOrg(ctx, op, "news", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddOrgMember(ctx, op, "news", "bob", hub.OrgRoleRead); err != nil {
		t.Fatal(err)
	}
	type org struct{ Type, ID, Name, Fullname, RoleInOrg string }
	type whoami struct {
		Name string
		Orgs []org
		Auth struct {
			Type        string
			AccessToken struct {
				Role        string
				FineGrained struct {
					Scoped []struct {
						Entity      struct{ Type, Name string }
						Permissions []string
					}
				}
			}
		}
	}
	var who whoami
	e.req("GET", "/api/whoami-v2", e.bob, nil).must(t, 200).json(t, &who)
	if len(who.Orgs) != 1 || who.Orgs[0].Type != "org" || who.Orgs[0].Name != "news" ||
		who.Orgs[0].RoleInOrg != "read" || len(who.Orgs[0].ID) != 24 {
		t.Fatalf("bob's orgs = %+v", who.Orgs)
	}
	e.req("GET", "/api/whoami-v2", e.alice, nil).must(t, 200).json(t, &who)
	if len(who.Orgs) != 1 || who.Orgs[0].RoleInOrg != "admin" || who.Auth.AccessToken.Role != "write" {
		t.Fatalf("alice = %+v", who)
	}
	scopes := []hub.TokenScope{{Namespace: "news", Role: hub.RoleWrite}, {Type: hub.Dataset, Namespace: "alice", Name: "d", Role: hub.RoleRead}}
	fine, _, err := e.svc.CreateScopedToken(ctx, "alice", "ci", scopes)
	if err != nil {
		t.Fatal(err)
	}
	who = whoami{}
	e.req("GET", "/api/whoami-v2", fine, nil).must(t, 200).json(t, &who)
	at := who.Auth.AccessToken
	if who.Auth.Type != "access_token" || at.Role != "fineGrained" || len(at.FineGrained.Scoped) != 2 {
		t.Fatalf("fine-grained whoami = %+v", who.Auth)
	}
	s0, s1 := at.FineGrained.Scoped[0], at.FineGrained.Scoped[1]
	if s0.Entity.Type != "org" || s0.Entity.Name != "news" || strings.Join(s0.Permissions, ",") != "repo.content.read,repo.write" ||
		s1.Entity.Type != "dataset" || s1.Entity.Name != "alice/d" || strings.Join(s1.Permissions, ",") != "repo.content.read" {
		t.Fatalf("scoped = %+v", at.FineGrained.Scoped)
	}
}

func TestOrgRepoStatuses(t *testing.T) {
	e := newEnv(t)
	ctx, op := context.Background(), hub.Operator()
	if _, err := e.svc.CreateOrg(ctx, op, "news", "alice"); err != nil {
		t.Fatal(err)
	}
	e.createRepo(e.alice, "news/draft", "model", true)
	e.req("GET", "/api/models/news/draft", "", nil).mustError(t, 401, "RepoNotFound")
	e.req("GET", "/api/models/news/draft", e.bob, nil).mustError(t, 404, "RepoNotFound")
	if _, err := e.svc.AddOrgMember(ctx, op, "news", "bob", hub.OrgRoleRead); err != nil {
		t.Fatal(err)
	}
	e.req("GET", "/api/models/news/draft", e.bob, nil).must(t, 200)
	e.req("GET", "/news/draft/resolve/main/.gitattributes", e.bob, nil).must(t, 200)
	e.req("POST", "/api/models/news/draft/commit/main", e.bob, ndjson("x", "", fileOp("a.txt", "a")),
		"Content-Type: application/x-ndjson").must(t, 403)
	e.req("PUT", "/api/models/news/draft/settings", e.bob, map[string]any{"private": false}).must(t, 403)
	e.req("PUT", "/api/models/news/draft/settings", e.alice, map[string]any{"private": false}).must(t, 200)
	e.req("GET", "/api/models/news/draft", "", nil).must(t, 200)
}

func TestBadTokensRateLimited(t *testing.T) {
	e := newEnv(t)
	p := hub.DefaultThrottlePolicy()
	p.Token = hub.Budget{Burst: 3, Every: 90 * time.Second}
	e.svc.SetThrottlePolicy(p)
	for range 3 {
		r := e.req("GET", "/api/models", "hf_notatoken", nil).mustError(t, 401, "")
		if got := r.Header.Get("X-Error-Message"); got != "Invalid credentials in Authorization header" {
			t.Fatalf("message = %q", got)
		}
	}
	r := e.req("GET", "/api/models", "hf_notatoken", nil).mustError(t, 429, "")
	if got := r.Header.Get("Retry-After"); got != "90" {
		t.Fatalf("Retry-After = %q, want 90", got)
	}
	// Without credentials the same address is served.
	e.req("GET", "/api/models", "", nil).must(t, 200)
}

func TestSessionCookieAuth(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.CreateUser(ctx, "carol", "", "pass phrase", false); err != nil {
		t.Fatal(err)
	}
	sess, err := e.svc.SignIn(ctx, "carol", "pass phrase", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cookie := "Cookie: quarry_session=" + sess.ID
	var who struct {
		Name string
		Auth struct{ Type string }
	}
	e.req("GET", "/api/whoami-v2", "", nil, cookie).must(t, 200).json(t, &who)
	if who.Name != "carol" || who.Auth.Type != "session" {
		t.Fatalf("whoami with the cookie = %+v", who)
	}
	// The Authorization header wins over the cookie.
	e.req("GET", "/api/whoami-v2", e.bob, nil, cookie).must(t, 200).json(t, &who)
	if who.Name != "bob" {
		t.Fatalf("whoami with a token and a cookie = %q, want bob", who.Name)
	}
	body := map[string]any{"name": "c1", "type": "model"}
	// State-changing calls need the CSRF header; without it the cookie is ignored.
	e.req("POST", "/api/repos/create", "", body, cookie).must(t, 401)
	e.req("POST", "/api/repos/create", "", body, cookie, "X-CSRF-Token: "+sess.CSRF+"x").must(t, 401)
	e.req("POST", "/api/repos/create", "", body, cookie, "X-CSRF-Token: "+sess.CSRF).must(t, 200)
	e.req("GET", "/api/models/carol/c1", "", nil, cookie).must(t, 200)
	// Unknown or signed-out sessions are anonymous, not errors.
	if err := e.svc.SignOut(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	e.req("GET", "/api/whoami-v2", "", nil, cookie).must(t, 401)
	e.req("GET", "/api/models/carol/c1", "", nil, cookie).must(t, 200)
}
