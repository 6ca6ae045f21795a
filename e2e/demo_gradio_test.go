package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quarry/ml/modelrepo"
)

// gradioNodeDir holds the @gradio/client install and its test scripts.
var gradioNodeDir = filepath.Join("..", "demo", "testdata", "node")

// runNodeTest runs `node --test SCRIPT` in dir with env added and fails
// the test when any of the script's tests fails.
func runNodeTest(t *testing.T, node, dir, script string, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", script)
	cmd.Dir = dir
	cmd.Env = append(append(serverEnv(), "NO_COLOR=1"), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test %s:\n%s", script, out)
	if err != nil {
		t.Fatalf("node --test %s: %v", script, err)
	}
}

// TestDemoGradioClient is acceptance 1 and 2 of the demo issue through a
// real `quarry serve`: a classifier published through the HTTP API, then
// demo/testdata/node/gradio.test.mjs drives /NS/NAME/demo/ with the real
// @gradio/client 2.x (connect, view_api lists /predict, predict returns a
// sorted {label, confidences} summing to 1; the curl-style call/predict
// flow) and checks the error cases (non-image, truncated JPEG, 1x1,
// 30,000 x 30,000 PNG header, over max_file_size) on both the queued and
// the run/ path, each followed by a valid request that succeeds.
func TestDemoGradioClient(t *testing.T) {
	node := nodeDeps(t, gradioNodeDir, "@gradio/client")
	ortLib := demoRuntime(t)
	s, c := newHubEnv(t, "gradio", demoEnv(ortLib))
	labels := []string{"mine", "no_mine", "water"}
	publishClassifier(t, s, c, "mines", labels, 7, modelrepo.Options{}, nil)
	root := s.URL + "/" + c.user + "/mines/demo"

	// The demo answers anonymously (public model) with the config the
	// clients start from, at the public URL.
	r := c.mustDo(200, "GET", "/"+c.user+"/mines/demo/config", "", nil)
	var cfg struct {
		Root        string `json:"root"`
		MaxFileSize int64  `json:"max_file_size"`
	}
	if err := json.Unmarshal(r.Body, &cfg); err != nil || cfg.Root != root || cfg.MaxFileSize != demoMaxFileSize {
		t.Fatalf("config: root %q max_file_size %d (%v)", cfg.Root, cfg.MaxFileSize, err)
	}
	if got := r.Header.Get("X-Frame-Options"); got != "" {
		t.Fatalf("demo config sends X-Frame-Options %q", got)
	}
	filesJSON, _ := json.Marshal(demoTestImages(t))
	labelsJSON, _ := json.Marshal(labels)
	runNodeTest(t, node, gradioNodeDir, "gradio.test.mjs",
		"DEMO_ROOT="+root, "DEMO_FILES="+string(filesJSON), "DEMO_LABELS="+string(labelsJSON))

	// The page embeds the model id, the resolved commit and its API snippets.
	page := c.mustDo(200, "GET", "/"+c.user+"/mines/demo/", "", nil)
	for _, want := range []string{c.user + "/mines", c.head(c.user + "/mines")[:12], "ROOT=" + root, "$ROOT/gradio_api/call/predict"} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("demo page lacks %q", want)
		}
	}
	if got := page.Header.Get("X-Frame-Options"); got != "" {
		t.Errorf("demo page sends X-Frame-Options %q: it must be embeddable", got)
	}
}

// TestDemoLargeUpload checks, with the default max_file_size (10 MiB),
// that an image larger than the hub's 4 MiB request prefetch streams
// through the upload and classifies, that a file over the limit gets 413
// with the limit in its message, and that the next request succeeds.
func TestDemoLargeUpload(t *testing.T) {
	ortLib := demoRuntime(t)
	s, c := newHubEnv(t, "big", []string{"QUARRY_ORT_LIB=" + ortLib, "QUARRY_DEMO_RATE=-1"})
	labels := []string{"a", "b"}
	publishClassifier(t, s, c, "tiles", labels, 3, modelrepo.Options{}, nil)
	root := s.URL + "/big/tiles/demo"
	img := image.NewNRGBA(image.Rect(0, 0, 1400, 1400))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	data := pngOf(t, img) // noise does not compress: about 7.8 MB
	if len(data) < 5<<20 || len(data) > 10<<20 {
		t.Fatalf("test image of %d bytes, want 5-10 MiB", len(data))
	}
	if err := demoPredict(t, c, root, "big.png", data, nil).check(labels); err != nil {
		t.Fatal(err)
	}
	over := append(bytes.Clone(data), make([]byte, 3<<20)...)
	resp, _, err := demoUpload(c, root, "over.png", over, nil)
	if err != nil || resp.Status != 413 || !strings.Contains(string(resp.Body), "10 MB (max_file_size 10485760 bytes)") {
		t.Fatalf("upload over max_file_size: %s", describeResponse(resp, err))
	}
	if err := demoPredict(t, c, root, "big.png", data, nil).check(labels); err != nil {
		t.Fatal(err)
	}
}
