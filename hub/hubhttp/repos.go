package hubhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// userID derives a stable 24-hex id (HF's "_id" shape) from a user name.
func userID(name string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(name)))
	return hex.EncodeToString(sum[:12])
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// repoRef is the body shape shared by create, delete and move.
type repoRef struct {
	Name         string  `json:"name"`
	Organization *string `json:"organization"`
	Type         string  `json:"type"`
}

// id returns the repo id named by the body, the namespace defaulting to the
// caller (Python sends organization:null).
func (r repoRef) id(cl *hub.Caller) (hub.RepoID, error) {
	t, err := hub.ParseRepoType(r.Type)
	if err != nil {
		return hub.RepoID{}, err
	}
	ns, name := "", r.Name
	if r.Organization != nil {
		ns = *r.Organization
	}
	if before, after, ok := strings.Cut(name, "/"); ok && ns == "" {
		ns, name = before, after
	}
	if ns == "" {
		if cl.Anonymous() {
			return hub.RepoID{}, hub.Errorf(hub.ErrUnauthorized, "You must be authenticated to manage repos")
		}
		ns = cl.User.Name
	}
	id := hub.RepoID{Type: t, Namespace: ns, Name: name}
	return id, id.Validate()
}

// repoURL is the public URL of a repo's page (and git remote).
func (s *Server) repoURL(c *fiber.Ctx, id hub.RepoID) string {
	return s.baseURL(c) + "/" + id.Type.URLPrefix() + id.String()
}

// createRepo answers POST /api/repos/create.
func (s *Server) createRepo(c *fiber.Ctx) error {
	var body struct {
		repoRef
		Private    *bool  `json:"private"`
		Visibility string `json:"visibility"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	cl := caller(c)
	id, err := body.id(cl)
	if err != nil {
		return err
	}
	private := body.Visibility == "private" || (body.Private != nil && *body.Private)
	r, err := s.svc.CreateRepo(c.UserContext(), cl, hub.CreateRepoInput{ID: id, Private: private})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"url": s.repoURL(c, r.ID), "name": r.ID.String(), "id": r.ID.String()})
}

// deleteRepo answers DELETE /api/repos/delete (JSON body).
func (s *Server) deleteRepo(c *fiber.Ctx) error {
	var body repoRef
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	cl := caller(c)
	id, err := body.id(cl)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteRepo(c.UserContext(), cl, id); err != nil {
		return err
	}
	return c.JSON(fiber.Map{})
}

// moveRepo answers POST /api/repos/move {fromRepo, toRepo, type}.
func (s *Server) moveRepo(c *fiber.Ctx) error {
	var body struct {
		From string `json:"fromRepo"`
		To   string `json:"toRepo"`
		Type string `json:"type"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	t, err := hub.ParseRepoType(body.Type)
	if err != nil {
		return err
	}
	from, err := hub.ParseRepoID(t, body.From)
	if err != nil {
		return err
	}
	to, err := hub.ParseRepoID(t, body.To)
	if err != nil {
		return err
	}
	if err := s.svc.MoveRepo(c.UserContext(), caller(c), from, to); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"url": s.repoURL(c, to)})
}

// repoSettings answers PUT /api/{type}s/{ns}/{name}/settings.
func (s *Server) repoSettings(c *fiber.Ctx, p *repoPath) error {
	var body struct {
		Private    *bool  `json:"private"`
		Visibility string `json:"visibility"`
		Gated      any    `json:"gated"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	var set hub.RepoSettings
	set.Private = body.Private
	switch body.Visibility {
	case "":
	case "private", "public":
		private := body.Visibility == "private"
		set.Private = &private
	default:
		return hub.Errorf(hub.ErrInvalid, "invalid visibility %q: must be public or private", body.Visibility)
	}
	switch g := body.Gated.(type) {
	case nil:
	case bool:
		if g {
			return hub.Errorf(hub.ErrInvalid, `invalid gated value true: must be false, "auto" or "manual"`)
		}
		none := ""
		set.Gated = &none
	case string:
		set.Gated = &g
	default:
		return hub.Errorf(hub.ErrInvalid, `invalid gated value: must be false, "auto" or "manual"`)
	}
	r, err := s.svc.UpdateRepoSettings(c.UserContext(), caller(c), p.ID, set)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"private": r.Private, "gated": gatedJSON(r.Gated)})
}

func gatedJSON(g string) any {
	if g == "" {
		return false
	}
	return g
}
