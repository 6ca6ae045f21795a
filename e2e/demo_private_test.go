package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"quarry/ml/modelrepo"
)

// TestDemoPrivateModel checks that the demo of a private model answers
// only to callers who may read it, with the hub's rules: anonymous 401,
// another user 404, a reader 200 through a Bearer token, the Python
// client's X-HF-Authorization header, or the web session cookie (whose
// POSTs need the page's CSRF token). Then @gradio/client does the same
// from Node with and without tokens (demo/testdata/node/private.test.mjs).
func TestDemoPrivateModel(t *testing.T) {
	node := nodeDeps(t, gradioNodeDir, "@gradio/client")
	ortLib := demoRuntime(t)
	s, owner := newHubEnv(t, "owner", demoEnv(ortLib))
	labels := []string{"cat", "dog"}
	publishClassifier(t, s, owner, "secret", labels, 11, modelrepo.Options{}, nil)
	owner.mustDo(200, "PUT", "/api/models/owner/secret/settings", "application/json", []byte(`{"private":true}`))
	bob := &client{t: t, base: s.URL, token: createUser(t, s.Data, "bob"), user: "bob"}
	quarryCLI(t, s.Data, "user", "create", "sally", "--password", passwordOf("sally"))
	quarryCLI(t, s.Data, "repo", "grant", "owner/secret", "--user", "sally", "--role", "read")
	anon := &client{t: t, base: s.URL}

	root := s.URL + "/owner/secret/demo"
	img := pngOf(t, pattern(224, 224))
	want := demoPredict(t, owner, root, "tile.png", img, nil)
	if err := want.check(labels); err != nil {
		t.Fatal(err)
	}
	pyHeader := http.Header{"X-Hf-Authorization": {"Bearer " + owner.token}}
	got := demoPredict(t, &client{t: t, base: s.URL}, root, "tile.png", img, pyHeader)
	if got.Label != want.Label || math.Abs(got.Confidences[0].Confidence-want.Confidences[0].Confidence) > 1e-9 {
		t.Fatalf("via X-HF-Authorization: %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		who  string
		c    *client
		h    http.Header
		want int
	}{
		{"anonymous", anon, nil, 401},
		{"bob", bob, nil, 404},
		{"bad X-HF-Authorization", anon, http.Header{"X-Hf-Authorization": {"Bearer hf_notAValidTokenAtAll0000000000000"}}, 401},
		{"owner", owner, nil, 200},
	} {
		for _, path := range []string{"/", "/config", "/gradio_api/info"} {
			if r, err := sendWith(tc.c, "GET", root+path, "", nil, tc.h); err != nil || r.Status != tc.want {
				t.Errorf("%s GET %s: %s, want %d", tc.who, path, describeResponse(r, err), tc.want)
			}
		}
		if tc.want != 200 {
			if r, _, err := demoUpload(tc.c, root, "tile.png", img, tc.h); err != nil || r.Status != tc.want {
				t.Errorf("%s upload: %s, want %d", tc.who, describeResponse(r, err), tc.want)
			}
		}
	}
	sessionReader(t, s, root, img, want)

	imgPath := filepath.Join(t.TempDir(), "tile.png")
	if err := os.WriteFile(imgPath, img, 0o644); err != nil {
		t.Fatal(err)
	}
	labelsJSON, _ := json.Marshal(labels)
	runNodeTest(t, node, gradioNodeDir, "private.test.mjs", "DEMO_ROOT="+root, "DEMO_TOKEN="+owner.token,
		"DEMO_OTHER_TOKEN="+bob.token, "DEMO_IMAGE="+imgPath, "DEMO_LABELS="+string(labelsJSON))
}

var csrfAttrs = regexp.MustCompile(`data-csrf-header="([^"]+)" data-csrf-token="([^"]+)"`)

// sessionReader signs sally (granted read) in on the web and uses the demo
// as the page does: the session cookie opens the page, and POSTs go
// through only with the CSRF token the page carries.
func sessionReader(t *testing.T, s *server, root string, img []byte, want *demoLabel) {
	t.Helper()
	jar := clientFrom("127.0.0.1", true)
	if r, err := webSignIn(jar, s.URL, "sally", passwordOf("sally")); err != nil || r.Status >= 400 {
		t.Fatalf("sign in as sally: %s", describeResponse(r, err))
	}
	sally := &client{t: t, base: s.URL, hc: jar}
	page, err := sendWith(sally, "GET", root+"/", "", nil, nil)
	if err != nil || page.Status != 200 {
		t.Fatalf("sally's page: %s", describeResponse(page, err))
	}
	m := csrfAttrs.FindSubmatch(page.Body)
	if m == nil {
		t.Fatalf("sally's page carries no CSRF token")
	}
	if r, _, err := demoUpload(sally, root, "tile.png", img, nil); err != nil || r.Status != 401 {
		t.Errorf("cookie POST without the CSRF header: %s, want 401", describeResponse(r, err))
	}
	got := demoPredict(t, sally, root, "tile.png", img, http.Header{string(m[1]): {string(m[2])}})
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sally's prediction %+v, want %+v", got, want)
	}
}
