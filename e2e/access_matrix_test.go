package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// level is what a caller may do with a repo.
type level int

const (
	none    level = iota // may not even learn that the repo exists
	read                 // info, files, listings
	write                // commits, uploads, branches
	admin                // settings, delete, move
	invalid              // credentials refused (bad or revoked token)
)

// accessTable is the rule of ACCESS.md written out per caller and repo kind
// (columns in accessKinds order). Notes:
//   - owner is alice: she owns alice/* and is the org's owner, hence an org admin.
//   - teamRead (erin) is only a member of team newsroom/desk, which has a
//     read grant on the teamOrg repo and nothing else.
//   - ownerRead is alice's read token: it reads all she reads, writes nothing.
//   - fgOther is alice's fine-grained token for alice/fg-target only: public
//     repos stay readable, every other private repo is hidden.
var accessTable = map[string][4]level{
	//          pubUser  privUser privOrg  teamOrg
	anonymous: {read, none, none, none},
	badToken:  {invalid, invalid, invalid, invalid},
	owner:     {admin, admin, admin, admin},
	orgAdmin:  {read, none, admin, admin},
	orgWrite:  {read, none, write, write},
	orgRead:   {read, none, read, read},
	teamRead:  {read, none, none, read},
	outsider:  {read, none, none, none},
	ownerRead: {read, read, read, read},
	fgOther:   {read, none, none, none},
	revoked:   {invalid, invalid, invalid, invalid},
}

// invalidCredentials is HF's message for a bad or revoked token.
const invalidCredentials = "Invalid credentials in Authorization header"

// expectation is the exact outcome of one cell.
type expectation struct {
	Status  int
	Code    string // X-Error-Code ("" = header absent or empty)
	Message string // when set, X-Error-Message must contain it
	Listed  bool   // list action: the repo is among the search results
}

// expect applies the HF rules to a cell: bad credentials are 401 everywhere;
// a repo the caller may not read is 401 RepoNotFound (anonymous) or 404
// RepoNotFound, and is absent from listings; an action above the caller's
// level on a repo they may read is 401 (anonymous) or 403, without a code.
func expect(caller string, need level, kind string) expectation {
	lv := accessTable[caller][slices.Index(accessKinds, kind)]
	switch {
	case lv == invalid:
		return expectation{Status: http.StatusUnauthorized, Message: invalidCredentials}
	case need == none: // listing: always answers, shows only readable repos
		return expectation{Status: http.StatusOK, Listed: lv >= read}
	case lv == none && caller == anonymous:
		return expectation{Status: http.StatusUnauthorized, Code: "RepoNotFound"}
	case lv == none:
		return expectation{Status: http.StatusNotFound, Code: "RepoNotFound"}
	case lv >= need:
		return expectation{Status: http.StatusOK}
	case caller == anonymous:
		return expectation{Status: http.StatusUnauthorized}
	default:
		return expectation{Status: http.StatusForbidden}
	}
}

// cell is one (caller, action, repo) of the matrix.
type cell struct {
	caller, kind string
	repo         string // "ns/name"
	tag          string // unique per caller: names branches and files
	from         string // local address of the request ("": default)
}

// accessAction is one action of the matrix.
type accessAction struct {
	name  string
	need  level // none: the listing action
	fresh bool  // destructive: runs on a fresh copy of the repo
	send  func(c *client, x cell) (*response, error)
	// check verifies a 200 response (nil: status is enough).
	check func(w *accessWorld, x cell, r *response) error
}

// matrixConfig is config.json of the matrix repos.
func matrixConfig(repo string) string { return `{"model_type":"cell","repo":"` + repo + `"}` }

func get(path string) func(c *client, x cell) (*response, error) {
	return func(c *client, x cell) (*response, error) {
		return c.do("GET", c.base+strings.ReplaceAll(path, "{repo}", x.repo), "", nil, true)
	}
}

func sendJSON(c *client, method, path string, body any) (*response, error) {
	b, _ := json.Marshal(body)
	return c.do(method, c.base+path, "application/json", bytes.NewReader(b), true)
}

func bodyHas(want string) func(*accessWorld, cell, *response) error {
	return func(_ *accessWorld, x cell, r *response) error {
		if w := strings.ReplaceAll(want, "{repo}", x.repo); !bytes.Contains(r.Body, []byte(w)) {
			return fmt.Errorf("body lacks %q: %s", w, truncate(r.Body))
		}
		return nil
	}
}

func bodyIsConfig(_ *accessWorld, x cell, r *response) error {
	if got, want := string(r.Body), matrixConfig(x.repo); got != want {
		return fmt.Errorf("body %q, want %q", truncate(r.Body), want)
	}
	return nil
}

// ownerSees checks, as alice, the status of GET /api/models/{id}.
func ownerSees(w *accessWorld, id string, want int) error {
	r, err := w.owner.do("GET", w.srv.URL+"/api/models/"+id, "", nil, true)
	if err != nil || r.Status != want {
		return fmt.Errorf("afterwards the owner's GET /api/models/%s: %s, want %d", id, describeResponse(r, err), want)
	}
	return nil
}

