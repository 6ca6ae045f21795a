package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"quarry/hub"
)

// repoFixture creates alice/draft (private model), alice/tiles (public
// dataset), the org newsroom (owner alice, bob a write member) with
// newsroom/story (private model), and carol/secret (private).
func repoFixture(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	op := hub.Operator()
	if _, err := e.svc.CreateUser(ctx, "carol", "", "carol's password", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateOrg(ctx, op, "newsroom", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddOrgMember(ctx, op, "newsroom", "bob", hub.OrgRoleWrite); err != nil {
		t.Fatal(err)
	}
	for _, r := range []hub.CreateRepoInput{
		{ID: hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "draft"}, Private: true},
		{ID: hub.RepoID{Type: hub.Dataset, Namespace: "alice", Name: "tiles"}},
		{ID: hub.RepoID{Type: hub.Model, Namespace: "newsroom", Name: "story"}, Private: true},
		{ID: hub.RepoID{Type: hub.Model, Namespace: "carol", Name: "secret"}, Private: true},
	} {
		if _, err := e.svc.CreateRepo(ctx, op, r); err != nil {
			t.Fatal(err)
		}
	}
}

// visibility submits the visibility form.
func (b *browser) visibility(csrf, typ, repo, private string) *page {
	return b.post("/settings/repos/visibility", url.Values{"csrf": {csrf}, "type": {typ}, "repo": {repo}, "private": {private}})
}

func TestReposList(t *testing.T) {
	e := newEnv(t)
	repoFixture(t, e)
	alice, _ := e.signedIn("alice", alicePassword)
	p := alice.get("/settings/repos").must(t, 200)
	p.contains(t, `aria-current="page">Repositories`, "alice <span class=\"muted\">(you)</span>",
		"newsroom <span class=\"muted\">(organization)</span>", "<th scope=\"row\">alice/draft</th>",
		"<th scope=\"row\">alice/tiles</th>", "<th scope=\"row\">newsroom/story</th>", "Private", "Public",
		"Make public", "Make private").lacks(t, "carol")
	// bob writes to newsroom but does not administer it.
	bob, _ := e.signedIn("bob", bobPassword)
	bob.get("/settings/repos").must(t, 200).contains(t, "No repositories yet").lacks(t, "newsroom", "alice/draft")
}

func TestVisibilityToggle(t *testing.T) {
	e := newEnv(t)
	repoFixture(t, e)
	b, _ := e.signedIn("alice", alicePassword)
	csrf := b.get("/settings/repos").must(t, 200).csrf(t)
	if got := e.api("GET", "/api/models/alice/draft", ""); got != http.StatusUnauthorized {
		t.Fatalf("anonymous info of private alice/draft: %d, want 401", got)
	}
	b.visibility(csrf, "model", "alice/draft", "false").redirect(t, "/settings/repos?changed=model%2Falice%2Fdraft")
	b.get("/settings/repos?changed=model%2Falice%2Fdraft").must(t, 200).contains(t, "alice/draft is now public")
	if got := e.api("GET", "/api/models/alice/draft", ""); got != 200 {
		t.Fatalf("anonymous info of alice/draft after making it public: %d, want 200", got)
	}
	b.visibility(csrf, "model", "newsroom/story", "false").must(t, http.StatusSeeOther)
	b.visibility(csrf, "model", "newsroom/story", "true").must(t, http.StatusSeeOther)
	b.visibility(csrf, "model", "alice/draft", "true").must(t, http.StatusSeeOther)
	if got := e.api("GET", "/api/models/alice/draft", ""); got != http.StatusUnauthorized {
		t.Fatalf("anonymous info of alice/draft after making it private again: %d, want 401", got)
	}
}

func TestVisibilityRefused(t *testing.T) {
	e := newEnv(t)
	repoFixture(t, e)
	bob, p := e.signedIn("bob", bobPassword)
	csrf := p.csrf(t)
	for _, tc := range []struct {
		typ, repo, private string
		status             int
		want               string
	}{
		{"model", "newsroom/story", "false", http.StatusForbidden, "You don&#39;t have the rights"},
		{"model", "carol/secret", "false", http.StatusNotFound, "Repository not found"},
		{"model", "alice/nothing", "false", http.StatusNotFound, "Repository not found"},
		{"model", "alice/draft", "maybe", http.StatusBadRequest, "Choose public or private"},
		{"widget", "alice/draft", "true", http.StatusBadRequest, "invalid repo type"},
	} {
		bob.visibility(csrf, tc.typ, tc.repo, tc.private).must(t, tc.status).contains(t, tc.want, `role="alert"`)
	}
	// A signed-in page without the session's CSRF token changes nothing.
	alice, _ := e.signedIn("alice", alicePassword)
	alice.visibility(csrf, "model", "alice/draft", "false").must(t, http.StatusForbidden)
	if got := e.api("GET", "/api/models/newsroom/story", ""); got != http.StatusUnauthorized {
		t.Fatalf("anonymous info of newsroom/story: %d, want 401 (still private)", got)
	}
	if got := e.api("GET", "/api/models/alice/draft", ""); got != http.StatusUnauthorized {
		t.Fatalf("anonymous info of alice/draft: %d, want 401 (still private)", got)
	}
}
