package web

import (
	"context"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// maxListedRepos bounds the repos listed per namespace on the settings page.
const maxListedRepos = 1000

// reposData is the repository settings page's data.
type reposData struct {
	Groups  []repoGroup
	Changed *repoRow // the repo whose visibility was just changed
	Error   string
}

// repoGroup is the repos of one namespace the user administers.
type repoGroup struct {
	Namespace string
	Org       bool
	Repos     []repoRow
	Truncated bool // more than maxListedRepos
}

// repoRow is one repo in the list.
type repoRow struct {
	Type      string // "model", "dataset" or "space"
	ID        string // "ns/name"
	Private   bool
	UpdatedAt time.Time
}

// Ref returns the repo as the "changed" query value: "TYPE/NS/NAME".
func (r repoRow) Ref() string { return r.Type + "/" + r.ID }

// repos serves GET /settings/repos.
func (s *site) repos(c *fiber.Ctx) error {
	u, err := s.requireUser(c, requestPath(c))
	if u == nil {
		return err
	}
	return s.showRepos(c, u, fiber.StatusOK, reposData{}, c.Query("changed"))
}

// showRepos renders the repo page; changed names the repo ("TYPE/NS/NAME")
// whose change to confirm, if it is listed.
func (s *site) showRepos(c *fiber.Ctx, u *signedIn, status int, d reposData, changed string) error {
	groups, err := s.adminRepos(c.UserContext(), u.caller)
	if err != nil {
		return err
	}
	d.Groups = groups
	for _, g := range groups {
		for i := range g.Repos {
			if changed != "" && g.Repos[i].Ref() == changed {
				d.Changed = &g.Repos[i]
			}
		}
	}
	v := view{Title: "Repositories", Active: "repos", User: u.name(), CSRF: u.session.CSRF, Page: d}
	return s.render(c, status, "repos", v)
}

// adminRepos lists, per namespace, the repos whose settings the caller may
// change: those of the user's own namespace and of the organizations the
// user administers, each checked with hub.Decide.
func (s *site) adminRepos(ctx context.Context, caller *hub.Caller) ([]repoGroup, error) {
	groups := []repoGroup{{Namespace: caller.Name()}}
	for _, m := range caller.Orgs {
		if m.Role == hub.OrgRoleAdmin {
			groups = append(groups, repoGroup{Namespace: m.Org, Org: true})
		}
	}
	for i := range groups {
		if err := s.fillGroup(ctx, caller, &groups[i]); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

// fillGroup pages through a namespace's repos and keeps the administrable ones.
func (s *site) fillGroup(ctx context.Context, caller *hub.Caller, g *repoGroup) error {
	f := hub.RepoFilter{Author: g.Namespace, Sort: "id", Ascending: true, Limit: 100}
	for n := 0; ; {
		page, next, err := s.svc.ListRepos(ctx, caller, f)
		if err != nil {
			return err
		}
		for _, r := range page {
			if hub.Decide(caller, r, nil, hub.ActionAdmin) != nil { // grants never give admin
				continue
			}
			if n++; n > maxListedRepos {
				g.Truncated = true
				return nil
			}
			g.Repos = append(g.Repos, repoRow{Type: string(r.ID.Type), ID: r.ID.String(), Private: r.Private, UpdatedAt: r.UpdatedAt})
		}
		if next == "" || len(page) == 0 {
			return nil
		}
		f.After = next
	}
}

// setVisibility serves POST /settings/repos/visibility: fields type, repo
// ("ns/name") and private ("true" or "false"). Success redirects (303) to
// the list with a confirmation; refusals re-show it with the reason.
func (s *site) setVisibility(c *fiber.Ctx) error {
	u, err := s.requireForm(c, "/settings/repos")
	if u == nil {
		return err
	}
	id, private, err := visibilityForm(c)
	if err == nil {
		_, err = s.svc.UpdateRepoSettings(c.UserContext(), u.caller, id, hub.RepoSettings{Private: &private})
	}
	if err != nil {
		status, msg := describe(err)
		if status >= 500 {
			return err
		}
		setRetryAfter(c, err)
		return s.showRepos(c, u, status, reposData{Error: msg}, "")
	}
	ref := string(id.Type) + "/" + id.String()
	return c.Redirect("/settings/repos?changed="+url.QueryEscape(ref), fiber.StatusSeeOther)
}

// visibilityForm reads the visibility form.
func visibilityForm(c *fiber.Ctx) (hub.RepoID, bool, error) {
	t, err := hub.ParseRepoType(c.FormValue("type"))
	if err != nil {
		return hub.RepoID{}, false, err
	}
	id, err := hub.ParseRepoID(t, c.FormValue("repo"))
	if err != nil {
		return hub.RepoID{}, false, err
	}
	switch c.FormValue("private") {
	case "true":
		return id, true, nil
	case "false":
		return id, false, nil
	}
	return hub.RepoID{}, false, hub.Errorf(hub.ErrInvalid, "Choose public or private.")
}