var accessActions = []accessAction{
	{name: "info", need: read, send: get("/api/models/{repo}"), check: bodyHas(`"id":"{repo}"`)},
	{name: "resolve", need: read, send: get("/{repo}/resolve/main/config.json"), check: bodyIsConfig},
	{name: "raw", need: read, send: get("/{repo}/raw/main/config.json"), check: bodyIsConfig},
	{name: "tree", need: read, send: get("/api/models/{repo}/tree/main"), check: bodyHas(`"config.json"`)},
	{name: "paths-info", need: read, check: bodyHas(`"config.json"`),
		send: func(c *client, x cell) (*response, error) {
			return sendJSON(c, "POST", "/api/models/"+x.repo+"/paths-info/main", map[string]any{"paths": []string{"config.json"}})
		}},
	{name: "list", need: none, send: func(c *client, x cell) (*response, error) {
		_, name, _ := strings.Cut(x.repo, "/")
		return c.do("GET", c.base+"/api/models?search="+name, "", nil, true)
	}},
	{name: "preupload", need: write, check: bodyHas(`"uploadMode"`),
		send: func(c *client, x cell) (*response, error) {
			files := []map[string]any{{"path": "cells/" + x.tag + ".txt", "size": 3, "sample": "YWJj"}}
			return sendJSON(c, "POST", "/api/models/"+x.repo+"/preupload/main", map[string]any{"files": files})
		}},
	{name: "commit", need: write, check: bodyHas(`"commitOid"`),
		send: func(c *client, x cell) (*response, error) {
			return c.commit(x.repo, ndjson("cell "+x.tag, "", regularFile("cells/"+x.tag+".txt", []byte("abc"))))
		}},
	{name: "lfs-upload", need: write, check: bodyHas(`"upload"`),
		send: func(c *client, x cell) (*response, error) {
			content := []byte("lfs object of " + x.tag)
			b, _ := json.Marshal(map[string]any{"operation": "upload", "transfers": []string{"basic"},
				"hash_algo": "sha256", "ref": map[string]string{"name": "main"},
				"objects": []map[string]any{{"oid": sha256Hex(content), "size": len(content)}}})
			return c.do("POST", c.base+"/"+x.repo+".git/info/lfs/objects/batch", "application/vnd.git-lfs+json",
				bytes.NewReader(b), true)
		}},
	{name: "branch", need: write, send: func(c *client, x cell) (*response, error) {
		return sendJSON(c, "POST", "/api/models/"+x.repo+"/branch/b-"+x.tag, map[string]any{})
	}},
	{name: "settings", need: admin, check: bodyHas(`"private"`),
		send: func(c *client, x cell) (*response, error) {
			// Re-asserts the current visibility: the other cells are unaffected.
			return sendJSON(c, "PUT", "/api/models/"+x.repo+"/settings", map[string]any{"private": x.kind != pubUser})
		}},
	{name: "delete", need: admin, fresh: true,
		send: func(c *client, x cell) (*response, error) {
			ns, name, _ := strings.Cut(x.repo, "/")
			return sendJSON(c, "DELETE", "/api/repos/delete", map[string]any{"name": name, "organization": ns, "type": "model"})
		},
		check: func(w *accessWorld, x cell, _ *response) error { return ownerSees(w, x.repo, http.StatusNotFound) }},
	{name: "move", need: admin, fresh: true,
		send: func(c *client, x cell) (*response, error) {
			return sendJSON(c, "POST", "/api/repos/move", map[string]any{"fromRepo": x.repo, "toRepo": x.repo + "-moved", "type": "model"})
		},
		check: func(w *accessWorld, x cell, _ *response) error {
			if err := ownerSees(w, x.repo, http.StatusNotFound); err != nil {
				return err
			}
			return ownerSees(w, x.repo+"-moved", http.StatusOK)
		}},
}

// verify compares a cell's response with its expectation.
func (e expectation) verify(w *accessWorld, a accessAction, x cell, r *response) error {
	if got, want := r.Status, e.Status; got != want {
		return fmt.Errorf("status %d, want %d (%s)", got, want, describeResponse(r, nil))
	}
	if got, want := r.Header.Get("X-Error-Code"), e.Code; got != want {
		return fmt.Errorf("X-Error-Code %q, want %q (%s)", got, want, describeResponse(r, nil))
	}
	if msg := r.Header.Get("X-Error-Message"); !strings.Contains(msg, e.Message) {
		return fmt.Errorf("X-Error-Message %q, want it to contain %q", msg, e.Message)
	}
	if r.Status != http.StatusOK {
		return nil
	}
	if a.need == none {
		var items []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(r.Body, &items); err != nil {
			return fmt.Errorf("listing: %v: %s", err, truncate(r.Body))
		}
		listed := slices.ContainsFunc(items, func(it struct {
			ID string `json:"id"`
		}) bool {
			return it.ID == x.repo
		})
		if listed != e.Listed {
			return fmt.Errorf("%s listed=%v, want %v: %s", x.repo, listed, e.Listed, truncate(r.Body))
		}
	}
	if a.check != nil {
		return a.check(w, x, r)
	}
	return nil
}
