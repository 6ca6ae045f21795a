package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Organization roles. An org's owner is one of its admins.
const (
	OrgRoleRead  = "read"  // read the org's private repos
	OrgRoleWrite = "write" // also push and create repos in the org
	OrgRoleAdmin = "admin" // also settings, members, teams, grants, delete
)

// Membership is a user's role in an organization.
type Membership struct {
	Org       string
	User      string
	Role      string // OrgRoleRead, OrgRoleWrite or OrgRoleAdmin
	CreatedAt time.Time
}

// Team is a named group of users inside an organization.
type Team struct {
	Org       string
	Name      string
	CreatedAt time.Time
}

// CreateOrg creates organization name with owner as its first admin. The
// caller must be the owner or a site administrator. Errors: ErrInvalid for
// a bad or reserved name, ErrConflict when the name is taken by a user or
// org, ErrNotFound when owner is not a user.
func (s *Service) CreateOrg(ctx context.Context, c *Caller, name, owner string) (*User, error) {
	if err := checkNewName("organization name", name); err != nil {
		return nil, err
	}
	if c.Anonymous() || (!c.User.Admin && !equalFold(c.User.Name, owner)) {
		return nil, Errorf(ErrForbidden, "only %s or a site administrator may create an organization owned by %s", owner, owner)
	}
	if err := tokenMayManage(c); err != nil {
		return nil, err
	}
	ou, err := s.person(ctx, owner)
	if err != nil {
		return nil, err
	}
	now := s.now()
	org := &User{Name: name, Org: true, CreatedAt: now}
	if err := s.Meta.CreateUser(ctx, org); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, Errorf(ErrConflict, "the name %q is already taken", name)
		}
		return nil, fmt.Errorf("create org: %w", err)
	}
	m := Membership{Org: org.Name, User: ou.Name, Role: OrgRoleAdmin, CreatedAt: now}
	if err := s.Meta.PutMember(ctx, m); err != nil {
		return nil, fmt.Errorf("create org: %w", err)
	}
	return org, s.audit(ctx, c, "org.create", org.Name, "owner "+ou.Name)
}

// AddOrgMember adds user to org with role, or changes their role. The
// caller must be an admin of the org or a site administrator.
func (s *Service) AddOrgMember(ctx context.Context, c *Caller, org, user, role string) (*Membership, error) {
	if role != OrgRoleRead && role != OrgRoleWrite && role != OrgRoleAdmin {
		return nil, Errorf(ErrInvalid, "invalid role %q: must be read, write or admin", role)
	}
	o, err := s.manageOrg(ctx, c, org)
	if err != nil {
		return nil, err
	}
	u, err := s.person(ctx, user)
	if err != nil {
		return nil, err
	}
	m := Membership{Org: o.Name, User: u.Name, Role: role, CreatedAt: s.now()}
	if old, err := s.Meta.GetMember(ctx, o.Name, u.Name); err == nil {
		m.CreatedAt = old.CreatedAt
	}
	if err := s.Meta.PutMember(ctx, m); err != nil {
		return nil, fmt.Errorf("add org member: %w", err)
	}
	return &m, s.audit(ctx, c, "org.member.add", o.Name+"/"+u.Name, "role "+role)
}

// RemoveOrgMember removes user from org (org admin or site administrator).
func (s *Service) RemoveOrgMember(ctx context.Context, c *Caller, org, user string) error {
	o, err := s.manageOrg(ctx, c, org)
	if err != nil {
		return err
	}
	if err := s.Meta.DeleteMember(ctx, o.Name, user); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Errorf(ErrNotFound, "%s is not a member of %s", user, o.Name)
		}
		return fmt.Errorf("remove org member: %w", err)
	}
	return s.audit(ctx, c, "org.member.remove", o.Name+"/"+user, "")
}

// ListOrgMembers returns org's members; the caller must be a member of the
// org or a site administrator.
func (s *Service) ListOrgMembers(ctx context.Context, c *Caller, org string) ([]Membership, error) {
	if err := s.LoadMemberships(ctx, c); err != nil {
		return nil, err
	}
	if _, ok := c.membership(org); !ok && (c.Anonymous() || !c.User.Admin) {
		return nil, Errorf(ErrNotFound, "organization %q not found", org)
	}
	ms, err := s.Meta.ListMembers(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("list org members: %w", err)
	}
	return ms, nil
}

// CreateTeam creates team in org (org admin or site administrator).
func (s *Service) CreateTeam(ctx context.Context, c *Caller, org, team string) (*Team, error) {
	if err := ValidateName("team name", team); err != nil {
		return nil, err
	}
	o, err := s.manageOrg(ctx, c, org)
	if err != nil {
		return nil, err
	}
	t := &Team{Org: o.Name, Name: team, CreatedAt: s.now()}
	if err := s.Meta.CreateTeam(ctx, t); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, Errorf(ErrConflict, "team %s/%s already exists", o.Name, team)
		}
		return nil, fmt.Errorf("create team: %w", err)
	}
	return t, s.audit(ctx, c, "team.create", o.Name+"/"+team, "")
}

