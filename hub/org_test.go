package hub_test

import (
	"slices"
	"testing"

	"quarry/hub"
)

// accessEnv is a service with users alice (site user), carol (owner of org
// news), oscar (news read member), tom (in team news/desk), eve (outsider),
// and a token-authenticated caller for each.
type accessEnv struct {
	*env
	callers map[string]*hub.Caller
}

func newAccessEnv(t *testing.T) *accessEnv {
	t.Helper()
	e := &accessEnv{env: newEnv(t), callers: map[string]*hub.Caller{}}
	op := hub.Operator()
	for _, name := range []string{"alice", "carol", "oscar", "tom", "eve"} {
		if _, err := e.svc.CreateUser(ctx, name, "", "", false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.CreateOrg(ctx, op, "news", "carol"); err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	if _, err := e.svc.AddOrgMember(ctx, op, "news", "oscar", hub.OrgRoleRead); err != nil {
		t.Fatalf("AddOrgMember: %v", err)
	}
	if _, err := e.svc.CreateTeam(ctx, op, "news", "desk"); err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	if err := e.svc.AddTeamMember(ctx, op, "news", "desk", "tom"); err != nil {
		t.Fatalf("AddTeamMember: %v", err)
	}
	return e
}

// as authenticates a fresh write token of name, loading memberships now.
func (e *accessEnv) as(t *testing.T, name string) *hub.Caller {
	t.Helper()
	plain, _, err := e.svc.CreateToken(ctx, name, hub.RoleWrite, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.AuthenticateFrom(ctx, plain, "10.0.0.1")
	if err != nil {
		t.Fatalf("AuthenticateFrom: %v", err)
	}
	return c
}

func (e *accessEnv) createRepo(t *testing.T, c *hub.Caller, id hub.RepoID, private bool) {
	t.Helper()
	if _, err := e.svc.CreateRepo(ctx, c, hub.CreateRepoInput{ID: id, Private: private}); err != nil {
		t.Fatalf("CreateRepo(%s): %v", id, err)
	}
}

// listed returns the ids c sees when listing models with search.
func (e *accessEnv) listed(t *testing.T, c *hub.Caller, search ...string) []string {
	t.Helper()
	repos, _, err := e.svc.ListRepos(ctx, c, hub.RepoFilter{Type: hub.Model, Search: search, Limit: 100, Sort: "id", Ascending: true})
	if err != nil {
		t.Fatalf("ListRepos: %v", err)
	}
	var ids []string
	for _, r := range repos {
		ids = append(ids, r.ID.String())
	}
	return ids
}

func TestOrgMembershipAndGrants(t *testing.T) {
	e := newAccessEnv(t)
	carol, oscar, tom, eve := e.as(t, "carol"), e.as(t, "oscar"), e.as(t, "tom"), e.as(t, "eve")
	draft := hub.RepoID{Type: hub.Model, Namespace: "news", Name: "secret-draft"}
	// Token callers load memberships only when a decision needs them.
	if len(carol.Orgs) != 0 {
		t.Fatalf("memberships loaded at authentication: %+v", carol.Orgs)
	}
	e.createRepo(t, carol, draft, true)
	if err := e.svc.LoadMemberships(ctx, tom); err != nil {
		t.Fatal(err)
	}
	if got := carol.Orgs; len(got) != 1 || got[0].Org != "news" || got[0].Role != hub.OrgRoleAdmin {
		t.Fatalf("carol's orgs = %+v, want news admin", got)
	}
	if got := tom.Teams; !slices.Equal(got, []string{"news/desk"}) {
		t.Fatalf("tom's teams = %v", got)
	}
	if err := e.svc.LoadMemberships(ctx, oscar); err != nil {
		t.Fatal(err)
	}
	wantKind(t, hub.AuthorizeNamespace(oscar, "news"), hub.ErrForbidden)
	for name, want := range map[string]string{"oscar": "ok", "tom": "404R", "eve": "404R", "anon": "401R"} {
		c := map[string]*hub.Caller{"oscar": oscar, "tom": tom, "eve": eve, "anon": e.anon}[name]
		_, err := e.svc.FindRepo(ctx, c, draft, hub.ActionRead)
		if got := outcome(err); got != want {
			t.Errorf("%s reading %s: %s, want %s", name, draft, got, want)
		}
	}
	_, err := e.svc.FindRepo(ctx, oscar, draft, hub.ActionWrite)
	wantKind(t, err, hub.ErrForbidden)

	// A grant to tom's team applies at once, in lookups and listings.
	if _, err := e.svc.GrantRepo(ctx, carol, draft, hub.TeamSubject("news", "desk"), hub.RoleRead); err != nil {
		t.Fatalf("GrantRepo: %v", err)
	}
	if _, err := e.svc.FindRepo(ctx, tom, draft, hub.ActionRead); err != nil {
		t.Fatalf("tom after the grant: %v", err)
	}
	if got := e.listed(t, tom, "secret"); !slices.Equal(got, []string{"news/secret-draft"}) {
		t.Fatalf("tom's listing = %v", got)
	}
	for _, search := range []string{"secret", "news/secret-draft", "draft"} {
		if got := e.listed(t, eve, search); len(got) != 0 {
			t.Fatalf("eve's listing for %q = %v, want nothing", search, got)
		}
	}
	if got := e.listed(t, oscar, "draft"); !slices.Equal(got, []string{"news/secret-draft"}) {
		t.Fatalf("oscar's listing = %v", got)
	}
	// Granting needs admin on the repo.
	_, err = e.svc.GrantRepo(ctx, oscar, draft, hub.UserSubject("eve"), hub.RoleRead)
	wantKind(t, err, hub.ErrForbidden)
	_, err = e.svc.GrantRepo(ctx, carol, draft, hub.UserSubject("nobody"), hub.RoleRead)
	wantKind(t, err, hub.ErrNotFound)
	_, err = e.svc.GrantRepo(ctx, carol, draft, hub.TeamSubject("news", "nope"), hub.RoleRead)
	wantKind(t, err, hub.ErrNotFound)

	// Revoking hides the repo again at once.
	if err := e.svc.RevokeGrant(ctx, carol, draft, hub.TeamSubject("news", "desk")); err != nil {
		t.Fatalf("RevokeGrant: %v", err)
	}
	_, err = e.svc.FindRepo(ctx, tom, draft, hub.ActionRead)
	wantCode(t, err, "RepoNotFound")
	if got := e.listed(t, tom, "secret"); len(got) != 0 {
		t.Fatalf("tom's listing after revoke = %v", got)
	}
}

func TestOrgManagementRights(t *testing.T) {
	e := newAccessEnv(t)
	carol, oscar, eve := e.as(t, "carol"), e.as(t, "oscar"), e.as(t, "eve")
	_, err := e.svc.AddOrgMember(ctx, oscar, "news", "eve", hub.OrgRoleRead)
	wantKind(t, err, hub.ErrForbidden)
	_, err = e.svc.AddOrgMember(ctx, eve, "news", "eve", hub.OrgRoleAdmin)
	wantKind(t, err, hub.ErrNotFound)
	_, err = e.svc.AddOrgMember(ctx, e.anon, "news", "eve", hub.OrgRoleAdmin)
	wantKind(t, err, hub.ErrUnauthorized)
	_, err = e.svc.AddOrgMember(ctx, carol, "news", "eve", "owner")
	wantKind(t, err, hub.ErrInvalid)
	_, err = e.svc.AddOrgMember(ctx, carol, "news", "news", hub.OrgRoleRead)
	wantKind(t, err, hub.ErrNotFound) // an org cannot be a member
	if _, err := e.svc.AddOrgMember(ctx, carol, "news", "eve", hub.OrgRoleWrite); err != nil {
		t.Fatalf("AddOrgMember by the owner: %v", err)
	}
	eve = e.as(t, "eve")
	if err := e.svc.LoadMemberships(ctx, eve); err != nil {
		t.Fatal(err)
	}
	if err := hub.AuthorizeNamespace(eve, "news"); err != nil {
		t.Fatalf("a write member may create repos in the org: %v", err)
	}
	_, err = e.svc.CreateTeam(ctx, eve, "news", "photo")
	wantKind(t, err, hub.ErrForbidden)
	_, err = e.svc.CreateTeam(ctx, carol, "news", "desk")
	wantKind(t, err, hub.ErrConflict)
	_, err = e.svc.CreateOrg(ctx, eve, "acme", "carol")
	wantKind(t, err, hub.ErrForbidden)
	_, err = e.svc.CreateOrg(ctx, eve, "alice", "eve")
	wantKind(t, err, hub.ErrConflict)
	_, err = e.svc.CreateOrg(ctx, hub.Operator(), "api", "eve")
	wantKind(t, err, hub.ErrInvalid)
	if err := e.svc.RemoveOrgMember(ctx, carol, "news", "eve"); err != nil {
		t.Fatal(err)
	}
	eve = e.as(t, "eve")
	if err := e.svc.LoadMemberships(ctx, eve); err != nil || len(eve.Orgs) != 0 {
		t.Fatalf("eve's orgs after removal = %+v", eve.Orgs)
	}
	ms, err := e.svc.ListOrgMembers(ctx, carol, "news")
	if err != nil || len(ms) != 2 {
		t.Fatalf("ListOrgMembers = %+v, %v", ms, err)
	}
}

func TestOrgsCannotSignInOrOwnTokens(t *testing.T) {
	e := newAccessEnv(t)
	_, _, err := e.svc.CreateToken(ctx, "news", hub.RoleWrite, "")
	wantKind(t, err, hub.ErrNotFound)
	_, err = e.svc.CreateUser(ctx, "NEWS", "", "pw", false)
	wantKind(t, err, hub.ErrConflict)
	_, err = e.svc.SignIn(ctx, "news", "", "10.0.0.1")
	wantKind(t, err, hub.ErrUnauthorized)
}

func TestVisibilityFlipAppliesAtOnce(t *testing.T) {
	e := newAccessEnv(t)
	alice := e.as(t, "alice")
	id := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "story"}
	e.createRepo(t, alice, id, true)
	check := func(want string, listed bool) {
		t.Helper()
		_, err := e.svc.FindRepo(ctx, e.anon, id, hub.ActionRead)
		if got := outcome(err); got != want {
			t.Fatalf("anonymous read = %s, want %s", got, want)
		}
		if got := len(e.listed(t, e.anon, "story")) == 1; got != listed {
			t.Fatalf("anonymous listing shows the repo: %v, want %v", got, listed)
		}
	}
	check("401R", false)
	pub, priv := false, true
	if _, err := e.svc.UpdateRepoSettings(ctx, alice, id, hub.RepoSettings{Private: &pub}); err != nil {
		t.Fatal(err)
	}
	check("ok", true)
	if _, err := e.svc.UpdateRepoSettings(ctx, alice, id, hub.RepoSettings{Private: &priv}); err != nil {
		t.Fatal(err)
	}
	check("401R", false)
	evs, err := e.svc.ListAudit(ctx, alice, 10)
	if err != nil {
		t.Fatal(err)
	}
	var vis []string
	for _, ev := range evs {
		if ev.Action == "repo.visibility" {
			vis = append(vis, ev.Target+" "+ev.Detail)
		}
	}
	if want := []string{"alice/story private", "alice/story public"}; !slices.Equal(vis, want) {
		t.Fatalf("visibility audit = %v, want %v", vis, want)
	}
}

func TestFineGrainedTokenListing(t *testing.T) {
	e := newAccessEnv(t)
	alice := e.as(t, "alice")
	for _, name := range []string{"a", "b"} {
		e.createRepo(t, alice, hub.RepoID{Type: hub.Model, Namespace: "alice", Name: name}, true)
	}
	plain, tok, err := e.svc.CreateScopedToken(ctx, "alice", "ci", []hub.TokenScope{{Type: hub.Model, Namespace: "alice", Name: "a", Role: hub.RoleRead}})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Role != hub.RoleFineGrained {
		t.Fatalf("role = %q", tok.Role)
	}
	c, err := e.svc.AuthenticateFrom(ctx, plain, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.listed(t, c); !slices.Equal(got, []string{"alice/a"}) {
		t.Fatalf("fine-grained listing = %v, want [alice/a]", got)
	}
	if got := e.listed(t, alice); !slices.Equal(got, []string{"alice/a", "alice/b"}) {
		t.Fatalf("write-token listing = %v", got)
	}
	_, _, err = e.svc.CreateScopedToken(ctx, "alice", "", nil)
	wantKind(t, err, hub.ErrInvalid)
	_, _, err = e.svc.CreateScopedToken(ctx, "alice", "", []hub.TokenScope{{Namespace: "alice", Role: "admin"}})
	wantKind(t, err, hub.ErrInvalid)
	_, _, err = e.svc.CreateToken(ctx, "alice", hub.RoleFineGrained, "")
	wantKind(t, err, hub.ErrInvalid)
}

func TestDeleteRepoDropsGrants(t *testing.T) {
	e := newAccessEnv(t)
	carol := e.as(t, "carol")
	id := hub.RepoID{Type: hub.Model, Namespace: "news", Name: "x"}
	e.createRepo(t, carol, id, true)
	if _, err := e.svc.GrantRepo(ctx, carol, id, hub.UserSubject("eve"), hub.RoleRead); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteRepo(ctx, carol, id); err != nil {
		t.Fatal(err)
	}
	keys, err := e.meta.ListGrantedRepoKeys(ctx, []string{hub.UserSubject("eve")})
	if err != nil || len(keys) != 0 {
		t.Fatalf("grants left after delete: %v, %v", keys, err)
	}
}

func TestAuditLog(t *testing.T) {
	e := newAccessEnv(t)
	alice := e.as(t, "alice")
	_, tok, err := e.svc.CreateToken(ctx, "alice", hub.RoleRead, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeToken(ctx, "alice", tok.Hash); err != nil {
		t.Fatal(err)
	}
	mine, err := e.svc.ListAudit(ctx, alice, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range mine {
		if ev.Actor != "alice" {
			t.Fatalf("alice sees another actor's event %+v", ev)
		}
		got = append(got, ev.Action)
	}
	if want := []string{"token.revoke", "token.create", "token.create"}; !slices.Equal(got, want) {
		t.Fatalf("alice's audit = %v, want %v", got, want)
	}
	all, err := e.svc.ListAudit(ctx, hub.Operator(), 0)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, ev := range all {
		actions[ev.Action] = true
	}
	for _, a := range []string{"org.create", "org.member.add", "team.create", "team.member.add", "token.revoke"} {
		if !actions[a] {
			t.Errorf("audit has no %s event: %v", a, actions)
		}
	}
	if ev := all[0]; ev.Action != "token.revoke" || ev.Target != "..."+tok.Suffix || !ev.Time.Equal(e.now) {
		t.Fatalf("newest event = %+v, want the revocation of ...%s at %v", ev, tok.Suffix, e.now)
	}
	_, err = e.svc.ListAudit(ctx, e.anon, 10)
	wantKind(t, err, hub.ErrUnauthorized)
}
