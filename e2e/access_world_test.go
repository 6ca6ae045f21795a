package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The people of the access tests (issue 3). alice owns the user repos and the
// organization; the others are defined by their relation to it.
const (
	ownerUser    = "alice" // owner of alice/* and owner (an admin) of the org
	orgAdminUser = "bob"   // org admin
	orgWriteUser = "carol" // org write member
	orgReadUser  = "dave"  // org read member
	teamUser     = "erin"  // member of team org/desk only (not an org member)
	outsiderUser = "frank" // no relation to anything
	accessOrg    = "newsroom"
	accessTeam   = "desk"
)

// Callers of the access matrix, in table order.
const (
	anonymous = "anonymous"
	badToken  = "badToken"
	owner     = "owner"
	orgAdmin  = "orgAdmin"
	orgWrite  = "orgWrite"
	orgRead   = "orgRead"
	teamRead  = "teamRead"
	outsider  = "outsider"
	ownerRead = "ownerRead" // alice's read token
	fgOther   = "fgOther"   // alice's fine-grained token for alice/fg-target only
	revoked   = "revoked"   // alice's revoked write token
)

var accessCallers = []string{anonymous, badToken, owner, orgAdmin, orgWrite, orgRead, teamRead,
	outsider, ownerRead, fgOther, revoked}

// Repo kinds of the access matrix.
const (
	pubUser  = "pubUser"  // public repo in alice's namespace
	privUser = "privUser" // private repo in alice's namespace
	privOrg  = "privOrg"  // private repo of the org, no grant
	teamOrg  = "teamOrg"  // private repo of the org, granted read to team org/desk
)

var accessKinds = []string{pubUser, privUser, privOrg, teamOrg}

// fgTarget is the only repo the fine-grained token may touch (write).
const fgTarget = ownerUser + "/fg-target"

// passwordOf is the web sign-in password of a test user.
func passwordOf(user string) string { return "pw-" + user + "-Correct-Horse-7" }

// accessWorld is a running server populated through the CLI with the org,
// team, members, tokens and grants of the access tests.
type accessWorld struct {
	t      *testing.T
	srv    *server
	tokens map[string]string // caller -> token ("" for anonymous)
	owner  *client           // alice's write token
}

// newAccessWorld starts a fresh server and sets the world up. Set-up steps
// that fail (features not built yet) are reported with t.Errorf and the test
// goes on, so that every cell still reports what it sees.
func newAccessWorld(t *testing.T) *accessWorld {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatalf("mkdir data: %v", err)
	}
	w := &accessWorld{t: t, srv: startServer(t, data), tokens: map[string]string{anonymous: ""}}
	users := map[string]string{owner: ownerUser, orgAdmin: orgAdminUser, orgWrite: orgWriteUser,
		orgRead: orgReadUser, teamRead: teamUser, outsider: outsiderUser}
	for _, caller := range []string{owner, orgAdmin, orgWrite, orgRead, teamRead, outsider} {
		name := users[caller]
		w.tokens[caller] = w.token(caller, "user", "create", name, "--password", passwordOf(name),
			"--email", name+"@example.org")
	}
	w.owner = w.client(owner)
	w.cli("org", "create", accessOrg, "--owner", ownerUser)
	w.cli("org", "add-member", accessOrg, orgAdminUser, "--role", "admin")
	w.cli("org", "add-member", accessOrg, orgWriteUser, "--role", "write")
	w.cli("org", "add-member", accessOrg, orgReadUser, "--role", "read")
	w.cli("team", "create", accessOrg, accessTeam)
	w.cli("team", "add-member", accessOrg, accessTeam, teamUser)
	w.tokens[badToken] = "hf_" + strings.Repeat("x", 34)
	w.tokens[ownerRead] = w.token(ownerRead, "token", "create", ownerUser, "--role", "read", "--label", "read-only")
	w.createRepo(fgTarget, true)
	w.tokens[fgOther] = w.token(fgOther, "token", "create", ownerUser, "--role", "fineGrained",
		"--label", "fg-other", "--repo", "model/"+fgTarget+":write")
	w.tokens[revoked] = w.revokedToken()
	return w
}

// cli runs a quarry subcommand on the world's data directory, reporting a failure.
func (w *accessWorld) cli(args ...string) (string, bool) {
	w.t.Helper()
	out, err := runQuarry(w.srv.Data, args...)
	if err != nil {
		w.t.Errorf("set-up: %v", err)
		return "", false
	}
	return out, true
}

// token runs a CLI command printing a token last. On failure it returns a
// token that no server knows, so the caller's cells fail visibly (401)
// instead of silently acting as anonymous.
func (w *accessWorld) token(caller string, args ...string) string {
	w.t.Helper()
	out, ok := w.cli(args...)
	if tok := lastLine(out); ok && strings.HasPrefix(tok, "hf_") {
		return tok
	}
	if ok {
		w.t.Errorf("set-up: quarry %s: last line %q is not an hf_ token", strings.Join(args, " "), lastLine(out))
	}
	return "hf_setupFailedFor" + caller
}

