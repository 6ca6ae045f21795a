package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"quarry/ml/modelrepo"
)

// createSpace creates space c.user/NAME with a README naming models.
func createSpace(c *client, name, models string) string {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "organization": c.user, "type": "space", "sdk": "static"})
	c.mustDo(200, "POST", "/api/repos/create", "application/json", body)
	id := c.user + "/" + name
	readme := "---\ntitle: " + name + "\nsdk: static\n" + models + "---\n# " + name + "\n"
	c.mustDo(200, "POST", "/api/spaces/"+id+"/commit/main", "application/x-ndjson",
		ndjson("README", "", regularFile("README.md", []byte(readme))))
	return id
}

// TestDemoSpace checks that a space whose README names `models: [NS/NAME]`
// serves the model's demo at /spaces/NS/SPACE/, pinned to the revision
// NS/NAME@REV names, following the default branch otherwise; a space that
// names no model is not a demo.
func TestDemoSpace(t *testing.T) {
	ortLib := demoRuntime(t)
	s, c := newHubEnv(t, "sam", demoEnv(ortLib))
	labels := []string{"mine", "no_mine"}
	publishClassifier(t, s, c, "mines", labels, 21, modelrepo.Options{}, nil)
	v1 := c.head("sam/mines")
	createSpace(c, "pinned", "models:\n- sam/mines@"+v1+"\n")
	createSpace(c, "latest", "models: [sam/mines]\n")
	createSpace(c, "plain", "")

	img := pngOf(t, pattern(224, 224))
	model := demoPredict(t, c, s.URL+"/sam/mines/demo", "tile.png", img, nil)
	for _, sp := range []string{"pinned", "latest"} {
		root := s.URL + "/spaces/sam/" + sp
		r := c.mustDo(200, "GET", "/spaces/sam/"+sp+"/config", "", nil)
		var cfg struct{ Root string }
		if err := json.Unmarshal(r.Body, &cfg); err != nil || cfg.Root != root {
			t.Fatalf("space %s config root %q, want %q (%v)", sp, cfg.Root, root, err)
		}
		if got := demoPredict(t, c, root, "tile.png", img, nil); fmt.Sprint(got) != fmt.Sprint(model) {
			t.Fatalf("space %s predicts %+v, the model's demo %+v", sp, got, model)
		}
	}

	// A new version of the model: the pinned space keeps v1.
	publishFiles(t, c, "sam/mines", buildClassifier(t, s, c, "sam/mines", labels, 22, modelrepo.Options{}))
	v2 := c.head("sam/mines")
	for sp, rev := range map[string]string{"pinned": v1, "latest": v2} {
		page := c.mustDo(200, "GET", "/spaces/sam/"+sp+"/", "", nil)
		if !strings.Contains(string(page.Body), rev[:12]) {
			t.Errorf("space %s page does not show revision %s", sp, rev[:12])
		}
	}
	pinned := demoPredict(t, c, s.URL+"/spaces/sam/pinned", "tile.png", img, nil)
	latest := demoPredict(t, c, s.URL+"/spaces/sam/latest", "tile.png", img, nil)
	if fmt.Sprint(pinned) != fmt.Sprint(model) || fmt.Sprint(latest) == fmt.Sprint(model) {
		t.Fatalf("after v2: pinned %+v, latest %+v, v1 %+v", pinned, latest, model)
	}
	r, err := sendWith(c, "GET", s.URL+"/spaces/sam/plain/", "", nil, nil)
	if err != nil || strings.Contains(string(r.Body), "gradio_api") {
		t.Fatalf("a space naming no model serves a demo: %s", describeResponse(r, err))
	}
}
