package demo_test

import (
	"regexp"
	"strings"
	"testing"

	"quarry/demo"
)

func TestPage(t *testing.T) {
	ta := newTestApp(t, nil)
	code, body := ta.get(t, root+"/")
	html := string(body)
	if code != 200 {
		t.Fatalf("page: %d %s", code, body)
	}
	for _, want := range []string{"ns/mines", rev[:12], `data-root="` + publicURL + root + `"`,
		publicURL + root + "/examples/card/tile.png", publicURL + root + "/examples/examples/b.jpg", "A tile",
		"@gradio/client", "gradio_client", "gradio_api/call/predict", "&lt;iframe", `id="flag"`,
		"<option>mine</option><option>no_mine</option>", `id="scan"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "notes.txt") {
		t.Error("page lists a non-image example")
	}
	// No external resources: every src/href stays on the demo root.
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if !strings.HasPrefix(m[1], publicURL+root) {
			t.Errorf("external resource %q", m[1])
		}
	}
	for _, a := range []string{"/assets/demo.js", "/assets/demo.css"} {
		if code, _ := ta.get(t, root+a); code != 200 {
			t.Errorf("%s: %d", a, code)
		}
	}
	if code, _ := ta.get(t, root+"/assets/../demo.go"); code == 200 {
		t.Error("asset route serves other files")
	}
	// Without a flag dataset the Flag form is absent.
	code, body = ta.get(t, "/ns/secret/demo/")
	if code != 404 || strings.Contains(string(body), `id="flag"`) {
		t.Fatalf("private page for anonymous: %d", code)
	}
}

func TestExamples(t *testing.T) {
	ta := newTestApp(t, nil)
	if code, body := ta.get(t, root+"/examples/card/tile.png"); code != 200 || len(body) == 0 {
		t.Fatalf("card example: %d", code)
	}
	for _, p := range []string{"/examples/config.json", "/examples/examples/notes.txt", "/examples/..%2Fconfig.json"} {
		if code, _ := ta.get(t, root+p); code != 404 {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
}

func TestScanEndpoint(t *testing.T) {
	ta := newTestApp(t, nil)
	p := ta.uploadPath(t, root, "tile.png", pngBytes(20, 20))
	code, body := ta.postJSON(t, root+"/scan", map[string]any{"path": p, "label": "mine"})
	var res struct {
		PositiveCount int `json:"positive_count"`
		Heatmap       string
		Positives     []struct{ X, Y, W, H int }
	}
	decode(t, body, &res)
	if code != 200 || !strings.HasPrefix(res.Heatmap, "data:image/png;base64,") || res.PositiveCount != 1 || res.Positives[0].W != 224 {
		t.Fatalf("scan: %d %s", code, body)
	}
	code, body = ta.postJSON(t, root+"/scan", map[string]any{"path": p, "label": "nope"})
	if code != 422 || !strings.Contains(string(body), "Invalid scan option") {
		t.Fatalf("scan with a bad label: %d %s", code, body)
	}
}

func TestFlag(t *testing.T) {
	ta := newTestApp(t, nil)
	img := pngBytes(12, 12)
	p := ta.uploadPath(t, root, "my tile.png", img)
	pred := map[string]any{"label": "mine", "confidences": []any{map[string]any{"label": "mine", "confidence": 0.75}}}
	if code, body := ta.postJSON(t, root+"/flag", map[string]any{"path": p, "label": "water", "prediction": pred}); code != 422 {
		t.Fatalf("unknown label: %d %s", code, body)
	}
	code, body := ta.postJSON(t, root+"/flag", map[string]any{"path": p, "label": "no_mine", "prediction": pred})
	if code != 200 || len(ta.flag.flags) != 1 {
		t.Fatalf("flag: %d %s", code, body)
	}
	f := ta.flag.flags[0]
	if f.Dataset != "ns/flags" || f.Label != "no_mine" || f.Filename != "my_tile.png" || string(f.Image) != string(img) ||
		f.Prediction.Label != "mine" || f.Model.Revision != rev || f.Time.IsZero() {
		t.Fatalf("flag %+v", f)
	}
	ta2 := newTestApp(t, func(c *demo.Config) { c.Flagger = nil })
	p = ta2.uploadPath(t, root, "a", img)
	if code, _ := ta2.postJSON(t, root+"/flag", map[string]any{"path": p, "label": "mine"}); code != 404 {
		t.Fatalf("flag without a Flagger: %d", code)
	}
}
