package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
)

// A private repo of the leak test: everything that identifies it.
type secretRepo struct {
	kind     string   // privUser or privOrg
	id, twin string   // its id; a missing repo of the same namespace
	blind    []string // callers who may not read it
	head     string   // its head commit
	tag      string   // tag of its card
	phrase   string   // heading of its card
	file     string   // path of a file in it
	text     string   // that file's content
}

func newSecret(w *accessWorld, kind string, blind ...string) *secretRepo {
	k := strings.ToLower(kind)
	s := &secretRepo{kind: kind, blind: blind, tag: "zqxtag" + k, phrase: "Unpublished zqx story " + k,
		file: "zqx-dir/zqx-notes-" + k + ".txt", text: "zqx secret content of " + k}
	card := "---\nlicense: mit\ntags:\n  - " + s.tag + "\n---\n\n# " + s.phrase + "\n"
	s.id = w.kindRepo(kind, "zqx-secret-"+k, map[string]string{"README.md": card, s.file: s.text})
	s.twin = strings.Replace(s.id, "zqx-secret-", "zqx-nothere-", 1)
	s.head = w.headOf(s.id)
	return s
}

// markers are strings only a reader of s may see: card, tag, file name and
// content, head commit, and (withID) its id.
func (s *secretRepo) markers(withID bool) []string {
	m := []string{s.phrase, s.tag, path.Base(s.file), s.text, s.head}
	if withID {
		m = append(m, s.id)
	}
	return m
}

// TestAccessPrivateNeverLeaks (issue 3, acceptance 2): a private repo's id,
// files and card never appear in a listing, search, error or page for a
// caller who cannot read it. Errors about it must be exactly those of a repo
// that does not exist.
func TestAccessPrivateNeverLeaks(t *testing.T) {
	w := newAccessWorld(t)
	secrets := []*secretRepo{
		newSecret(w, privUser, anonymous, orgAdmin, orgWrite, orgRead, teamRead, outsider, fgOther),
		newSecret(w, privOrg, anonymous, teamRead, outsider, fgOther),
	}
	decoy := w.kindRepo(pubUser, "public-decoy", map[string]string{
		"README.md": "---\ntags:\n  - " + secrets[0].tag + "\n  - " + secrets[1].tag + "\n---\n"})

	t.Run("owner/listings", func(t *testing.T) { ownerFindsSecrets(t, w.with(t), secrets) })
	for _, caller := range []string{anonymous, orgAdmin, orgWrite, orgRead, teamRead, outsider, fgOther} {
		var hidden []*secretRepo
		for _, s := range secrets {
			if slices.Contains(s.blind, caller) {
				hidden = append(hidden, s)
			}
		}
		t.Run(caller+"/listings", func(t *testing.T) { listingsHide(t, w.with(t).client(caller), hidden, decoy) })
	}
	for _, s := range secrets {
		for _, caller := range s.blind {
			t.Run(caller+"/errors/"+s.kind, func(t *testing.T) { errorsMatchMissing(t, w.with(t).client(caller), s) })
		}
	}
	t.Run("pages", func(t *testing.T) { pagesHide(t, w.with(t), secrets) })
}

// leaked returns the first marker found in r's body or headers.
func leaked(r *response, marks []string) string {
	var all bytes.Buffer
	all.Write(r.Body)
	for k, vs := range r.Header {
		all.WriteString("\n" + k + ": " + strings.Join(vs, ","))
	}
	for _, m := range marks {
		if m != "" && bytes.Contains(all.Bytes(), []byte(m)) {
			return m
		}
	}
	return ""
}

// listingQueries are the listing URLs tried for a caller blind to secrets.
func listingQueries(secrets []*secretRepo) []string {
	q := []string{"/api/models", "/api/models?full=true", "/api/models?search=zqx-sec", "/api/models?search=secret",
		"/api/models?search=zqx&full=true&cardData=true", "/api/models?search=zqx&sort=lastModified",
		"/api/datasets?search=zqx", "/api/spaces?search=zqx"}
	for _, s := range secrets {
		ns, name, _ := strings.Cut(s.id, "/")
		q = append(q, "/api/models?search="+url.QueryEscape(s.id), "/api/models?search="+name,
			"/api/models?search="+name[2:len(name)-2], "/api/models?author="+ns,
			"/api/models?author="+ns+"&cardData=true&full=true", "/api/models?filter="+s.tag,
			"/api/models?filter="+s.tag+"&full=true")
	}
	return q
}

