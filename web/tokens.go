package web

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// roleFineGrained is the form value (and token role) of fine-grained tokens.
const roleFineGrained = hub.RoleFineGrained

// maxLabelLen bounds token labels.
const maxLabelLen = 100

// tokensData is the token settings page's data.
type tokensData struct {
	Tokens   []tokenRow
	NewToken string // plaintext of the token just created; shown once
	NewLabel string
	Revoked  string // suffix of a token just revoked
	Error    string
	Form     tokenForm // values to keep after a refused creation
}

// tokenForm holds the values of the creation form.
type tokenForm struct {
	Label  string
	Role   string
	Scopes string
}

// tokenRow is one token in the list.
type tokenRow struct {
	Hash       string
	Label      string
	Role       string
	Suffix     string
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// tokens serves GET /settings/tokens.
func (s *site) tokens(c *fiber.Ctx) error {
	u, err := s.requireUser(c, requestPath(c))
	if u == nil {
		return err
	}
	d := tokensData{Form: tokenForm{Role: hub.RoleRead}}
	if r := c.Query("revoked"); len(r) <= 8 {
		d.Revoked = r
	}
	return s.showTokens(c, u, fiber.StatusOK, d)
}

// showTokens renders the token page with the user's tokens, newest first.
func (s *site) showTokens(c *fiber.Ctx, u *signedIn, status int, d tokensData) error {
	ts, err := s.svc.ListTokens(c.UserContext(), u.name())
	if err != nil {
		return err
	}
	d.Tokens = d.Tokens[:0]
	for i := len(ts) - 1; i >= 0; i-- {
		d.Tokens = append(d.Tokens, rowOf(ts[i]))
	}
	if d.Revoked != "" && !slices.ContainsFunc(d.Tokens, func(r tokenRow) bool {
		return r.Suffix == d.Revoked && !r.RevokedAt.IsZero()
	}) {
		d.Revoked = ""
	}
	v := view{Title: "Access tokens", Active: "tokens", User: u.name(), CSRF: u.session.CSRF, Page: d}
	return s.render(c, status, "tokens", v)
}

// rowOf describes a token for the list.
func rowOf(t *hub.Token) tokenRow {
	r := tokenRow{Hash: t.Hash, Label: t.Label, Role: t.Role, Suffix: t.Suffix,
		CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
	for _, sc := range t.Scopes {
		r.Scopes = append(r.Scopes, formatScope(sc))
	}
	return r
}

// createToken serves POST /settings/tokens. The new token's plaintext is in
// this response only: it is not stored, and the page is not cacheable.
func (s *site) createToken(c *fiber.Ctx) error {
	u, err := s.requireForm(c, "/settings/tokens")
	if u == nil {
		return err
	}
	f := tokenForm{Label: strings.TrimSpace(c.FormValue("label")), Role: c.FormValue("role"), Scopes: c.FormValue("scopes")}
	plain, err := s.newToken(c, u, f)
	if hub.ErrorKind(err) == hub.ErrInvalid || hub.ErrorKind(err) == hub.ErrNotFound {
		return s.showTokens(c, u, fiber.StatusBadRequest, tokensData{Form: f, Error: hub.ErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	return s.showTokens(c, u, fiber.StatusOK, tokensData{NewToken: plain, NewLabel: f.Label, Form: tokenForm{Role: hub.RoleRead}})
}

// newToken validates the form and creates the token.
func (s *site) newToken(c *fiber.Ctx, u *signedIn, f tokenForm) (string, error) {
	switch {
	case f.Label == "":
		return "", hub.Errorf(hub.ErrInvalid, "Give the token a label, so that you can recognise it later.")
	case len(f.Label) > maxLabelLen:
		return "", hub.Errorf(hub.ErrInvalid, "The label is too long (at most %d characters).", maxLabelLen)
	}
	switch f.Role {
	case hub.RoleRead, hub.RoleWrite:
		plain, _, err := s.svc.CreateToken(c.UserContext(), u.name(), f.Role, f.Label)
		return plain, err
	case roleFineGrained:
		scopes, err := parseScopes(f.Scopes)
		if err != nil {
			return "", err
		}
		plain, _, err := s.svc.CreateScopedToken(c.UserContext(), u.name(), f.Label, scopes)
		return plain, err
	}
	return "", hub.Errorf(hub.ErrInvalid, "Choose the token's role: read, write or fine-grained.")
}

// revokeToken serves POST /settings/tokens/revoke.
func (s *site) revokeToken(c *fiber.Ctx) error {
	u, err := s.requireForm(c, "/settings/tokens")
	if u == nil {
		return err
	}
	hash := c.FormValue("hash")
	ts, err := s.svc.ListTokens(c.UserContext(), u.name())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ts, func(t *hub.Token) bool { return t.Hash == hash })
	if hash == "" || i < 0 {
		return s.showTokens(c, u, fiber.StatusNotFound, tokensData{Form: tokenForm{Role: hub.RoleRead},
			Error: "That token does not exist or is not yours."})
	}
	if err := s.svc.RevokeToken(c.UserContext(), u.name(), hash); err != nil {
		if errors.Is(err, hub.ErrNotFound) {
			return s.showTokens(c, u, fiber.StatusNotFound, tokensData{Form: tokenForm{Role: hub.RoleRead}, Error: hub.ErrorMessage(err)})
		}
		return err
	}
	return c.Redirect("/settings/tokens?revoked="+ts[i].Suffix, fiber.StatusSeeOther)
}
