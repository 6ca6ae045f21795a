package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// run runs one command line in-process and returns its stdout.
func run(t *testing.T, env map[string]string, args ...string) (*Main, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }}
	err := m.Run(context.Background(), args)
	return m, out.String(), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"QUARRY_DATA": dir}
	_, out, err := run(t, env, "user", "create", "--admin", "alice", "--email", "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	write := lastLine(out)
	if !strings.HasPrefix(write, "hf_") || len(write) != 37 {
		t.Fatalf("last line %q is not a token", write)
	}
	_, out, err = run(t, nil, "token", "create", "alice", "--role", "read", "--label", "ci", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	read := lastLine(out)

	m, out, err := run(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	url := m.URL()
	if !strings.HasPrefix(url, "http://127.0.0.1:") || lastLine(out) != url {
		t.Fatalf("URL=%q, output %q", url, out)
	}
	res, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("healthz: %d", res.StatusCode)
	}
	for _, tc := range []struct{ token, role string }{{write, "write"}, {read, "read"}} {
		req, _ := http.NewRequest("GET", url+"/api/whoami-v2", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var who struct {
			Name    string
			IsAdmin bool
			Auth    struct{ AccessToken struct{ Role string } }
		}
		err = json.NewDecoder(res.Body).Decode(&who)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if who.Name != "alice" || !who.IsAdmin || who.Auth.AccessToken.Role != tc.role {
			t.Fatalf("whoami=%+v, want alice with role %s", who, tc.role)
		}
	}
	// The admin CLI works while the server runs.
	if _, out, err = run(t, env, "user", "create", "bob"); err != nil || !strings.HasPrefix(lastLine(out), "hf_") {
		t.Fatalf("user create while serving: %v %q", err, out)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func TestCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
	}{
		{"NoCommand", nil, true},
		{"Unknown", []string{"frobnicate"}, true},
		{"UserNoName", []string{"user", "create", "--data", dir}, true},
		{"UserTwoNames", []string{"user", "create", "a", "b", "--data", dir}, true},
		{"UserBadFlag", []string{"user", "create", "a", "--nope", "--data", dir}, true},
		{"TokenBadRole", []string{"token", "create", "a", "--role", "admin", "--data", dir}, true},
		{"TokenUnknownUser", []string{"token", "create", "ghost", "--role", "read", "--data", dir}, false},
		{"UserBadName", []string{"user", "create", "a..b", "--data", dir}, false},
		{"ServeExtraArg", []string{"serve", "now", "--data", dir}, true},
		{"BadBackend", []string{"user", "create", "a", "--data", dir}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			if tc.name == "BadBackend" {
				env["QUARRY_BACKEND"] = "floppy"
			}
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
	_, out, err := run(t, nil, "help")
	if err != nil || !strings.Contains(out, "quarry user create NAME") {
		t.Fatalf("help: %v %q", err, out)
	}
	if _, _, err := run(t, nil, "user", "create", "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: err=%v, want flag.ErrHelp", err)
	}
}

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		pos   []string
		admin bool
		email string
	}{
		{[]string{"alice", "--admin"}, []string{"alice"}, true, ""},
		{[]string{"--admin", "alice"}, []string{"alice"}, true, ""},
		{[]string{"--email", "e@x", "alice", "--admin"}, []string{"alice"}, true, "e@x"},
		{[]string{"alice", "--email=e@x"}, []string{"alice"}, false, "e@x"},
		{[]string{"--", "--admin"}, []string{"--admin"}, false, ""},
		{[]string{"a", "b"}, []string{"a", "b"}, false, ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		admin := fs.Bool("admin", false, "")
		email := fs.String("email", "", "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pos, tc.pos) || *admin != tc.admin || *email != tc.email {
			t.Fatalf("%v: pos=%v admin=%v email=%q", tc.args, pos, *admin, *email)
		}
	}
}
