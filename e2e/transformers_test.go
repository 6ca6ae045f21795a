package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quarry/ml/imageproc"
	"quarry/ml/modelrepo"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
)

// tjsLabels are the classes of the classifier published for transformers.js.
var tjsLabels = []string{"alpha", "beta", "gamma"}

// tjsExpected is the file the Go test writes for transformers.test.mjs:
// Quarry's own scores (imageproc + ONNX Runtime + softmax) per image.
type tjsExpected struct {
	Model  string     `json:"model"`
	Labels []string   `json:"labels"`
	Images []tjsImage `json:"images"`
}

type tjsImage struct {
	Path   string             `json:"path"`
	Scores map[string]float64 `json:"scores"`
}

// TestTransformersJSLoadsPublishedModel publishes an image classifier
// through the HTTP API (preupload, LFS batch + PUT, commit) and runs
// transformers.js 4.3.1's image-classification pipeline on it from Node
// (e2e/transformers.test.mjs) with env.remoteHost pointing at the server.
// Its top label and scores must match those of Quarry's own demo endpoint
// (run/predict at /NS/NAME/demo/) within 1e-3 (acceptance 3 of the demo
// issue); the demo's scores must in turn equal a raw ONNX Runtime session
// run in this process. The backbone is the base model that `quarry
// import-base` published, downloaded back from the server.
func TestTransformersJSLoadsPublishedModel(t *testing.T) {
	node := nodeDeps(t, ".", "@huggingface/transformers")
	ortLib := demoRuntime(t)
	s, c := newHubEnv(t, "tjs", demoEnv(ortLib))
	files := publishClassifier(t, s, c, "tjs-classifier", tjsLabels, 2026, modelrepo.Options{License: "apache-2.0"}, nil)
	repo := c.user + "/tjs-classifier"

	dir := t.TempDir()
	paths := writeTestPNGs(t, dir)
	exp := tjsExpected{Model: repo, Labels: tjsLabels, Images: demoScores(t, c, s.URL+"/"+repo+"/demo", paths)}
	raw := quarryScores(t, ortLib, files, paths)
	for i, img := range exp.Images {
		for _, l := range tjsLabels {
			if d := math.Abs(img.Scores[l] - raw[i].Scores[l]); d > 1e-5 {
				t.Fatalf("%s %s: demo %v, raw ONNX Runtime session %v", filepath.Base(img.Path), l, img.Scores[l], raw[i].Scores[l])
			}
		}
	}
	expPath, actPath := filepath.Join(dir, "expected.json"), filepath.Join(dir, "actual.json")
	writeJSON(t, expPath, exp)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "transformers.test.mjs")
	cmd.Env = append(serverEnv(), "QUARRY_ENDPOINT="+s.URL, "TJS_EXPECTED="+expPath,
		"TJS_ACTUAL="+actPath, "TJS_CACHE="+filepath.Join(dir, "cache"), "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node --test transformers.test.mjs: %v (see its output above)", err)
	}
	compareScores(t, exp, actPath)
}

// demoScores classifies each image with the demo at root (upload +
// run/predict) and returns its confidences by label.
func demoScores(t *testing.T, c *client, root string, paths []string) []tjsImage {
	t.Helper()
	out := make([]tjsImage, len(paths))
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		l := demoPredict(t, c, root, filepath.Base(p), data, nil)
		if err := l.check(tjsLabels); err != nil {
			t.Fatalf("%s: %v", filepath.Base(p), err)
		}
		out[i] = tjsImage{Path: p, Scores: l.scores()}
	}
	return out
}

