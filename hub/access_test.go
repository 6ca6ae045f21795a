package hub_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"quarry/hub"
)

// outcome renders an authorization result as the HTTP status it maps to:
// "ok", "401", "401R" / "404R" (with X-Error-Code RepoNotFound), "403".
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	code := ""
	if hub.ErrorCode(err) == "RepoNotFound" {
		code = "R"
	}
	switch {
	case errors.Is(err, hub.ErrUnauthorized):
		return "401" + code
	case errors.Is(err, hub.ErrNotFound):
		return "404" + code
	case errors.Is(err, hub.ErrForbidden):
		return "403" + code
	}
	return "unexpected: " + err.Error()
}

func person(name string) *hub.User { return &hub.User{Name: name} }

func member(org, user, role string) hub.Membership {
	return hub.Membership{Org: org, User: user, Role: role}
}

// TestDecide runs every (caller x repo x action) cell of the access rules.
func TestDecide(t *testing.T) {
	repos := []*hub.Repo{
		{Key: "k-pub", ID: hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "pub"}},
		{Key: "k-priv", ID: hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "priv"}, Private: true},
		{Key: "k-org", ID: hub.RepoID{Type: hub.Model, Namespace: "news", Name: "draft"}, Private: true},
		{Key: "k-granted", ID: hub.RepoID{Type: hub.Dataset, Namespace: "news", Name: "leaks"}, Private: true},
	}
	grants := map[string][]hub.Grant{"k-granted": {
		{RepoKey: "k-granted", Subject: hub.TeamSubject("news", "desk"), Role: hub.RoleRead},
		{RepoKey: "k-granted", Subject: hub.UserSubject("Dave"), Role: hub.RoleWrite},
	}}
	alice, carol := person("alice"), person("carol")
	news := func(role string) []hub.Membership { return []hub.Membership{member("news", "x", role)} }
	fine := func(u *hub.User, orgs []hub.Membership, scopes ...string) *hub.Caller {
		tok := &hub.Token{Role: hub.RoleFineGrained}
		for _, s := range scopes {
			sc, err := hub.ParseRepoScope(s)
			if err != nil {
				if sc, err = hub.ParseNamespaceScope(s); err != nil {
					t.Fatalf("scope %q: %v", s, err)
				}
			}
			tok.Scopes = append(tok.Scopes, sc)
		}
		return &hub.Caller{User: u, Token: tok, Orgs: orgs}
	}
	// Columns: public user repo, private user repo, private org repo, private
	// org repo granted to team news/desk (read) and user dave (write); each
	// "read write admin".
	tests := []struct {
		name   string
		caller *hub.Caller
		want   [4]string
	}{
		{"Anonymous", &hub.Caller{}, [4]string{"ok 401 401", "401R 401R 401R", "401R 401R 401R", "401R 401R 401R"}},
		{"Owner", &hub.Caller{User: alice}, [4]string{"ok ok ok", "ok ok ok", "404R 404R 404R", "404R 404R 404R"}},
		{"OwnerWriteToken", &hub.Caller{User: alice, Token: &hub.Token{Role: hub.RoleWrite}}, [4]string{"ok ok ok", "ok ok ok", "404R 404R 404R", "404R 404R 404R"}},
		{"OwnerReadToken", &hub.Caller{User: alice, Token: &hub.Token{Role: hub.RoleRead}}, [4]string{"ok 403 403", "ok 403 403", "404R 404R 404R", "404R 404R 404R"}},
		{"SiteAdmin", &hub.Caller{User: &hub.User{Name: "root", Admin: true}}, [4]string{"ok ok ok", "ok ok ok", "ok ok ok", "ok ok ok"}},
		{"SiteAdminReadToken", &hub.Caller{User: &hub.User{Name: "root", Admin: true}, Token: &hub.Token{Role: hub.RoleRead}}, [4]string{"ok 403 403", "ok 403 403", "ok 403 403", "ok 403 403"}},
		{"OrgAdmin", &hub.Caller{User: carol, Orgs: news(hub.OrgRoleAdmin)}, [4]string{"ok 403 403", "404R 404R 404R", "ok ok ok", "ok ok ok"}},
		{"OrgAdminReadToken", &hub.Caller{User: carol, Orgs: news(hub.OrgRoleAdmin), Token: &hub.Token{Role: hub.RoleRead}}, [4]string{"ok 403 403", "404R 404R 404R", "ok 403 403", "ok 403 403"}},
		{"OrgWrite", &hub.Caller{User: person("olivia"), Orgs: news(hub.OrgRoleWrite)}, [4]string{"ok 403 403", "404R 404R 404R", "ok ok 403", "ok ok 403"}},
		{"OrgRead", &hub.Caller{User: person("oscar"), Orgs: news(hub.OrgRoleRead)}, [4]string{"ok 403 403", "404R 404R 404R", "ok 403 403", "ok 403 403"}},
		{"TeamReadGrant", &hub.Caller{User: person("tom"), Teams: []string{"news/desk"}}, [4]string{"ok 403 403", "404R 404R 404R", "404R 404R 404R", "ok 403 403"}},
		{"OtherTeam", &hub.Caller{User: person("tom"), Teams: []string{"other/desk"}}, [4]string{"ok 403 403", "404R 404R 404R", "404R 404R 404R", "404R 404R 404R"}},
		{"UserWriteGrant", &hub.Caller{User: person("dave")}, [4]string{"ok 403 403", "404R 404R 404R", "404R 404R 404R", "ok ok 403"}},
		{"Outsider", &hub.Caller{User: person("eve")}, [4]string{"ok 403 403", "404R 404R 404R", "404R 404R 404R", "404R 404R 404R"}},
		{"FineGrainedOtherRepo", fine(alice, nil, "model/alice/other:write"), [4]string{"ok 403 403", "404R 404R 404R", "404R 404R 404R", "404R 404R 404R"}},
		{"FineGrainedThisRepo", fine(alice, nil, "model/alice/priv:write"), [4]string{"ok 403 403", "ok ok ok", "404R 404R 404R", "404R 404R 404R"}},
		{"FineGrainedWrongType", fine(alice, nil, "dataset/alice/priv:write"), [4]string{"ok 403 403", "404R 404R 404R", "404R 404R 404R", "404R 404R 404R"}},
		{"FineGrainedRepoRead", fine(alice, nil, "alice/priv:read"), [4]string{"ok 403 403", "ok 403 403", "404R 404R 404R", "404R 404R 404R"}},
		{"FineGrainedNamespaceRead", fine(alice, nil, "alice:read"), [4]string{"ok 403 403", "ok 403 403", "404R 404R 404R", "404R 404R 404R"}},
		{"FineGrainedNamespaceWrite", fine(alice, nil, "ALICE:write"), [4]string{"ok ok ok", "ok ok ok", "404R 404R 404R", "404R 404R 404R"}},
		{"FineGrainedBeyondUser", fine(person("eve"), nil, "news:write", "alice/priv:write"), [4]string{"ok 403 403", "404R 404R 404R", "404R 404R 404R", "404R 404R 404R"}},
		{"FineGrainedOrgAdmin", fine(carol, news(hub.OrgRoleAdmin), "news:write"), [4]string{"ok 403 403", "404R 404R 404R", "ok ok ok", "ok ok ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, r := range repos {
				var got []string
				for _, a := range []hub.Action{hub.ActionRead, hub.ActionWrite, hub.ActionAdmin} {
					got = append(got, outcome(hub.Decide(tt.caller, r, grants[r.Key], a)))
				}
				if got, want := strings.Join(got, " "), tt.want[i]; got != want {
					t.Errorf("%s %s: got %q, want %q", r.ID.Type, r.ID, got, want)
				}
			}
		})
	}
}

