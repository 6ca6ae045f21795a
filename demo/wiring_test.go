package demo_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"quarry/demo"
)

// anonSource answers ErrUnauthorized to anonymous callers for private or
// missing models, as the hub does.
type anonSource struct{ *fakeSource }

func (a anonSource) Resolve(ctx context.Context, caller any, ref demo.ModelRef) (*demo.ModelInfo, error) {
	info, err := a.fakeSource.Resolve(ctx, caller, ref)
	if err != nil && caller == "" {
		return nil, fmt.Errorf("resolve %s: %w", ref, demo.ErrUnauthorized)
	}
	return info, err
}

func TestUnauthorizedIs401(t *testing.T) {
	ta := newTestApp(t, func(c *demo.Config) { c.Source = anonSource{newSource()} })
	for _, tc := range []struct {
		caller string
		want   int
	}{{"", 401}, {"someone", 404}, {"owner", 200}} {
		req := httptest.NewRequest(http.MethodGet, "/ns/secret/demo/config", nil)
		req.Header.Set("X-Test-Caller", tc.caller)
		if code, body, _ := ta.do(t, req); code != tc.want {
			t.Errorf("as %q: %d %s, want %d", tc.caller, code, body, tc.want)
		}
	}
}

func TestUnavailable(t *testing.T) {
	const msg = "The demo is not set up: run make setup (ONNX Runtime missing)."
	ta := newTestApp(t, func(c *demo.Config) { c.Classifier, c.Unavailable = nil, msg })
	for _, p := range []string{root + "/", root + "/config", root + "/gradio_api/info"} {
		code, body := ta.get(t, p)
		if code != 503 || !strings.Contains(string(body), msg) {
			t.Errorf("%s: %d %s, want 503 with the message", p, code, body)
		}
	}
	code, _ := ta.postJSON(t, root+"/gradio_api/run/predict", map[string]any{"data": []any{}})
	if code != 503 {
		t.Errorf("run/predict: %d, want 503", code)
	}
	if code, _ := ta.get(t, "/ns/nothing/demo/config"); code != 404 {
		t.Errorf("missing model: %d, want 404 before 503", code)
	}
	if _, err := demo.New(demo.Config{Source: newSource()}); err == nil {
		t.Error("New without Classifier nor Unavailable succeeded")
	}
}

func TestPageCarriesCSRF(t *testing.T) {
	ta := newTestApp(t, func(c *demo.Config) {
		c.CSRF = func(c *fiber.Ctx) (string, string) { return "X-CSRF-Token", c.Get("X-Test-Caller") }
	})
	req := httptest.NewRequest(http.MethodGet, root+"/", nil)
	req.Header.Set("X-Test-Caller", "tok123")
	_, body, _ := ta.do(t, req)
	if !strings.Contains(string(body), `data-csrf-header="X-CSRF-Token" data-csrf-token="tok123"`) {
		t.Fatalf("page lacks the CSRF attributes")
	}
	_, body = ta.get(t, root+"/")
	if strings.Contains(string(body), "data-csrf") {
		t.Fatalf("anonymous page carries CSRF attributes")
	}
}

// spaceSource adds one space, ns/mines-space, naming ns/mines.
type spaceSource struct{ *fakeSource }

func (s spaceSource) ResolveSpace(_ context.Context, _ any, ns, name string) (demo.ModelRef, error) {
	if ns+"/"+name == "ns/mines-space" {
		return demo.ModelRef{Namespace: "ns", Name: "mines"}, nil
	}
	return demo.ModelRef{}, fmt.Errorf("space %s/%s: %w", ns, name, demo.ErrNotFound)
}

func TestSpacePageYieldsWithoutModel(t *testing.T) {
	ta := newTestApp(t, func(c *demo.Config) { c.Source = spaceSource{newSource()} })
	ta.app.Get("/spaces/:ns/:name", func(c *fiber.Ctx) error { return c.SendString("space page") })
	for _, tc := range []struct {
		path, want string
		code       int
	}{
		{"/spaces/ns/mines-space/", `data-root="` + publicURL + `/spaces/ns/mines-space"`, 200},
		{"/spaces/ns/mines-space", `data-root="` + publicURL + `/spaces/ns/mines-space"`, 200},
		{"/spaces/ns/mines-space/config", `"root":"` + publicURL + `/spaces/ns/mines-space"`, 200},
		{"/spaces/ns/other", "space page", 200},
		{"/spaces/ns/other/config", "Not found", 404},
	} {
		code, body := ta.get(t, tc.path)
		if code != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %.200s, want %d with %q", tc.path, code, body, tc.code, tc.want)
		}
	}
}
