package hub

import (
	"context"
	"fmt"
)

// Action is what a caller wants to do with a repo.
type Action int

// Actions, each implying the ones before it.
const (
	ActionRead  Action = iota // info, files, listings
	ActionWrite               // commits, uploads, branches, tags
	ActionAdmin               // settings, delete, move, grants
)

// level is a right on a repo; the order matters.
type level int

const (
	levelNone level = iota
	levelRead
	levelWrite
	levelAdmin
)

func (a Action) level() level { return level(a) + 1 }

func roleLevel(role string) level {
	switch role {
	case RoleRead:
		return levelRead
	case RoleWrite:
		return levelWrite
	case OrgRoleAdmin:
		return levelAdmin
	}
	return levelNone
}

// Decide is the one function that decides whether caller c may perform a
// on repo, given the repo's grants (only needed when c's own and org rights
// do not suffice; Service.authorize loads them). Every route (API,
// resolve, raw, LFS, listings, pages, git) goes through it via
// Service.FindRepo. The rules:
//
//   - Public repos are readable by everyone, whatever the token.
//   - A user's rights: admin on their namespace; their org role (read,
//     write, admin) on the org's repos; the role of grants to them or their
//     teams; site administrators are admin everywhere.
//   - A token caps those rights: read tokens at read, write tokens not at
//     all, fine-grained tokens at the best scope matching the repo (write
//     scopes allow admin actions), none when no scope matches.
//   - A caller who cannot read learns nothing: anonymous gets 401
//     RepoNotFound, others 404 RepoNotFound. Readers who may not write or
//     administer get 403 (401 when anonymous).
func Decide(c *Caller, repo *Repo, grants []Grant, a Action) error {
	user := userLevel(c, repo, grants)
	limit := tokenLevel(c, repo.ID)
	eff := min(user, limit)
	if !repo.Private {
		eff = max(eff, levelRead)
	}
	need := a.level()
	switch {
	case eff >= need:
		return nil
	case eff < levelRead:
		return repoHidden(c)
	case c.Anonymous():
		return Errorf(ErrUnauthorized, "You must be authenticated to %s %s", verb(a), repo.ID)
	case user >= need:
		return Errorf(ErrForbidden, "This token (%s) cannot %s %s", c.Token.Role, verb(a), repo.ID)
	}
	return Errorf(ErrForbidden, "You don't have the rights to %s %s", verb(a), repo.ID)
}

func verb(a Action) string {
	switch a {
	case ActionWrite:
		return "write to"
	case ActionAdmin:
		return "administer"
	}
	return "read"
}

// userLevel is what c's user may do on repo, whatever the token.
func userLevel(c *Caller, repo *Repo, grants []Grant) level {
	lvl := levelNone
	if !repo.Private {
		lvl = levelRead
	}
	if c.Anonymous() {
		return lvl
	}
	lvl = max(lvl, namespaceLevel(c, repo.ID.Namespace))
	if len(grants) > 0 {
		subjects := c.subjects()
		for _, g := range grants {
			for _, sub := range subjects {
				if g.Subject == sub {
					lvl = max(lvl, roleLevel(g.Role))
				}
			}
		}
	}
	return lvl
}

// namespaceLevel is what c's user may do on every repo of namespace ns.
func namespaceLevel(c *Caller, ns string) level {
	if c.Anonymous() {
		return levelNone
	}
	if c.User.Admin || equalFold(c.User.Name, ns) {
		return levelAdmin
	}
	if m, ok := c.membership(ns); ok {
		return roleLevel(m.Role)
	}
	return levelNone
}

// tokenLevel is the cap c's token puts on its user's rights on repo id.
func tokenLevel(c *Caller, id RepoID) level {
	if c.Anonymous() || c.Token == nil {
		return levelAdmin
	}
	switch c.Token.Role {
	case RoleRead:
		return levelRead
	case RoleWrite:
		return levelAdmin
	case RoleFineGrained:
		lvl := levelNone
		for _, sc := range c.Token.Scopes {
			if sc.covers(id) {
				lvl = max(lvl, scopeLevel(sc.Role))
			}
		}
		return lvl
	}
	return levelNone
}

func scopeLevel(role string) level {
	if role == RoleWrite {
		return levelAdmin
	}
	return roleLevel(role)
}

// covers reports whether the scope applies to repo id.
func (sc TokenScope) covers(id RepoID) bool {
	if !equalFold(sc.Namespace, id.Namespace) {
		return false
	}
	return sc.Name == "" || (equalFold(sc.Name, id.Name) && normalizeType(sc.Type) == normalizeType(id.Type))
}

func normalizeType(t RepoType) RepoType {
	if t == "" {
		return Model
	}
	return t
}

