package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestAccessVisibilityFlip (issue 3, acceptance 3): PUT settings to public
// makes a private repo readable anonymously at once (info, resolve, listings)
// and flipping it back hides it at once. Every surface is read before each
// flip so that a cache of access decisions or listings would be stale.
func TestAccessVisibilityFlip(t *testing.T) {
	w := newAccessWorld(t)
	for _, f := range []struct {
		kind, flipper string
	}{{privUser, owner}, {privOrg, orgAdmin}} {
		t.Run(f.kind+"/by-"+f.flipper, func(t *testing.T) {
			sw := w.with(t)
			tag := "fliptag" + strings.ToLower(f.kind)
			repo := sw.kindRepo(f.kind, "flip-"+strings.ToLower(f.kind), map[string]string{
				"README.md": "---\ntags:\n  - " + tag + "\n---\n# Flip\n", "config.json": `{"flip":true}`})
			v := visibilityProbe{t: t, w: sw, repo: repo, tag: tag}
			v.expectHidden("before the first flip")
			v.flip(f.flipper, map[string]any{"private": false})
			v.expectPublic("right after flipping to public (private:false)")
			v.flip(f.flipper, map[string]any{"visibility": "private"})
			v.expectHidden("right after flipping back (visibility:private)")
			v.flip(f.flipper, map[string]any{"visibility": "public"})
			v.expectPublic("right after flipping to public again (visibility:public)")
			v.flip(f.flipper, map[string]any{"private": true})
			v.expectHidden("right after flipping back again (private:true)")
		})
	}
}

// visibilityProbe reads one repo through every anonymous surface.
type visibilityProbe struct {
	t         *testing.T
	w         *accessWorld
	repo, tag string
}

// flip changes the repo's settings as caller, failing unless it answers 200.
func (v visibilityProbe) flip(caller string, body map[string]any) {
	v.t.Helper()
	r, err := sendJSON(v.w.client(caller), "PUT", "/api/models/"+v.repo+"/settings", body)
	if err != nil || r.Status != http.StatusOK {
		v.t.Fatalf("PUT settings %v as %s: %s, want 200", body, caller, describeResponse(r, err))
	}
}

// anonymousReads are the direct reads of the repo and their public answers.
func (v visibilityProbe) anonymousReads() map[string]string {
	return map[string]string{
		"/api/models/" + v.repo:                    `"private":false`,
		"/" + v.repo + "/resolve/main/config.json": `{"flip":true}`,
		"/api/models/" + v.repo + "/tree/main":     `"config.json"`,
	}
}

// listings are the searches that must list the repo exactly when it is public.
func (v visibilityProbe) listings() []string {
	ns, name, _ := strings.Cut(v.repo, "/")
	return []string{"/api/models?search=" + name, "/api/models?search=" + name[1:len(name)-1],
		"/api/models?author=" + ns, "/api/models?filter=" + v.tag}
}

func (v visibilityProbe) expectPublic(when string) {
	v.t.Helper()
	anon := v.w.client(anonymous)
	for path, want := range v.anonymousReads() {
		r, err := anon.do("GET", anon.base+path, "", nil, true)
		if err != nil || r.Status != http.StatusOK || !strings.Contains(string(r.Body), want) {
			v.t.Errorf("%s: anonymous GET %s: %s, want 200 with %s", when, path, describeResponse(r, err), want)
		}
	}
	for _, caller := range []string{anonymous, outsider} {
		for _, q := range v.listings() {
			ids, r, err := searchIDs(v.w.client(caller), q)
			if err != nil || !slices.Contains(ids, v.repo) {
				v.t.Errorf("%s: %s GET %s does not list %s: %v %s", when, caller, q, v.repo, ids, describeResponse(r, err))
			}
		}
	}
}

func (v visibilityProbe) expectHidden(when string) {
	v.t.Helper()
	for _, caller := range []string{anonymous, outsider} {
		c := v.w.client(caller)
		want := expect(caller, read, privUser) // hidden: 401 or 404 RepoNotFound
		for path := range v.anonymousReads() {
			r, err := c.do("GET", c.base+path, "", nil, true)
			if err != nil || r.Status != want.Status || r.Header.Get("X-Error-Code") != want.Code {
				v.t.Errorf("%s: %s GET %s: %s, want %d %s", when, caller, path, describeResponse(r, err), want.Status, want.Code)
			}
		}
		for _, q := range v.listings() {
			ids, r, err := searchIDs(c, q)
			if err != nil || slices.Contains(ids, v.repo) {
				v.t.Errorf("%s: %s GET %s lists the private %s: %v %s", when, caller, q, v.repo, ids, describeResponse(r, err))
			}
		}
	}
	ids, r, err := searchIDs(v.w.owner, v.listings()[0])
	if err != nil || !slices.Contains(ids, v.repo) {
		v.t.Errorf("%s: the owner's search does not list %s: %v %s", when, v.repo, ids, describeResponse(r, err))
	}
}