// ownerFindsSecrets is the positive control: the same searches find the
// secrets for their owner, so their absence elsewhere means something.
func ownerFindsSecrets(t *testing.T, w *accessWorld, secrets []*secretRepo) {
	for _, s := range secrets {
		ns, name, _ := strings.Cut(s.id, "/")
		for _, q := range []string{"search=" + name, "search=" + name[2:len(name)-2], "search=zqx-sec",
			"filter=" + s.tag, "author=" + ns} {
			ids, r, err := searchIDs(w.owner, "/api/models?"+q)
			if err != nil || r.Status != http.StatusOK || !slices.Contains(ids, s.id) {
				t.Errorf("owner: /api/models?%s does not list %s: %v %s", q, s.id, ids, describeResponse(r, err))
			}
		}
	}
}

// listingsHide checks every listing query as c: 200 without a marker of
// the hidden secrets, while the public decoy (tagged like them) is found.
func listingsHide(t *testing.T, c *client, hidden []*secretRepo, decoy string) {
	var marks []string
	for _, s := range hidden {
		marks = append(marks, s.markers(true)...)
	}
	for _, q := range listingQueries(hidden) {
		r, err := c.do("GET", c.base+q, "", nil, true)
		if err != nil || r.Status != http.StatusOK {
			t.Errorf("GET %s: %s, want 200", q, describeResponse(r, err))
			continue
		}
		if m := leakedFromListing(r, marks, decoy); m != "" {
			t.Errorf("GET %s leaks %q: %s", q, m, truncate(r.Body))
		}
	}
	for _, s := range hidden {
		ids, r, err := searchIDs(c, "/api/models?filter="+s.tag)
		if err != nil || !slices.Contains(ids, decoy) {
			t.Errorf("filter=%s must still list the public %s: %v %s", s.tag, decoy, ids, describeResponse(r, err))
		}
	}
}

// leakedFromListing is leaked for a listing, except that the decoy's own
// entry (which carries the secrets' tags on purpose) may show its tags.
func leakedFromListing(r *response, marks []string, decoy string) string {
	var items []json.RawMessage
	if err := json.Unmarshal(r.Body, &items); err != nil {
		return leaked(r, marks)
	}
	for _, it := range items {
		var item struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(it, &item) == nil && item.ID == decoy {
			continue
		}
		if m := leaked(&response{Body: it}, marks); m != "" {
			return m
		}
	}
	return leaked(&response{Header: r.Header}, marks)
}

// probe is one request about a repo: {id}, {ns}, {name}, {file} and {oid}
// stand for the repo's id, namespace, name, secret file and its sha256.
type probe struct {
	method, path, ctype, body string
}

var repoProbes = []probe{
	{method: "GET", path: "/api/models/{id}"},
	{method: "GET", path: "/api/models/{id}/revision/main"},
	{method: "GET", path: "/api/models/{id}?expand=cardData"},
	{method: "GET", path: "/api/models/{id}/tree/main"},
	{method: "GET", path: "/api/models/{id}/tree/main/zqx-dir"},
	{method: "GET", path: "/api/models/{id}/refs"},
	{method: "GET", path: "/api/models/{id}/commits/main"},
	{method: "POST", path: "/api/models/{id}/paths-info/main", ctype: "application/json", body: `{"paths":["{file}"]}`},
	{method: "GET", path: "/{id}/resolve/main/{file}"},
	{method: "HEAD", path: "/{id}/resolve/main/{file}"},
	{method: "GET", path: "/{id}/resolve/main/README.md"},
	{method: "GET", path: "/{id}/resolve/main/missing.txt"},
	{method: "GET", path: "/{id}/raw/main/{file}"},
	{method: "HEAD", path: "/{id}/raw/main/README.md"},
	{method: "POST", path: "/api/models/{id}/preupload/main", ctype: "application/json",
		body: `{"files":[{"path":"x.txt","size":3,"sample":"YWJj"}]}`},
	{method: "POST", path: "/api/models/{id}/commit/main", ctype: "application/x-ndjson",
		body: `{"key":"header","value":{"summary":"x"}}` + "\n"},
	{method: "POST", path: "/{id}.git/info/lfs/objects/batch", ctype: "application/vnd.git-lfs+json",
		body: `{"operation":"download","objects":[{"oid":"{oid}","size":10}]}`},
	{method: "POST", path: "/{id}.git/info/lfs/objects/batch", ctype: "application/vnd.git-lfs+json",
		body: `{"operation":"upload","transfers":["basic"],"objects":[{"oid":"{oid}","size":10}]}`},
	{method: "POST", path: "/api/models/{id}/branch/leak", ctype: "application/json", body: `{}`},
	{method: "PUT", path: "/api/models/{id}/settings", ctype: "application/json", body: `{"private":true}`},
	{method: "POST", path: "/api/repos/move", ctype: "application/json",
		body: `{"fromRepo":"{id}","toRepo":"{id}-moved","type":"model"}`},
	{method: "DELETE", path: "/api/repos/delete", ctype: "application/json", body: `{"name":"{name}","organization":"{ns}","type":"model"}`},
}