// AuthorizeNamespace decides whether caller (with memberships loaded, see
// Service.LoadMemberships) may create repos in ns (or move repos into it): the user's own namespace, an org where they have
// the write or admin role, or anywhere for site administrators; read
// tokens never, fine-grained tokens only with a write scope on ns.
func AuthorizeNamespace(c *Caller, ns string) error {
	if c.Anonymous() {
		return Errorf(ErrUnauthorized, "You must be authenticated to create a repo")
	}
	user := namespaceLevel(c, ns)
	limit := levelAdmin
	if c.Token != nil {
		limit = tokenLevel(c, RepoID{Namespace: ns})
		if c.Token.Role == RoleFineGrained {
			limit = namespaceScopeLevel(c.Token, ns)
		}
	}
	switch {
	case min(user, limit) >= levelWrite:
		return nil
	case user >= levelWrite:
		return Errorf(ErrForbidden, "This token (%s) cannot create repos under the namespace %q", c.Token.Role, ns)
	}
	return Errorf(ErrForbidden, "You don't have the rights to create a repo under the namespace %q", ns)
}

func namespaceScopeLevel(t *Token, ns string) level {
	lvl := levelNone
	for _, sc := range t.Scopes {
		if sc.Name == "" && equalFold(sc.Namespace, ns) {
			lvl = max(lvl, scopeLevel(sc.Role))
		}
	}
	return lvl
}

// repoHidden is the error for a repo the caller may not see (or that does
// not exist): the two must be indistinguishable.
func repoHidden(c *Caller) error {
	if c.Anonymous() {
		return &Error{Kind: ErrUnauthorized, Code: "RepoNotFound",
			Message: "Repository not found. If the repo is private, make sure you are authenticated."}
	}
	return &Error{Kind: ErrNotFound, Code: "RepoNotFound", Message: "Repository not found"}
}

// RepoNotVisible returns the error for a missing repo as the given caller
// must see it (401 for anonymous, 404 otherwise).
func RepoNotVisible(c *Caller) error { return repoHidden(c) }

// authorize loads what Decide needs beyond the caller (the repo's grants,
// only when the caller's own rights fall short) and decides. Nothing is
// cached: a visibility, membership or grant change applies to the next call.
func (s *Service) authorize(ctx context.Context, c *Caller, repo *Repo, a Action) error {
	if c.Anonymous() || userLevel(c, repo, nil) >= a.level() {
		// More memberships or grants could only raise the user's level.
		return Decide(c, repo, nil, a)
	}
	if err := s.LoadMemberships(ctx, c); err != nil {
		return err
	}
	var grants []Grant
	if userLevel(c, repo, nil) < a.level() {
		g, err := s.Meta.ListRepoGrants(ctx, repo.Key)
		if err != nil {
			return fmt.Errorf("authorize: %w", err)
		}
		grants = g
	}
	return Decide(c, repo, grants, a)
}

// visibleFilter fills f's visibility fields for caller from the store:
// private repos of the caller's namespaces (their own and every org they
// belong to) and of the repos granted to them or their teams. A
// fine-grained token narrows this to its scopes.
func (s *Service) visibleFilter(ctx context.Context, c *Caller, f *RepoFilter) error {
	f.AllPrivate, f.ViewerNamespaces, f.ViewerRepoKeys = false, nil, nil
	if c.Anonymous() {
		return nil
	}
	if err := s.LoadMemberships(ctx, c); err != nil {
		return err
	}
	if c.Token != nil && c.Token.Role == RoleFineGrained {
		return s.scopedFilter(ctx, c, f)
	}
	f.AllPrivate = c.User.Admin
	f.ViewerNamespaces = append(f.ViewerNamespaces, c.User.Name)
	for _, m := range c.Orgs {
		f.ViewerNamespaces = append(f.ViewerNamespaces, m.Org)
	}
	keys, err := s.Meta.ListGrantedRepoKeys(ctx, c.subjects())
	if err != nil {
		return fmt.Errorf("list repos: %w", err)
	}
	f.ViewerRepoKeys = keys
	return nil
}

// scopedFilter lists what a fine-grained token may see: the namespaces of
// its namespace scopes the user may read, and its repo scopes the caller
// may read. (Repos granted to the user inside a scoped namespace are left
// out of listings, never in.)
func (s *Service) scopedFilter(ctx context.Context, c *Caller, f *RepoFilter) error {
	for _, sc := range c.Token.Scopes {
		if sc.Name == "" {
			if namespaceLevel(c, sc.Namespace) >= levelRead {
				f.ViewerNamespaces = append(f.ViewerNamespaces, sc.Namespace)
			}
			continue
		}
		r, err := s.FindRepo(ctx, c, RepoID{Type: normalizeType(sc.Type), Namespace: sc.Namespace, Name: sc.Name}, ActionRead)
		if err == nil {
			f.ViewerRepoKeys = append(f.ViewerRepoKeys, r.Key)
		} else if ErrorKind(err) == nil {
			return err
		}
	}
	return nil
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
