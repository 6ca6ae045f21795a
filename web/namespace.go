package web

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// teamRow is a team of an organization with its members among the org's
// members.
type teamRow struct {
	Name    string
	Members []string
}

// namespaceData is a user or organization page's data.
type namespaceData struct {
	Name     string
	FullName string
	Org      bool
	Repos    []repoCard
	Next     string
	First    string
	Members  []hub.Membership // org members, for members only
	IsMember bool
	Teams    []teamRow // for org admins only
	IsAdmin  bool
}

// namespaceRoute serves /NS, stepping aside for reserved first segments.
func (s *site) namespaceRoute(c *fiber.Ctx) error {
	ns := param(c, "ns")
	if reservedTop[strings.ToLower(ns)] || hub.ValidateName("namespace", ns) != nil {
		return c.Next()
	}
	return s.browse(s.namespacePage)(c)
}

// namespacePage lists a user's or organization's repos visible to the
// reader and, for organizations, the members (to members) and the teams
// (to admins).
func (s *site) namespacePage(c *fiber.Ctx, r *reader) error {
	ctx := c.UserContext()
	u, err := s.svc.Meta.GetUser(ctx, param(c, "ns"))
	if errors.Is(err, hub.ErrNotFound) {
		return s.notFound(c, r, "No user or organization of that name.")
	}
	if err != nil {
		return err
	}
	d := namespaceData{Name: u.Name, FullName: u.FullName, Org: u.Org}
	f := hub.RepoFilter{Author: u.Name, Sort: "lastModified", After: c.Query("after"), Limit: homePageSize}
	repos, next, err := s.svc.ListRepos(ctx, r.caller, f)
	if err != nil {
		return err
	}
	d.Repos = repoCards(repos)
	base := "/" + u.Name
	if next != "" {
		d.Next = base + "?after=" + next
	}
	if f.After != "" {
		d.First = base
	}
	if u.Org {
		if err := s.fillOrg(ctx, r.caller, &d); err != nil {
			return err
		}
	}
	return s.render(c, fiber.StatusOK, "namespace", r.view(c, u.Name, d))
}

// fillOrg adds the members (when the reader is a member or a site admin)
// and the teams (when the reader administers the org).
func (s *site) fillOrg(ctx context.Context, c *hub.Caller, d *namespaceData) error {
	members, err := s.svc.ListOrgMembers(ctx, c, d.Name)
	if errors.Is(err, hub.ErrNotFound) || errors.Is(err, hub.ErrUnauthorized) {
		return nil
	}
	if err != nil {
		return err
	}
	d.Members, d.IsMember = members, true
	d.IsAdmin = !c.Anonymous() && c.User.Admin
	for _, m := range c.Orgs {
		if strings.EqualFold(m.Org, d.Name) && m.Role == hub.OrgRoleAdmin {
			d.IsAdmin = true
		}
	}
	if d.IsAdmin {
		d.Teams, err = s.orgTeams(ctx, d.Name, members)
	}
	return err
}

// orgTeams lists org's teams that have at least one org member, with
// those members. (The hub has no "list teams of an org" yet; teams whose
// members are all outside collaborators, or empty teams, do not show.)
func (s *site) orgTeams(ctx context.Context, org string, members []hub.Membership) ([]teamRow, error) {
	byName := map[string]*teamRow{}
	for _, m := range members {
		teams, err := s.svc.Meta.ListUserTeams(ctx, m.User)
		if err != nil {
			return nil, err
		}
		for _, t := range teams {
			if !strings.EqualFold(t.Org, org) {
				continue
			}
			row := byName[strings.ToLower(t.Name)]
			if row == nil {
				row = &teamRow{Name: t.Name}
				byName[strings.ToLower(t.Name)] = row
			}
			row.Members = append(row.Members, m.User)
		}
	}
	out := make([]teamRow, 0, len(byName))
	for _, row := range byName {
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b teamRow) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}
