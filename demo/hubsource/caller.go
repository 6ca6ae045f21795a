package hubsource

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
	"quarry/hub/hubhttp"
)

// HFAuthorizationHeader is where the Python gradio_client sends the token
// ("Bearer hf_..."), leaving Authorization to the app's own auth.
const HFAuthorizationHeader = "X-Hf-Authorization"

// CallerFunc returns the demo's Config.Caller: the *hub.Caller the hub's
// auth middleware made of the Authorization header or session cookie, or,
// for a request that middleware left anonymous, the one of the
// X-HF-Authorization header (a bad token there is 401, as in Authorization).
func CallerFunc(svc *hub.Service) func(c *fiber.Ctx) (any, error) {
	return func(c *fiber.Ctx) (any, error) {
		caller := hubhttp.CallerOf(c)
		h := strings.TrimSpace(c.Get(HFAuthorizationHeader))
		if !caller.Anonymous() || h == "" {
			return caller, nil
		}
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
			return nil, demoError("authenticate", hub.Errorf(hub.ErrUnauthorized, "invalid credentials in X-HF-Authorization"))
		}
		cl, err := svc.AuthenticateFrom(c.UserContext(), strings.TrimSpace(token), c.IP())
		if err != nil {
			return nil, demoError("authenticate", err)
		}
		return cl, nil
	}
}

// CSRFFunc is the demo's Config.CSRF: for a caller signed in with the
// session cookie, the header and token that let the page's POSTs use it.
func CSRFFunc(c *fiber.Ctx) (header, token string) {
	if cl := hubhttp.CallerOf(c); cl.Session != nil {
		return hubhttp.CSRFHeader, cl.Session.CSRF
	}
	return "", ""
}
