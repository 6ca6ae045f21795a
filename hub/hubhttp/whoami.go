package hubhttp

import (
	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// whoami answers GET /api/whoami-v2 with the HF user shape: the user, their
// organizations with roleInOrg, and auth (always present; JS reads
// auth.accessToken?.createdAt): for tokens {type:"access_token",
// accessToken:{displayName, role, createdAt[, fineGrained]}}, for web
// sessions {type:"session"}.
func (s *Server) whoami(c *fiber.Ctx) error {
	cl := caller(c)
	if cl.Anonymous() {
		return hub.Errorf(hub.ErrUnauthorized, "You must be authenticated to access this resource")
	}
	if err := s.svc.LoadMemberships(c.UserContext(), cl); err != nil {
		return err
	}
	u := cl.User
	orgs := make([]fiber.Map, 0, len(cl.Orgs))
	for _, m := range cl.Orgs {
		orgs = append(orgs, fiber.Map{"type": "org", "id": userID(m.Org), "name": m.Org, "fullname": m.Org,
			"avatarUrl": "", "roleInOrg": m.Role, "isEnterprise": false})
	}
	return c.JSON(fiber.Map{
		"type":          "user",
		"id":            userID(u.Name),
		"name":          u.Name,
		"fullname":      cmpOr(u.FullName, u.Name),
		"email":         u.Email,
		"emailVerified": u.Email != "",
		"isPro":         false,
		"canPay":        false,
		"isAdmin":       u.Admin,
		"avatarUrl":     "",
		"orgs":          orgs,
		"auth":          authInfo(cl),
	})
}

func authInfo(cl *hub.Caller) fiber.Map {
	t := cl.Token
	if t == nil {
		return fiber.Map{"type": "session"}
	}
	at := fiber.Map{"displayName": t.Label, "role": t.Role, "createdAt": fmtTime(t.CreatedAt)}
	if t.Role == hub.RoleFineGrained {
		at["fineGrained"] = fiber.Map{"global": []string{}, "scoped": scopedEntities(cl)}
	}
	return fiber.Map{"type": "access_token", "accessToken": at}
}

// scopedEntities renders a fine-grained token's scopes in HF's shape:
// [{entity:{type:"model"|"dataset"|"space"|"user"|"org", name}, permissions}].
func scopedEntities(cl *hub.Caller) []fiber.Map {
	out := make([]fiber.Map, 0, len(cl.Token.Scopes))
	for _, sc := range cl.Token.Scopes {
		typ, name := string(sc.Type), sc.Namespace+"/"+sc.Name
		if sc.Name == "" {
			typ, name = "user", sc.Namespace
			for _, m := range cl.Orgs {
				if m.Org == sc.Namespace || userID(m.Org) == userID(sc.Namespace) {
					typ = "org"
				}
			}
		}
		perms := []string{"repo.content.read"}
		if sc.Role == hub.RoleWrite {
			perms = append(perms, "repo.write")
		}
		out = append(out, fiber.Map{"entity": fiber.Map{"type": typ, "name": name}, "permissions": perms})
	}
	return out
}