// downloadModel fetches a published model's three runtime files through
// /resolve into a directory and returns it.
func downloadModel(t *testing.T, c *client, repo string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{modelrepo.ConfigFile, modelrepo.PreprocessorFile, modelrepo.ModelFile} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, c.resolve(repo, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// publishFiles commits files to main the way the Hub clients do: preupload
// decides regular or LFS per file (the ONNX graph must be LFS), LFS content goes through the batch API
// and a signed PUT, then one NDJSON commit.
func publishFiles(t *testing.T, c *client, repo string, files map[string][]byte) {
	t.Helper()
	var req []map[string]any
	for path, data := range files {
		sample := data[:min(len(data), 512)]
		req = append(req, map[string]any{"path": path, "size": len(data), "sample": base64.StdEncoding.EncodeToString(sample)})
	}
	body, _ := json.Marshal(map[string]any{"files": req})
	r := c.mustDo(http.StatusOK, "POST", "/api/models/"+repo+"/preupload/main", "application/json", body)
	var pre struct {
		Files []struct {
			Path       string `json:"path"`
			UploadMode string `json:"uploadMode"`
		} `json:"files"`
	}
	if err := json.Unmarshal(r.Body, &pre); err != nil || len(pre.Files) != len(files) {
		t.Fatalf("preupload: %v: %s", err, truncate(r.Body))
	}
	var lines []commitLine
	for _, f := range pre.Files {
		if f.Path == modelrepo.ModelFile && f.UploadMode != "lfs" {
			t.Fatalf("preupload: %s has uploadMode %q, want lfs", f.Path, f.UploadMode)
		}
		data := files[f.Path]
		if f.UploadMode == "lfs" {
			lines = append(lines, lfsFile(f.Path, c.uploadLFS(repo, data), int64(len(data))))
		} else {
			lines = append(lines, regularFile(f.Path, data))
		}
	}
	c.commitFiles(repo, "Publish an image classifier", lines...)
}

// writeTestPNGs writes three PNG images (two real photos re-encoded, so Go
// and sharp decode identical pixels, and a synthetic pattern) and returns
// their paths.
func writeTestPNGs(t *testing.T, dir string) []string {
	t.Helper()
	var imgs []image.Image
	for _, name := range []string{"dog.jpg", "scream.jpg"} {
		data, err := os.ReadFile(filepath.Join("/usr/share/darknet/data", name))
		requireTool(t, err == nil, "Debian darknet photos (/usr/share/darknet/data)")
		d, err := imageproc.Decode(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, d.Image)
	}
	syn := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			syn.Set(x, y, color.NRGBA{uint8(x * 255 / 299), uint8((x/15 + y/15) % 2 * 200), uint8(y * 255 / 199), 255})
		}
	}
	imgs = append(imgs, syn)
	var paths []string
	for i, img := range imgs {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, []string{"dog.png", "scream.png", "pattern.png"}[i])
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// quarryScores classifies the images as Quarry does: decode, preprocess
// with the published preprocessor_config.json, run the published ONNX
// graph in ONNX Runtime, softmax over the logits.
func quarryScores(t *testing.T, ortLib string, files map[string][]byte, paths []string) []tjsImage {
	t.Helper()
	cfg, err := imageproc.ParseConfig(files[modelrepo.PreprocessorFile])
	if err != nil {
		t.Fatal(err)
	}
	var imgs []image.Image
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := imageproc.Decode(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, d.Image)
	}
	x, shape, err := cfg.Batch(imgs)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := onnxrt.Open(ortLib, onnxrt.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	sess, err := rt.NewSession(files[modelrepo.ModelFile], []string{onnxgraph.PixelValues}, []string{onnxgraph.Logits})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	logits, _, err := sess.Run(x, shape)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]tjsImage, len(paths))
	k := len(tjsLabels)
	for i, p := range paths {
		probs := softmax(logits[i*k : (i+1)*k])
		out[i] = tjsImage{Path: p, Scores: map[string]float64{}}
		for j, l := range tjsLabels {
			out[i].Scores[l] = probs[j]
		}
	}
	return out
}

func softmax(z []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, float64(v))
	}
	out := make([]float64, len(z))
	sum := 0.0
	for i, v := range z {
		out[i] = math.Exp(float64(v) - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// compareScores reads transformers.js's scores (written by the Node test)
// and checks them against Quarry's: same top label, every score within 1e-3.
func compareScores(t *testing.T, exp tjsExpected, actPath string) {
	t.Helper()
	b, err := os.ReadFile(actPath)
	if err != nil {
		t.Fatalf("transformers.test.mjs wrote no results: %v", err)
	}
	var act []struct {
		Path   string `json:"path"`
		Output []struct {
			Label string  `json:"label"`
			Score float64 `json:"score"`
		} `json:"output"`
	}
	if err := json.Unmarshal(b, &act); err != nil || len(act) != len(exp.Images) {
		t.Fatalf("actual.json: %v (%d results)", err, len(act))
	}
	maxDiff := 0.0
	for i, img := range exp.Images {
		out := act[i].Output
		if act[i].Path != img.Path || len(out) != len(exp.Labels) {
			t.Fatalf("result %d: %+v", i, act[i])
		}
		var summary []string
		for _, o := range out {
			d := math.Abs(o.Score - img.Scores[o.Label])
			maxDiff = math.Max(maxDiff, d)
			summary = append(summary, o.Label+"="+formatScore(o.Score)+"/"+formatScore(img.Scores[o.Label]))
		}
		t.Logf("%s (transformers.js/quarry): %s", filepath.Base(img.Path), strings.Join(summary, " "))
		if top := topLabel(img.Scores); out[0].Label != top {
			t.Errorf("%s: transformers.js top label %q, Quarry %q", filepath.Base(img.Path), out[0].Label, top)
		}
	}
	t.Logf("max |transformers.js - Quarry| score difference: %.2g", maxDiff)
	if maxDiff > 1e-3 {
		t.Fatalf("scores differ by %v > 1e-3", maxDiff)
	}
}

func topLabel(scores map[string]float64) string {
	best, bestScore := "", -1.0
	for _, l := range tjsLabels {
		if scores[l] > bestScore {
			best, bestScore = l, scores[l]
		}
	}
	return best
}

func formatScore(v float64) string {
	b, _ := json.Marshal(math.Round(v*1e5) / 1e5)
	return string(b)
}