func TestAuthorizeNamespace(t *testing.T) {
	org := func(role string) []hub.Membership { return []hub.Membership{member("News", "x", role)} }
	scoped := func(s string) *hub.Token {
		sc, err := hub.ParseNamespaceScope(s)
		if err != nil {
			sc, _ = hub.ParseRepoScope(s)
		}
		return &hub.Token{Role: hub.RoleFineGrained, Scopes: []hub.TokenScope{sc}}
	}
	tests := []struct {
		caller *hub.Caller
		ns     string
		want   string
	}{
		{&hub.Caller{}, "alice", "401"},
		{&hub.Caller{User: person("alice")}, "Alice", "ok"},
		{&hub.Caller{User: person("alice")}, "bob", "403"},
		{&hub.Caller{User: person("alice"), Token: &hub.Token{Role: hub.RoleRead}}, "alice", "403"},
		{&hub.Caller{User: person("alice"), Token: scoped("alice:write")}, "alice", "ok"},
		{&hub.Caller{User: person("alice"), Token: scoped("alice:read")}, "alice", "403"},
		{&hub.Caller{User: person("alice"), Token: scoped("alice/x:write")}, "alice", "403"},
		{&hub.Caller{User: person("carol"), Orgs: org(hub.OrgRoleAdmin)}, "news", "ok"},
		{&hub.Caller{User: person("olivia"), Orgs: org(hub.OrgRoleWrite)}, "news", "ok"},
		{&hub.Caller{User: person("oscar"), Orgs: org(hub.OrgRoleRead)}, "news", "403"},
		{&hub.Caller{User: &hub.User{Name: "root", Admin: true}}, "news", "ok"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if got := outcome(hub.AuthorizeNamespace(tt.caller, tt.ns)); got != tt.want {
				t.Fatalf("AuthorizeNamespace(%s as %s) = %s, want %s", tt.ns, tt.caller.Name(), got, tt.want)
			}
		})
	}
}

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in, want string // want "" means invalid
		ns       bool
	}{
		{"model/alice/bert:read", "model/alice/bert:read", false},
		{"datasets/news/leaks:write", "dataset/news/leaks:write", false},
		{"alice/bert:write", "model/alice/bert:write", false},
		{"space/a/b:admin", "", false},
		{"a/b/c/d:read", "", false},
		{"alice/bert", "", false},
		{"bucket/a/b:read", "", false},
		{"news:write", "news:write", true},
		{"news:owner", "", true},
		{"ne/ws:read", "", true},
	}
	for _, tt := range tests {
		parse := hub.ParseRepoScope
		if tt.ns {
			parse = hub.ParseNamespaceScope
		}
		sc, err := parse(tt.in)
		if tt.want == "" {
			if !errors.Is(err, hub.ErrInvalid) {
				t.Errorf("parse(%q) = %v, %v; want ErrInvalid", tt.in, sc, err)
			}
			continue
		}
		if err != nil || sc.String() != tt.want {
			t.Errorf("parse(%q) = %q, %v; want %q", tt.in, sc.String(), err, tt.want)
		}
	}
}
