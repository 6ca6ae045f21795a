package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// call sends an API request with a token and returns the status and body.
func call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var r *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	} else {
		r = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	return res.StatusCode, buf.Bytes()
}

// mustRun runs a command that must succeed and returns its output.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	_, out, err := run(t, env, args...)
	if err != nil {
		t.Fatalf("quarry %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestAccessCommands(t *testing.T) {
	env := map[string]string{"QUARRY_DATA": t.TempDir()}
	tokens := map[string]string{}
	for _, name := range []string{"alice", "bob", "tom", "eve"} {
		tokens[name] = lastLine(mustRun(t, env, "user", "create", name))
	}
	m, _, err := run(t, env, "serve", "--addr", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	url := m.URL()

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"org", "create", "news", "--owner", "alice"}, "Created organization news owned by alice"},
		{[]string{"org", "add-member", "--role", "read", "news", "bob"}, "Added bob to organization news with role read"},
		{[]string{"team", "create", "news", "desk"}, "Created team news/desk"},
		{[]string{"team", "add-member", "news", "desk", "tom"}, "Added tom to team news/desk"},
	} {
		if out := mustRun(t, env, tc.args...); !strings.Contains(out, tc.want) {
			t.Fatalf("quarry %s printed %q, want %q", strings.Join(tc.args, " "), out, tc.want)
		}
	}
	if st, b := call(t, "POST", url+"/api/repos/create", tokens["alice"], map[string]any{"name": "draft", "organization": "news", "private": true}); st != 200 {
		t.Fatalf("create news/draft: %d %s", st, b)
	}
	info := url + "/api/models/news/draft"
	for name, want := range map[string]int{"bob": 200, "tom": 404, "eve": 404, "": 401} {
		if st, _ := call(t, "GET", info, tokens[name], nil); st != want {
			t.Fatalf("%q before the grant: %d, want %d", name, st, want)
		}
	}
	out := mustRun(t, env, "repo", "grant", "news/draft", "--team", "news/desk", "--role", "read")
	if !strings.Contains(out, "Granted team news/desk read access to model news/draft") {
		t.Fatalf("repo grant printed %q", out)
	}
	if st, _ := call(t, "GET", info, tokens["tom"], nil); st != 200 {
		t.Fatalf("tom after the grant: %d", st)
	}
	mustRun(t, env, "repo", "grant", "--user", "eve", "--role", "write", "--type", "model", "news/draft")
	if st, _ := call(t, "GET", info, tokens["eve"], nil); st != 200 {
		t.Fatalf("eve after the grant: %d", st)
	}

	// A fine-grained token, then its revocation.
	out = mustRun(t, env, "token", "create", "alice", "--role", "fineGrained", "--label", "ci",
		"--repo", "model/news/draft:read", "--namespace", "alice:write")
	fine := lastLine(out)
	if !strings.HasPrefix(fine, "hf_") || !strings.Contains(out, "limited to model/news/draft:read, alice:write") {
		t.Fatalf("token create printed %q", out)
	}
	_, who := call(t, "GET", url+"/api/whoami-v2", fine, nil)
	if !strings.Contains(string(who), `"role":"fineGrained"`) {
		t.Fatalf("whoami of the fine-grained token: %s", who)
	}
	out = mustRun(t, env, "token", "revoke", "alice", "ci")
	if !strings.Contains(out, "Revoked alice's fineGrained token ..."+fine[len(fine)-4:]) {
		t.Fatalf("token revoke printed %q", out)
	}
	if st, _ := call(t, "GET", info, fine, nil); st != 401 {
		t.Fatalf("revoked token: %d, want 401", st)
	}
}

func TestAccessCommandErrors(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"QUARRY_DATA": dir}
	mustRun(t, env, "user", "create", "alice")
	mustRun(t, env, "org", "create", "news", "--owner", "alice")
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
	}{
		{"OrgNoOwner", []string{"org", "create", "acme"}, true},
		{"OrgUnknownOwner", []string{"org", "create", "acme", "--owner", "ghost"}, false},
		{"OrgTaken", []string{"org", "create", "alice", "--owner", "alice"}, false},
		{"OrgUnknownSub", []string{"org", "delete", "news"}, true},
		{"MemberBadRole", []string{"org", "add-member", "news", "alice", "--role", "owner"}, true},
		{"MemberUnknownOrg", []string{"org", "add-member", "acme", "alice", "--role", "read"}, false},
		{"TeamMissingArg", []string{"team", "create", "news"}, true},
		{"TeamUnknownTeam", []string{"team", "add-member", "news", "desk", "alice"}, false},
		{"GrantBothSubjects", []string{"repo", "grant", "news/x", "--team", "news/desk", "--user", "alice", "--role", "read"}, true},
		{"GrantNoSubject", []string{"repo", "grant", "news/x", "--role", "read"}, true},
		{"GrantBadRole", []string{"repo", "grant", "news/x", "--user", "alice", "--role", "admin"}, true},
		{"GrantBadType", []string{"repo", "grant", "news/x", "--type", "bucket", "--user", "alice", "--role", "read"}, true},
		{"GrantMissingRepo", []string{"repo", "grant", "news/x", "--user", "alice", "--role", "read"}, false},
		{"FineNoScope", []string{"token", "create", "alice", "--role", "fineGrained"}, true},
		{"FineBadScope", []string{"token", "create", "alice", "--role", "fineGrained", "--repo", "news/x"}, true},
		{"ReadWithScope", []string{"token", "create", "alice", "--role", "read", "--namespace", "news:read"}, true},
		{"RevokeNoMatch", []string{"token", "revoke", "alice", "zzzz"}, false},
		{"RevokeMissingArg", []string{"token", "revoke", "alice"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, env, tc.args...)
			if err == nil {
				t.Fatal("succeeded")
			}
			var ue *usageError
			if got := errors.As(err, &ue); got != tc.usage {
				t.Fatalf("err=%v: usage error=%v, want %v", err, got, tc.usage)
			}
		})
	}
}
