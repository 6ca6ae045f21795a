package hubtest

import (
	"context"
	"testing"
	"time"

	"quarry/hub"
)

func testOrgUsers(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	org := &hub.User{Name: "Newsroom", FullName: "The Newsroom", Org: true, CreatedAt: t0}
	if err := s.CreateUser(ctx, org); err != nil {
		t.Fatalf("CreateUser(org): %v", err)
	}
	checkKind(t, "CreateUser of a user named like an org", s.CreateUser(ctx, &hub.User{Name: "newsroom"}), hub.ErrConflict)
	got, err := s.GetUser(ctx, "NEWSROOM")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(org, got); diff != "" {
		t.Fatalf("GetUser(org) mismatch (-want +got):\n%s", diff)
	}
	if err := s.CreateUser(ctx, &hub.User{Name: "alice", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if u, err := s.GetUser(ctx, "alice"); err != nil || u.Org {
		t.Fatalf("GetUser(alice) = %+v, %v; want a person", u, err)
	}
}

func testScopedTokens(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	tok := &hub.Token{Hash: "hash-fine-0001", Suffix: "0001", User: "alice", Role: hub.RoleFineGrained,
		Label: "ci", CreatedAt: t0, Scopes: []hub.TokenScope{
			{Type: hub.Dataset, Namespace: "Newsroom", Name: "Leaks", Role: hub.RoleWrite},
			{Namespace: "alice", Role: hub.RoleRead},
		}}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetToken(ctx, tok.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(tok, got); diff != "" {
		t.Fatalf("GetToken mismatch (-want +got):\n%s", diff)
	}
	got.Scopes[0].Name = "changed"
	tok.Scopes = tok.Scopes[1:]
	tok.RevokedAt = t0.Add(time.Hour)
	if err := s.UpdateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListTokens(ctx, "ALICE")
	if err != nil || len(list) != 1 {
		t.Fatalf("ListTokens = %v, %v", list, err)
	}
	if diff := cmpDiff(tok, list[0]); diff != "" {
		t.Fatalf("ListTokens after update mismatch (-want +got):\n%s", diff)
	}
}

func testMembers(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	put := func(org, user, role string, at time.Time) {
		t.Helper()
		if err := s.PutMember(ctx, hub.Membership{Org: org, User: user, Role: role, CreatedAt: at}); err != nil {
			t.Fatalf("PutMember(%s, %s): %v", org, user, err)
		}
	}
	put("Newsroom", "Carol", hub.OrgRoleAdmin, t0)
	put("Newsroom", "alice", hub.OrgRoleRead, t0.Add(time.Hour))
	put("acme", "alice", hub.OrgRoleWrite, t0.Add(2*time.Hour))
	put("NEWSROOM", "ALICE", hub.OrgRoleWrite, t0.Add(3*time.Hour)) // role change keeps CreatedAt
	got, err := s.GetMember(ctx, "newsroom", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	want := hub.Membership{Org: "Newsroom", User: "alice", Role: hub.OrgRoleWrite, CreatedAt: t0.Add(time.Hour)}
	if got.Role != want.Role || !got.CreatedAt.Equal(want.CreatedAt) || !equalFoldStr(got.Org, want.Org) {
		t.Fatalf("GetMember after a role change = %+v, want %+v", got, want)
	}
	_, err = s.GetMember(ctx, "newsroom", "bob")
	checkKind(t, "GetMember of a non-member", err, hub.ErrNotFound)
	members, err := s.ListMembers(ctx, "NEWSROOM")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := memberNames(members, false), "alice:write Carol:admin"; !equalFoldStr(got, want) {
		t.Fatalf("ListMembers = %q, want %q", got, want)
	}
	ms, err := s.ListMemberships(ctx, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := memberNames(ms, true), "acme:write Newsroom:write"; !equalFoldStr(got, want) {
		t.Fatalf("ListMemberships = %q, want %q", got, want)
	}
	if err := s.DeleteMember(ctx, "newsroom", "ALICE"); err != nil {
		t.Fatalf("DeleteMember: %v", err)
	}
	checkKind(t, "second DeleteMember", s.DeleteMember(ctx, "newsroom", "alice"), hub.ErrNotFound)
	if ms, err := s.ListMemberships(ctx, "alice"); err != nil || len(ms) != 1 || ms[0].Org != "acme" {
		t.Fatalf("ListMemberships after delete = %+v, %v", ms, err)
	}
	if ms, err := s.ListMembers(ctx, "nobody"); err != nil || len(ms) != 0 {
		t.Fatalf("ListMembers of an unknown org = %+v, %v", ms, err)
	}
}

// memberNames renders memberships as "user:role ..." (or "org:role" when byOrg).
func memberNames(ms []hub.Membership, byOrg bool) string {
	out := ""
	for i, m := range ms {
		name := m.User
		if byOrg {
			name = m.Org
		}
		if i > 0 {
			out += " "
		}
		out += name + ":" + m.Role
	}
	return out
}

func equalFoldStr(a, b string) bool { return toLower(a) == toLower(b) }

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func testTeams(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	for _, tm := range []*hub.Team{{Org: "Newsroom", Name: "Desk", CreatedAt: t0}, {Org: "acme", Name: "ml", CreatedAt: t0},
		{Org: "newsroom", Name: "audio", CreatedAt: t0}} {
		if err := s.CreateTeam(ctx, tm); err != nil {
			t.Fatalf("CreateTeam(%s/%s): %v", tm.Org, tm.Name, err)
		}
	}
	checkKind(t, "CreateTeam of a taken name", s.CreateTeam(ctx, &hub.Team{Org: "NEWSROOM", Name: "desk"}), hub.ErrConflict)
	got, err := s.GetTeam(ctx, "newsroom", "DESK")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(&hub.Team{Org: "Newsroom", Name: "Desk", CreatedAt: t0}, got); diff != "" {
		t.Fatalf("GetTeam mismatch (-want +got):\n%s", diff)
	}
	_, err = s.GetTeam(ctx, "acme", "desk")
	checkKind(t, "GetTeam of a team of another org", err, hub.ErrNotFound)
	for _, add := range [][3]string{{"newsroom", "desk", "Alice"}, {"NEWSROOM", "Desk", "alice"},
		{"newsroom", "audio", "alice"}, {"acme", "ml", "alice"}, {"acme", "ml", "bob"}} {
		if err := s.AddTeamMember(ctx, add[0], add[1], add[2]); err != nil {
			t.Fatalf("AddTeamMember(%v): %v", add, err)
		}
	}
	checkKind(t, "AddTeamMember to a missing team", s.AddTeamMember(ctx, "acme", "nope", "alice"), hub.ErrNotFound)
	teams, err := s.ListUserTeams(ctx, "ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := teamNames(teams), "acme/ml newsroom/audio newsroom/desk"; got != want {
		t.Fatalf("ListUserTeams = %q, want %q", got, want)
	}
	if err := s.RemoveTeamMember(ctx, "Newsroom", "DESK", "ALICE"); err != nil {
		t.Fatalf("RemoveTeamMember: %v", err)
	}
	checkKind(t, "second RemoveTeamMember", s.RemoveTeamMember(ctx, "newsroom", "desk", "alice"), hub.ErrNotFound)
	checkKind(t, "RemoveTeamMember of a missing team", s.RemoveTeamMember(ctx, "x", "y", "alice"), hub.ErrNotFound)
	teams, _ = s.ListUserTeams(ctx, "alice")
	if got, want := teamNames(teams), "acme/ml newsroom/audio"; got != want {
		t.Fatalf("ListUserTeams after remove = %q, want %q", got, want)
	}
	if teams, err := s.ListUserTeams(ctx, "carol"); err != nil || len(teams) != 0 {
		t.Fatalf("ListUserTeams of a user in no team = %v, %v", teams, err)
	}
}

func teamNames(ts []hub.Team) string {
	out := ""
	for i, tm := range ts {
		if i > 0 {
			out += " "
		}
		out += toLower(tm.Org + "/" + tm.Name)
	}
	return out
}

func testGrants(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	put := func(key, subject, role string) {
		t.Helper()
		if err := s.PutGrant(ctx, hub.Grant{RepoKey: key, Subject: subject, Role: role, CreatedAt: t0}); err != nil {
			t.Fatalf("PutGrant(%s, %s): %v", key, subject, err)
		}
	}
	put(repoKey(2), "user:alice", hub.RoleRead)
	put(repoKey(1), "team:newsroom/desk", hub.RoleWrite)
	put(repoKey(1), "user:alice", hub.RoleRead)
	put(repoKey(1), "user:alice", hub.RoleWrite) // replaces
	put(repoKey(3), "user:bob", hub.RoleRead)
	gs, err := s.ListRepoGrants(ctx, repoKey(1))
	if err != nil {
		t.Fatal(err)
	}
	want := []hub.Grant{
		{RepoKey: repoKey(1), Subject: "team:newsroom/desk", Role: hub.RoleWrite, CreatedAt: t0},
		{RepoKey: repoKey(1), Subject: "user:alice", Role: hub.RoleWrite, CreatedAt: t0},
	}
	if diff := cmpDiff(want, gs); diff != "" {
		t.Fatalf("ListRepoGrants mismatch (-want +got):\n%s", diff)
	}
	keys, err := s.ListGrantedRepoKeys(ctx, []string{"user:alice", "team:newsroom/desk", "team:other/x"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(keysOf(1, 2), keys); diff != "" {
		t.Fatalf("ListGrantedRepoKeys mismatch (-want +got):\n%s", diff)
	}
	if keys, err := s.ListGrantedRepoKeys(ctx, nil); err != nil || len(keys) != 0 {
		t.Fatalf("ListGrantedRepoKeys(nil) = %v, %v", keys, err)
	}
	if err := s.DeleteGrant(ctx, repoKey(1), "user:alice"); err != nil {
		t.Fatalf("DeleteGrant: %v", err)
	}
	checkKind(t, "second DeleteGrant", s.DeleteGrant(ctx, repoKey(1), "user:alice"), hub.ErrNotFound)
	keys, _ = s.ListGrantedRepoKeys(ctx, []string{"user:alice"})
	if diff := cmpDiff(keysOf(2), keys); diff != "" {
		t.Fatalf("ListGrantedRepoKeys after delete mismatch (-want +got):\n%s", diff)
	}
	if gs, err := s.ListRepoGrants(ctx, repoKey(9)); err != nil || len(gs) != 0 {
		t.Fatalf("ListRepoGrants of a repo without grants = %v, %v", gs, err)
	}
}

func testSessions(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	a := &hub.Session{ID: "hash-a", User: "alice", CSRF: "csrf-a", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	b := &hub.Session{ID: "hash-b", User: "bob", CSRF: "csrf-b", CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)}
	for _, se := range []*hub.Session{a, b} {
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	checkKind(t, "CreateSession of a taken id", s.CreateSession(ctx, a), hub.ErrConflict)
	got, err := s.GetSession(ctx, "hash-a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(a, got); diff != "" {
		t.Fatalf("GetSession mismatch (-want +got):\n%s", diff)
	}
	if err := s.DeleteExpiredSessions(ctx, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetSession(ctx, "hash-a")
	checkKind(t, "GetSession of an expired, swept session", err, hub.ErrNotFound)
	if _, err := s.GetSession(ctx, "hash-b"); err != nil {
		t.Fatalf("a live session was swept: %v", err)
	}
	for range 2 {
		if err := s.DeleteSession(ctx, "hash-b"); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
	}
	_, err = s.GetSession(ctx, "hash-b")
	checkKind(t, "GetSession after delete", err, hub.ErrNotFound)
}

func testAudit(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	evs := []hub.AuditEvent{
		{Time: t0, Actor: "Alice", Action: "sign-in", ClientAddr: "10.0.0.1"},
		{Time: t0.Add(time.Second), Actor: "bob", Action: "token.create", Target: "...abcd", Detail: "read ci"},
		{Time: t0.Add(2 * time.Second), Actor: "alice", Action: "repo.visibility", Target: "alice/bert", Detail: "public"},
	}
	for _, e := range evs {
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	all, err := s.ListAudit(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Seq <= all[1].Seq || all[1].Seq <= all[2].Seq {
		t.Fatalf("ListAudit = %+v; want 3 events, newest first, with increasing Seq", all)
	}
	for i := range all {
		all[i].Seq = 0
	}
	if diff := cmpDiff([]hub.AuditEvent{evs[2], evs[1], evs[0]}, all); diff != "" {
		t.Fatalf("ListAudit mismatch (-want +got):\n%s", diff)
	}
	mine, err := s.ListAudit(ctx, "ALICE", 10)
	if err != nil || len(mine) != 2 || mine[0].Action != "repo.visibility" || mine[1].Action != "sign-in" {
		t.Fatalf("ListAudit(alice) = %+v, %v", mine, err)
	}
	if one, err := s.ListAudit(ctx, "", 1); err != nil || len(one) != 1 || one[0].Action != "repo.visibility" {
		t.Fatalf("ListAudit limit 1 = %+v, %v", one, err)
	}
}
