package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// whoami returns name and auth.accessToken.role of GET /api/whoami-v2 for token.
func whoami(t *testing.T, base, token string) (name, role string) {
	t.Helper()
	c := &client{t: t, base: base, token: token}
	r := c.mustDo(http.StatusOK, "GET", "/api/whoami-v2", "", nil)
	var out struct {
		Name string `json:"name"`
		Auth struct {
			AccessToken struct {
				Role string `json:"role"`
			} `json:"accessToken"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("whoami-v2: %v: %s", err, truncate(r.Body))
	}
	return out.Name, out.Auth.AccessToken.Role
}

// TestAdminCLIWhileServing: `user create` and `token create` work on the data
// directory of a running server, and their tokens carry the asked role.
func TestAdminCLIWhileServing(t *testing.T) {
	s, owner := newHub(t, "erin")

	frank := createUser(t, s.Data, "frank")
	if name, role := whoami(t, s.URL, frank); name != "frank" || role != "write" {
		t.Errorf("whoami with a new user's token = %q/%q, want frank/write", name, role)
	}

	read := lastLine(quarryCLI(t, s.Data, "token", "create", "erin", "--role", "read", "--label", "ci"))
	if !strings.HasPrefix(read, "hf_") {
		t.Fatalf("token create: last line %q is not an hf_ token", read)
	}
	if name, role := whoami(t, s.URL, read); name != "erin" || role != "read" {
		t.Errorf("whoami with a read token = %q/%q, want erin/read", name, role)
	}

	reader := &client{t: t, base: s.URL, token: read, user: "erin"}
	body := strings.NewReader(`{"name":"nope","organization":"erin","type":"model"}`)
	r, err := reader.do("POST", s.URL+"/api/repos/create", "application/json", body, true)
	if err != nil {
		t.Fatalf("create repo with a read token: %v", err)
	}
	if r.Status/100 != 4 {
		t.Errorf("create repo with a read token: status %d, want 4xx", r.Status)
	}
	owner.mustDo(http.StatusNotFound, "GET", "/api/models/erin/nope", "", nil)

	r, err = reader.do("GET", s.URL+"/api/whoami-v2", "", nil, false)
	if err != nil || r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous whoami-v2: status %v (%v), want 401", r, err)
	}
}
