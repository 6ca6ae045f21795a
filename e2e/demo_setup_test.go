package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoNotSetUp starts `quarry serve` with QUARRY_ORT_LIB pointing at a
// missing library: the server starts, the hub API works, and the demo of an
// image classifier answers 503 with "not set up: run make setup" (after the
// usual 404 for a missing model).
func TestDemoNotSetUp(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nowhere", "libonnxruntime.so.1")
	s, c := newHubEnv(t, "nosetup", []string{"QUARRY_ORT_LIB=" + missing})
	repo := c.createModel("classifier")
	card := "---\npipeline_tag: image-classification\n---\n# A classifier\n"
	c.commitFiles(repo, "card", regularFile("README.md", []byte(card)),
		regularFile("config.json", []byte(`{"id2label":{"0":"a","1":"b"}}`)))
	if got := string(c.resolve(repo, "README.md")); got != card {
		t.Fatalf("resolve README.md: %q", got)
	}
	c.mustDo(200, "GET", "/api/models/"+repo, "", nil)

	root := s.URL + "/" + repo + "/demo"
	body, _ := json.Marshal(map[string]any{"data": []any{map[string]any{"path": "x"}}})
	for _, tc := range []struct{ method, url string }{
		{"GET", root + "/"}, {"GET", root + "/config"}, {"GET", root + "/gradio_api/info"},
		{"POST", root + "/gradio_api/run/predict"},
	} {
		r, err := sendWith(c, tc.method, tc.url, "application/json", body, nil)
		if err != nil || r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "not set up: run make setup") ||
			!strings.Contains(string(r.Body), missing) {
			t.Errorf("%s %s: %s, want 503 naming make setup and the library path", tc.method, tc.url, describeResponse(r, err))
		}
	}
	if r, err := sendWith(c, "GET", s.URL+"/"+c.user+"/absent/demo/config", "", nil, nil); err != nil || r.Status != http.StatusNotFound {
		t.Errorf("demo of a missing model: %s, want 404", describeResponse(r, err))
	}
}