// send sends p about repo id (with the secret file of s) as c.
func (p probe) send(c *client, s *secretRepo, id string) (*response, error) {
	ns, name, _ := strings.Cut(id, "/")
	fill := strings.NewReplacer("{id}", id, "{ns}", ns, "{name}", name, "{file}", s.file,
		"{oid}", sha256Hex([]byte(s.text)))
	return c.do(p.method, c.base+fill.Replace(p.path), p.ctype, strings.NewReader(fill.Replace(p.body)), true)
}

// errorsMatchMissing sends every probe about s and about its missing twin as
// c: the answers must be equal once the names are swapped (status,
// X-Error-Code, X-Error-Message, body), hidden (401/404 RepoNotFound), and
// free of s's markers.
func errorsMatchMissing(t *testing.T, c *client, s *secretRepo) {
	swap := func(b string) string { return strings.ReplaceAll(b, s.twin, s.id) }
	for _, p := range repoProbes {
		what := p.method + " " + p.path
		got, err := p.send(c, s, s.id)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		twin, err := p.send(c, s, s.twin)
		if err != nil {
			t.Fatalf("%s (missing twin): %v", what, err)
		}
		if m := leaked(got, s.markers(false)); m != "" {
			t.Errorf("%s leaks %q: %s", what, m, describeResponse(got, nil))
		}
		hidden := got.Status == http.StatusUnauthorized || got.Status == http.StatusNotFound
		if !hidden || got.Header.Get("X-Error-Code") != "RepoNotFound" {
			t.Errorf("%s: %s, want 401/404 RepoNotFound", what, describeResponse(got, nil))
		}
		if got.Status != twin.Status || got.Header.Get("X-Error-Code") != twin.Header.Get("X-Error-Code") ||
			got.Header.Get("X-Error-Message") != swap(twin.Header.Get("X-Error-Message")) ||
			string(got.Body) != swap(string(twin.Body)) {
			t.Errorf("%s differs from a missing repo's answer:\n private: %s\n missing: %s",
				what, describeResponse(got, nil), describeResponse(twin, nil))
		}
	}
}

// pagesHide checks the web pages as anonymous, with the outsider's token and
// signed in as the outsider and as the team member (blind to both secrets):
// a 200 page never shows a secret, and the secrets' own pages answer like
// those of missing repos.
func pagesHide(t *testing.T, w *accessWorld, secrets []*secretRepo) {
	as := map[string]*client{
		"anonymous":        w.client(anonymous),
		"outsider token":   w.client(outsider),
		"outsider session": signInAs(t, w, outsiderUser),
		"team session":     signInAs(t, w, teamUser),
	}
	pages := []string{"/", "/?search=zqx-secret", "/?search=zqx", "/" + ownerUser, "/" + accessOrg,
		"/settings/repos", "/settings/tokens", "/models?search=zqx"}
	var marks []string
	for _, s := range secrets {
		marks = append(marks, s.markers(true)...)
	}
	for who, c := range as {
		var shown []string
		for _, p := range pages {
			r, err := c.do("GET", c.base+p, "", nil, true)
			if err != nil {
				t.Fatalf("%s GET %s: %v", who, p, err)
			}
			if r.Status == http.StatusOK {
				shown = append(shown, p)
			}
			if m := leaked(r, marks); r.Status == http.StatusOK && m != "" {
				t.Errorf("%s: page %s leaks %q", who, p, m)
			}
		}
		t.Logf("%s: pages answering 200 (checked for secrets): %v", who, shown)
		for _, s := range secrets {
			repoPageHides(t, who, c, s)
		}
	}
}

// signInAs signs user in through /login and returns a client holding the
// session cookie (reporting a failure, in which case pages are seen
// anonymously).
func signInAs(t *testing.T, w *accessWorld, user string) *client {
	session := clientFrom("127.0.0.1", true)
	r, err := webSignIn(session, w.srv.URL, user, passwordOf(user))
	if ok, err2 := signedIn(session, w.srv.URL); err != nil || !ok {
		t.Errorf("sign in as %s through /login failed (%v %v): %s", user, err, err2, describeResponse(r, err))
	}
	return &client{t: t, base: w.srv.URL, hc: session}
}

// repoPageHides checks that the web page of s answers as c like the page
// of its missing twin, never 200, without s's markers.
func repoPageHides(t *testing.T, who string, c *client, s *secretRepo) {
	got, err1 := c.do("GET", c.base+"/"+s.id, "", nil, true)
	twin, err2 := c.do("GET", c.base+"/"+s.twin, "", nil, true)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s GET /%s: %v %v", who, s.id, err1, err2)
	}
	if got.Status == http.StatusOK || got.Status != twin.Status || leaked(got, s.markers(false)) != "" {
		t.Errorf("%s: page /%s: status %d (missing repo: %d), body %s", who, s.id, got.Status, twin.Status, truncate(got.Body))
	}
}
