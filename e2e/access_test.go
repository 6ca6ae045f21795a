package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestAccessMatrix (issue 3, acceptance 1) runs every (caller x action x
// repo) cell over HTTP against one real server and checks the exact status
// and X-Error-Code (accessTable and expect hold the rules). Destructive
// actions run on a fresh copy of the repo per cell. Requests with a bad or
// revoked token come from a distinct loopback address per cell, so that the
// bad-token throttle (which the suite tests separately) cannot turn their
// 401s into 429s.
func TestAccessMatrix(t *testing.T) {
	w := newAccessWorld(t)
	repos := map[string]string{}
	for _, kind := range accessKinds {
		repos[kind] = w.kindRepo(kind, "m-"+strings.ToLower(kind), nil)
		w.commit(repos[kind], map[string]string{"config.json": matrixConfig(repos[kind])})
	}
	t.Run("fgOther/sanity", func(t *testing.T) { checkFineGrainedTarget(t, w) })
	t.Run("whoami", func(t *testing.T) { checkWhoami(t, w) })
	ips := 0
	for _, a := range accessActions {
		for _, caller := range accessCallers {
			for _, kind := range accessKinds {
				x := cell{caller: caller, kind: kind, repo: repos[kind], tag: strings.ToLower(caller)}
				if accessTable[caller][0] == invalid {
					ips++
					x.from = fmt.Sprintf("127.1.%d.%d", ips/250, ips%250+1)
				}
				t.Run(caller+"/"+a.name+"/"+kind, func(t *testing.T) { w.with(t).runCell(a, x) })
			}
		}
	}
}

// runCell performs action a for cell x and checks the outcome.
func (w *accessWorld) runCell(a accessAction, x cell) {
	if a.fresh {
		x.repo = w.kindRepo(x.kind, strings.ToLower(a.name+"-"+x.caller+"-"+x.kind), nil)
	}
	c := w.client(x.caller)
	if x.from != "" {
		c.hc = clientFrom(x.from, false)
	}
	r, err := a.send(c, x)
	if err != nil {
		w.t.Fatalf("%s: %v", a.name, err)
	}
	if err := expect(x.caller, a.need, x.kind).verify(w, a, x, r); err != nil {
		w.t.Errorf("%s by %s on %s (%s): %v", a.name, x.caller, x.kind, x.repo, err)
	}
}

// checkFineGrainedTarget shows that the fine-grained token works on the repo
// it names, so that its 404s elsewhere come from its scope.
func checkFineGrainedTarget(t *testing.T, w *accessWorld) {
	c := w.with(t).client(fgOther)
	r, err := c.do("GET", c.base+"/api/models/"+fgTarget, "", nil, true)
	if err != nil || r.Status != http.StatusOK {
		t.Errorf("fine-grained token reads %s: %s, want 200", fgTarget, describeResponse(r, err))
	}
	r, err = c.commit(fgTarget, ndjson("scoped write", "", regularFile("scoped.txt", []byte("ok"))))
	if err != nil || r.Status != http.StatusOK {
		t.Errorf("fine-grained token commits to %s: %s, want 200", fgTarget, describeResponse(r, err))
	}
}

// checkWhoami: whoami-v2 names each token's user, role and organizations as
// the HF clients read them (name, auth.accessToken.role, orgs[].name).
func checkWhoami(t *testing.T, w *accessWorld) {
	for _, tc := range []struct {
		caller, name, role string
		inOrg              bool
	}{
		{owner, ownerUser, "write", true}, {orgAdmin, orgAdminUser, "write", true},
		{orgWrite, orgWriteUser, "write", true}, {orgRead, orgReadUser, "write", true},
		{outsider, outsiderUser, "write", false}, {ownerRead, ownerUser, "read", true},
		{fgOther, ownerUser, "fineGrained", true},
	} {
		c := w.with(t).client(tc.caller)
		r, err := c.do("GET", c.base+"/api/whoami-v2", "", nil, true)
		var me struct {
			Name string `json:"name"`
			Orgs []struct {
				Name string `json:"name"`
			} `json:"orgs"`
			Auth struct {
				AccessToken struct {
					Role string `json:"role"`
				} `json:"accessToken"`
			} `json:"auth"`
		}
		if err != nil || r.Status != http.StatusOK || json.Unmarshal(r.Body, &me) != nil {
			t.Errorf("%s: whoami-v2: %s", tc.caller, describeResponse(r, err))
			continue
		}
		inOrg := slices.ContainsFunc(me.Orgs, func(o struct {
			Name string `json:"name"`
		}) bool {
			return o.Name == accessOrg
		})
		if me.Name != tc.name || me.Auth.AccessToken.Role != tc.role || inOrg != tc.inOrg {
			t.Errorf("%s: whoami-v2 name=%q role=%q in %s=%v, want %q %q %v", tc.caller, me.Name,
				me.Auth.AccessToken.Role, accessOrg, inOrg, tc.name, tc.role, tc.inOrg)
		}
	}
}

// with returns a copy of w that reports to t.
func (w *accessWorld) with(t *testing.T) *accessWorld {
	cp := *w
	cp.t = t
	cp.owner = &client{t: t, base: w.srv.URL, token: w.tokens[owner]}
	return &cp
}