// revokedToken creates a write token for alice, checks that it works, revokes
// it with `quarry token revoke` and returns it.
func (w *accessWorld) revokedToken() string {
	w.t.Helper()
	tok := w.token(revoked, "token", "create", ownerUser, "--role", "write", "--label", "to-revoke")
	c := &client{t: w.t, base: w.srv.URL, token: tok}
	if r, err := c.do("GET", w.srv.URL+"/api/whoami-v2", "", nil, true); err != nil || r.Status != 200 {
		w.t.Errorf("set-up: whoami with the token to revoke: %v %v", r, err)
	}
	w.cli("token", "revoke", ownerUser, "to-revoke")
	return tok
}

// client returns an API client acting as caller, from 127.0.0.1.
func (w *accessWorld) client(caller string) *client {
	return &client{t: w.t, base: w.srv.URL, token: w.tokens[caller]}
}

// createRepo creates model repo id ("ns/name") as alice, reporting a failure.
func (w *accessWorld) createRepo(id string, private bool) bool {
	w.t.Helper()
	ns, name, _ := strings.Cut(id, "/")
	body, _ := json.Marshal(map[string]any{"name": name, "organization": ns, "type": "model", "private": private})
	r, err := w.owner.do("POST", w.srv.URL+"/api/repos/create", "application/json", strings.NewReader(string(body)), true)
	if err != nil || r.Status != http.StatusOK {
		w.t.Errorf("set-up: create %s (private=%v): %s", id, private, describeResponse(r, err))
		return false
	}
	return true
}

// kindRepo creates a repo of the given kind named name and returns its id.
// teamOrg repos are granted read to the team; files, when given, are
// committed to main.
func (w *accessWorld) kindRepo(kind, name string, files map[string]string) string {
	w.t.Helper()
	ns := ownerUser
	if kind == privOrg || kind == teamOrg {
		ns = accessOrg
	}
	id := ns + "/" + name
	if !w.createRepo(id, kind != pubUser) {
		return id
	}
	if kind == teamOrg {
		w.cli("repo", "grant", id, "--team", accessOrg+"/"+accessTeam, "--role", "read")
	}
	if len(files) > 0 {
		w.commit(id, files)
	}
	return id
}

// commit commits files (path -> content) to main of repo as alice.
func (w *accessWorld) commit(repo string, files map[string]string) {
	w.t.Helper()
	var lines []commitLine
	for path, content := range files {
		lines = append(lines, regularFile(path, []byte(content)))
	}
	r, err := w.owner.commit(repo, ndjson("Add files", "", lines...))
	if err != nil || r.Status != http.StatusOK {
		w.t.Errorf("set-up: commit to %s: %s", repo, describeResponse(r, err))
	}
}

// headOf returns the head commit of repo's main branch as alice ("" and a
// reported error when it cannot be read).
func (w *accessWorld) headOf(repo string) string {
	w.t.Helper()
	r, err := w.owner.do("GET", w.srv.URL+"/api/models/"+repo+"/revision/main", "", nil, true)
	var info struct {
		SHA string `json:"sha"`
	}
	if err == nil && r.Status == http.StatusOK && json.Unmarshal(r.Body, &info) == nil && len(info.SHA) == 40 {
		return info.SHA
	}
	w.t.Errorf("set-up: head of %s: %s", repo, describeResponse(r, err))
	return ""
}

// describeResponse summarises a response (or transport error) for messages.
func describeResponse(r *response, err error) string {
	if err != nil {
		return err.Error()
	}
	if r == nil {
		return "no response"
	}
	return fmt.Sprintf("status %d, X-Error-Code %q, X-Error-Message %q, body %s",
		r.Status, r.Header.Get("X-Error-Code"), r.Header.Get("X-Error-Message"), truncate(r.Body))
}

// clientFrom returns an HTTP client whose connections come from the local
// address ip (any 127.x.y.z works on loopback), so that the server sees a
// distinct client address. It never follows redirects; with jar it keeps
// cookies.
func clientFrom(ip string, jar bool) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	c := &http.Client{
		Timeout:       time.Minute,
		Transport:     &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if jar {
		c.Jar, _ = cookiejar.New(nil) // cookiejar.New never fails without options
	}
	return c
}

// searchIDs returns the ids of GET {path} (a listing such as
// /api/models?search=x) as c, or the response when it is not a 200 array.
func searchIDs(c *client, path string) ([]string, *response, error) {
	r, err := c.do("GET", c.base+path, "", nil, true)
	if err != nil || r.Status != http.StatusOK {
		return nil, r, err
	}
	var items []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.Body, &items); err != nil {
		return nil, r, fmt.Errorf("listing %s: %v: %s", path, err, truncate(r.Body))
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return ids, r, nil
}
