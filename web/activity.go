package web

import (
	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// activityLimit is how many audit events the activity page shows.
const activityLimit = 100

// activityData is the activity page's data.
type activityData struct {
	Events []hub.AuditEvent
	All    bool // a site administrator sees everyone's events
}

// actionNames describes audit actions for people.
var actionNames = map[string]string{
	"sign-in":            "Signed in",
	"sign-in.failed":     "Failed sign-in",
	"sign-in.throttled":  "Sign-in refused (too many failures)",
	"sign-out":           "Signed out",
	"token.create":       "Token created",
	"token.revoke":       "Token revoked",
	"repo.visibility":    "Visibility changed",
	"repo.delete":        "Repository deleted",
	"repo.move":          "Repository moved",
	"repo.grant":         "Access granted",
	"repo.ungrant":       "Access removed",
	"org.create":         "Organization created",
	"org.member.add":     "Member added",
	"org.member.remove":  "Member removed",
	"team.create":        "Team created",
	"team.member.add":    "Team member added",
	"team.member.remove": "Team member removed",
}

// describeAction returns the readable name of an audit action.
func describeAction(action string) string {
	if s, ok := actionNames[action]; ok {
		return s
	}
	return action
}

// activity serves GET /settings/activity: the signed-in user's recent
// audit events (sign-ins, failed ones included, tokens, visibility), or
// everyone's for a site administrator.
func (s *site) activity(c *fiber.Ctx) error {
	u, err := s.requireUser(c, requestPath(c))
	if u == nil {
		return err
	}
	evs, err := s.svc.ListAudit(c.UserContext(), u.caller, activityLimit)
	if err != nil {
		return err
	}
	d := activityData{Events: evs, All: u.caller.User.Admin}
	v := view{Title: "Activity", Active: "activity", User: u.name(), CSRF: u.session.CSRF, Page: d}
	return s.render(c, fiber.StatusOK, "activity", v)
}