// AddTeamMember adds user to org's team (org admin or site administrator).
// The user need not be a member of the org: a team can give outside
// collaborators access to the repos granted to it.
func (s *Service) AddTeamMember(ctx context.Context, c *Caller, org, team, user string) error {
	o, err := s.manageOrg(ctx, c, org)
	if err != nil {
		return err
	}
	t, err := s.findTeam(ctx, o.Name, team)
	if err != nil {
		return err
	}
	u, err := s.person(ctx, user)
	if err != nil {
		return err
	}
	if err := s.Meta.AddTeamMember(ctx, t.Org, t.Name, u.Name); err != nil {
		return fmt.Errorf("add team member: %w", err)
	}
	return s.audit(ctx, c, "team.member.add", t.Org+"/"+t.Name, "user "+u.Name)
}

// RemoveTeamMember removes user from org's team (org admin or site administrator).
func (s *Service) RemoveTeamMember(ctx context.Context, c *Caller, org, team, user string) error {
	o, err := s.manageOrg(ctx, c, org)
	if err != nil {
		return err
	}
	if err := s.Meta.RemoveTeamMember(ctx, o.Name, team, user); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Errorf(ErrNotFound, "%s is not a member of team %s/%s", user, o.Name, team)
		}
		return fmt.Errorf("remove team member: %w", err)
	}
	return s.audit(ctx, c, "team.member.remove", o.Name+"/"+team, "user "+user)
}

func (s *Service) findTeam(ctx context.Context, org, team string) (*Team, error) {
	t, err := s.Meta.GetTeam(ctx, org, team)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ErrNotFound, "team %s/%s not found", org, team)
	} else if err != nil {
		return nil, fmt.Errorf("get team: %w", err)
	}
	return t, nil
}

// manageOrg loads org and checks that c administers it. Callers who are not
// members learn nothing about the org's existence beyond ErrNotFound.
func (s *Service) manageOrg(ctx context.Context, c *Caller, org string) (*User, error) {
	if c.Anonymous() {
		return nil, Errorf(ErrUnauthorized, "You must be authenticated to manage an organization")
	}
	if err := s.LoadMemberships(ctx, c); err != nil {
		return nil, err
	}
	m, member := c.membership(org)
	if !member && !c.User.Admin {
		return nil, Errorf(ErrNotFound, "organization %q not found", org)
	}
	if !c.User.Admin && m.Role != OrgRoleAdmin {
		return nil, Errorf(ErrForbidden, "You must be an admin of %s to manage it", m.Org)
	}
	if err := tokenMayManage(c); err != nil {
		return nil, err
	}
	o, err := s.Meta.GetUser(ctx, org)
	if errors.Is(err, ErrNotFound) || (err == nil && !o.Org) {
		return nil, Errorf(ErrNotFound, "organization %q not found", org)
	} else if err != nil {
		return nil, fmt.Errorf("get org: %w", err)
	}
	return o, nil
}

// tokenMayManage refuses read and fine-grained tokens for management
// actions (orgs, teams): those need a session, a write token or the operator.
func tokenMayManage(c *Caller) error {
	if c.Token != nil && c.Token.Role != RoleWrite {
		return Errorf(ErrForbidden, "This token has the %q role and cannot manage organizations", c.Token.Role)
	}
	return nil
}

// person returns the user (not org) named name; ErrNotFound otherwise.
func (s *Service) person(ctx context.Context, name string) (*User, error) {
	u, err := s.Meta.GetUser(ctx, name)
	if errors.Is(err, ErrNotFound) || (err == nil && u.Org) {
		return nil, Errorf(ErrNotFound, "user %q not found", name)
	} else if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// LoadMemberships fills c.Orgs and c.Teams from the store if
// authentication deferred them; it does nothing otherwise.
func (s *Service) LoadMemberships(ctx context.Context, c *Caller) error {
	if c.Anonymous() || !c.deferred {
		return nil
	}
	return s.loadMemberships(ctx, c)
}

// loadMemberships fills c.Orgs and c.Teams from the store.
func (s *Service) loadMemberships(ctx context.Context, c *Caller) error {
	ms, err := s.Meta.ListMemberships(ctx, c.User.Name)
	if err != nil {
		return fmt.Errorf("load memberships: %w", err)
	}
	ts, err := s.Meta.ListUserTeams(ctx, c.User.Name)
	if err != nil {
		return fmt.Errorf("load teams: %w", err)
	}
	c.Orgs, c.deferred = ms, false
	c.Teams = make([]string, 0, len(ts))
	for _, t := range ts {
		c.Teams = append(c.Teams, strings.ToLower(t.Org+"/"+t.Name))
	}
	return nil
}

// checkNewName validates a new user or org name: the repo-name rule, and
// not a top-level URL segment of the hub.
func checkNewName(what, name string) error {
	if err := ValidateName(what, name); err != nil {
		return err
	}
	for _, r := range reservedNames {
		if equalFold(r, name) {
			return Errorf(ErrInvalid, "invalid %s %q: reserved", what, name)
		}
	}
	return nil
}
