package web

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/hub"
)

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", defaultNext},
		{"/settings/repos", "/settings/repos"},
		{"/alice/model?tab=files#x", "/alice/model?tab=files#x"},
		{"https://evil.example/", defaultNext},
		{"//evil.example/", defaultNext},
		{"/\\evil.example", defaultNext},
		{"/\t/evil.example", defaultNext},
		{"javascript:alert(1)", defaultNext},
		{"settings", defaultNext},
		{"/login?next=/x", defaultNext},
		{"/logout", defaultNext},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q)=%q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseScopes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []hub.TokenScope
		err  string
	}{
		{in: "alice/model", want: []hub.TokenScope{{Type: hub.Model, Namespace: "alice", Name: "model", Role: "read"}}},
		{in: " datasets/alice/tiles:write \n\n spaces/bob/demo:read\nnewsroom:write", want: []hub.TokenScope{
			{Type: hub.Dataset, Namespace: "alice", Name: "tiles", Role: "write"},
			{Type: hub.Space, Namespace: "bob", Name: "demo", Role: "read"},
			{Namespace: "newsroom", Role: "write"},
		}},
		{in: "", err: "at least one"},
		{in: "alice/x:owner", err: `Scope on line 1: role "owner" must be read or write`},
		{in: "a/b/c/d", err: "neither TYPE/NS/NAME"},
		{in: "ok\nthing/alice/x", err: "Scope on line 2: invalid repo type"},
		{in: "alice/--x", err: "Scope on line 1: invalid repo name"},
	} {
		got, err := parseScopes(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(hub.ErrorMessage(err), tc.err) || hub.ErrorKind(err) != hub.ErrInvalid {
				t.Errorf("parseScopes(%q) error=%v, want ErrInvalid containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseScopes(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseScopes(%q) (-want +got):\n%s", tc.in, diff)
		}
		for i, sc := range got {
			if back, err := parseScope(formatScope(sc)); err != nil || back != got[i] {
				t.Errorf("formatScope round trip of %+v: %+v, %v", sc, back, err)
			}
		}
	}
}
