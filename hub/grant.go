package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Grant gives a user or a team read or write access to one repo.
type Grant struct {
	RepoKey   string
	Subject   string // UserSubject(name) or TeamSubject(org, team)
	Role      string // RoleRead or RoleWrite
	CreatedAt time.Time
}

// UserSubject is the grant subject of a user.
func UserSubject(name string) string { return "user:" + strings.ToLower(name) }

// TeamSubject is the grant subject of a team.
func TeamSubject(org, team string) string { return teamSubjectKey(org + "/" + team) }

func teamSubjectKey(orgTeam string) string { return "team:" + strings.ToLower(orgTeam) }

// GrantRepo gives subject (UserSubject or TeamSubject) role RoleRead or
// RoleWrite on repo id, replacing an earlier grant to the same subject.
// The caller needs admin rights on the repo. The user or team must exist
// (teams of any org may be granted repos of a user or of their own org).
func (s *Service) GrantRepo(ctx context.Context, c *Caller, id RepoID, subject, role string) (*Grant, error) {
	if role != RoleRead && role != RoleWrite {
		return nil, Errorf(ErrInvalid, "invalid grant role %q: must be read or write", role)
	}
	r, err := s.FindRepo(ctx, c, id, ActionAdmin)
	if err != nil {
		return nil, err
	}
	if err := s.checkSubject(ctx, subject); err != nil {
		return nil, err
	}
	g := Grant{RepoKey: r.Key, Subject: strings.ToLower(subject), Role: role, CreatedAt: s.now()}
	if err := s.Meta.PutGrant(ctx, g); err != nil {
		return nil, fmt.Errorf("grant: %w", err)
	}
	return &g, s.audit(ctx, c, "repo.grant", r.ID.Type.URLPrefix()+r.ID.String(), subject+" "+role)
}

// RevokeGrant removes subject's grant on repo id (admin on the repo).
func (s *Service) RevokeGrant(ctx context.Context, c *Caller, id RepoID, subject string) error {
	r, err := s.FindRepo(ctx, c, id, ActionAdmin)
	if err != nil {
		return err
	}
	if err := s.Meta.DeleteGrant(ctx, r.Key, strings.ToLower(subject)); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Errorf(ErrNotFound, "%s has no grant on %s", subject, r.ID)
		}
		return fmt.Errorf("revoke grant: %w", err)
	}
	return s.audit(ctx, c, "repo.ungrant", r.ID.Type.URLPrefix()+r.ID.String(), subject)
}

// ListGrants returns the grants of repo id (admin on the repo).
func (s *Service) ListGrants(ctx context.Context, c *Caller, id RepoID) ([]Grant, error) {
	r, err := s.FindRepo(ctx, c, id, ActionAdmin)
	if err != nil {
		return nil, err
	}
	return s.Meta.ListRepoGrants(ctx, r.Key)
}

// checkSubject verifies that a grant subject names an existing user or team.
func (s *Service) checkSubject(ctx context.Context, subject string) error {
	kind, name, _ := strings.Cut(subject, ":")
	switch kind {
	case "user":
		_, err := s.person(ctx, name)
		return err
	case "team":
		org, team, ok := strings.Cut(name, "/")
		if !ok {
			return Errorf(ErrInvalid, "invalid team %q: expected ORG/TEAM", name)
		}
		_, err := s.findTeam(ctx, org, team)
		return err
	}
	return Errorf(ErrInvalid, "invalid grant subject %q", subject)
}
