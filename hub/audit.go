package hub

import (
	"context"
	"fmt"
	"time"
)

// AuditEvent is one entry of the audit log. Actions recorded by the
// service: "sign-in", "sign-in.failed", "sign-in.throttled", "sign-out",
// "token.create", "token.revoke", "repo.visibility", "repo.delete",
// "repo.move", "repo.grant", "repo.ungrant", "org.create",
// "org.member.add", "org.member.remove", "team.create",
// "team.member.add", "team.member.remove".
type AuditEvent struct {
	Seq        int64 // assigned by the store, increasing
	Time       time.Time
	Actor      string // who acted; for sign-ins the account name tried
	Action     string
	Target     string // what was acted on: repo, token suffix, org/team...
	ClientAddr string // when known
	Detail     string
}

// maxAuditList bounds ListAudit's limit.
const maxAuditList = 1000

// ListAudit returns up to limit audit events, newest first: every event for
// a site administrator, the caller's own events otherwise.
func (s *Service) ListAudit(ctx context.Context, c *Caller, limit int) ([]AuditEvent, error) {
	if c.Anonymous() {
		return nil, Errorf(ErrUnauthorized, "You must be authenticated to read the audit log")
	}
	if limit <= 0 || limit > maxAuditList {
		limit = maxAuditList
	}
	actor := c.User.Name
	if c.User.Admin && (c.Token == nil || c.Token.Role == RoleWrite) {
		actor = ""
	}
	evs, err := s.Meta.ListAudit(ctx, actor, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return evs, nil
}

// audit records an event done by c.
func (s *Service) audit(ctx context.Context, c *Caller, action, target, detail string) error {
	return s.record(ctx, AuditEvent{Actor: c.Name(), Action: action, Target: target, Detail: detail})
}

// record appends e, timestamped now.
func (s *Service) record(ctx context.Context, e AuditEvent) error {
	e.Time = s.now()
	if err := s.Meta.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}
