package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"quarry/ml/modelrepo"
)

// baseModel is the backbone `quarry import-base` publishes.
const baseModel = "quarry/mobilenet-v2-140-224"

// demoMaxFileSize is the servers' demo upload limit in these tests (the
// Gradio Node test expects "2 MB" in its over-the-limit message).
const demoMaxFileSize = 2 << 20

// demoRuntime returns the absolute path of the ONNX Runtime library after
// checking that it and the converted backbone exist (skipping, or failing
// under CI, when `make setup` did not run).
func demoRuntime(t *testing.T) string {
	t.Helper()
	lib, err := filepath.Abs(filepath.Join("..", "third_party", "onnxruntime", "lib", "libonnxruntime.so.1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(lib)
	requireTool(t, err == nil, "third_party/onnxruntime")
	_, err = os.Stat(filepath.Join("..", "third_party", "models", "mobilenet-v2-140-224", "onnx", "model.onnx"))
	requireTool(t, err == nil, "third_party/models/mobilenet-v2-140-224")
	return lib
}

// demoEnv is the server environment of demo tests: the ONNX Runtime
// library, no rate limit (one test client sends many requests), and the
// demo upload limit.
func demoEnv(ortLib string) []string {
	return []string{"QUARRY_ORT_LIB=" + ortLib, "QUARRY_DEMO_RATE=-1", fmt.Sprintf("QUARRY_DEMO_MAX_FILE_SIZE=%d", demoMaxFileSize)}
}

// nodeDeps returns node and checks that the Node packages under dir
// (relative to e2e/) are installed.
func nodeDeps(t *testing.T, dir string, pkgs ...string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	requireTool(t, err == nil, "node")
	for _, p := range pkgs {
		_, err = os.Stat(filepath.Join(dir, "node_modules", p, "package.json"))
		requireTool(t, err == nil, filepath.Join(dir, "node_modules", p))
	}
	return node
}

// seededHead is a fixed linear head: weights from a seeded generator,
// scaled so that the classes get distinct, non-saturated probabilities,
// and biases spread from 0.2 down to -0.2.
func seededHead(seed uint64, n, dim int) ([][]float32, []float32) {
	r := rand.New(rand.NewPCG(seed, 4))
	W := make([][]float32, n)
	b := make([]float32, n)
	for i := range W {
		W[i] = make([]float32, dim)
		for j := range W[i] {
			W[i][j] = float32(r.NormFloat64() * 0.03)
		}
		if n > 1 {
			b[i] = float32(0.2 - 0.4*float64(i)/float64(n-1))
		}
	}
	return W, b
}

// publishClassifier publishes c.user/NAME through the HTTP API: the files
// of buildClassifier plus extra go up with preupload, LFS and one commit.
// It returns the published files.
func publishClassifier(t *testing.T, s *server, c *client, name string, labels []string, seed uint64,
	opts modelrepo.Options, extra map[string][]byte) map[string][]byte {
	t.Helper()
	repo := c.user + "/" + name
	files := buildClassifier(t, s, c, repo, labels, seed, opts)
	for p, data := range extra {
		files[p] = data
	}
	c.createModel(name)
	publishFiles(t, c, repo, files)
	return files
}

// buildClassifier returns the files of classifier repo: the base model
// (imported with `quarry import-base` unless already there) downloaded back
// from the server, with a seeded linear head over labels appended
// (modelrepo.Build; opts.ModelID and BaseModel are filled in).
func buildClassifier(t *testing.T, s *server, c *client, repo string, labels []string, seed uint64, opts modelrepo.Options) map[string][]byte {
	t.Helper()
	if r, err := c.do("GET", c.base+"/api/models/"+baseModel, "", nil, false); err != nil || r.Status != http.StatusOK {
		models, err := filepath.Abs(filepath.Join("..", "third_party", "models"))
		if err != nil {
			t.Fatal(err)
		}
		if got := lastLine(quarryCLI(t, s.Data, "import-base", "--models", models)); got != baseModel {
			t.Fatalf("import-base printed %q", got)
		}
	}
	backbone := downloadModel(t, c, baseModel)
	W, b := seededHead(seed, len(labels), 1792)
	opts.ModelID, opts.BaseModel = repo, baseModel
	files, err := modelrepo.Build(backbone, W, b, labels, opts)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// demoLabel is the demo's Label output.
type demoLabel struct {
	Label       string `json:"label"`
	Confidences []struct {
		Label      string  `json:"label"`
		Confidence float64 `json:"confidence"`
	} `json:"confidences"`
}

// scores returns the confidences by label.
func (l *demoLabel) scores() map[string]float64 {
	out := map[string]float64{}
	for _, c := range l.Confidences {
		out[c.Label] = c.Confidence
	}
	return out
}

// check verifies a Label output: every label once, sorted, summing to 1.
func (l *demoLabel) check(labels []string) error {
	if len(l.Confidences) != len(labels) || l.Label != l.Confidences[0].Label {
		return fmt.Errorf("label %q with %d confidences, want %d", l.Label, len(l.Confidences), len(labels))
	}
	sum := 0.0
	for i, c := range l.Confidences {
		sum += c.Confidence
		if i > 0 && c.Confidence > l.Confidences[i-1].Confidence {
			return fmt.Errorf("confidences not sorted: %+v", l.Confidences)
		}
	}
	if math.Abs(sum-1) > 1e-4 {
		return fmt.Errorf("confidences sum to %v", sum)
	}
	return nil
}

// sendWith is client.do with extra request headers.
func sendWith(c *client, method, url, contentType string, body []byte, h http.Header) (*response, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := c.hc
	if hc == nil {
		hc = httpClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

// demoUpload posts data to ROOT/gradio_api/upload and returns the response
// and the issued path ("" unless 200).
func demoUpload(c *client, root, name string, data []byte, h http.Header) (*response, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("files", name)
	if err != nil {
		return nil, "", err
	}
	fw.Write(data)
	mw.Close()
	r, err := sendWith(c, "POST", root+"/gradio_api/upload", mw.FormDataContentType(), buf.Bytes(), h)
	if err != nil || r.Status != http.StatusOK {
		return r, "", err
	}
	var paths []string
	if err := json.Unmarshal(r.Body, &paths); err != nil || len(paths) != 1 {
		return r, "", fmt.Errorf("upload answered %s", truncate(r.Body))
	}
	return r, paths[0], nil
}

// demoPredict uploads data and classifies it with run/predict (the page's
// path) as c, failing the test unless both answer 200.
func demoPredict(t *testing.T, c *client, root, name string, data []byte, h http.Header) *demoLabel {
	t.Helper()
	r, path, err := demoUpload(c, root, name, data, h)
	if err != nil || path == "" {
		t.Fatalf("upload %s to %s: %v %s", name, root, err, describeResponse(r, err))
	}
	body, _ := json.Marshal(map[string]any{"data": []any{map[string]any{"path": path,
		"meta": map[string]any{"_type": "gradio.FileData"}}}, "fn_index": 0, "session_hash": "e2e"})
	r, err = sendWith(c, "POST", root+"/gradio_api/run/predict", "application/json", body, h)
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("run/predict %s on %s: %s", name, root, describeResponse(r, err))
	}
	var out struct {
		Data []demoLabel `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || len(out.Data) != 1 {
		t.Fatalf("run/predict %s: %v %s", name, err, truncate(r.Body))
	}
	return &out.Data[0]
}

// demoTestImages writes the inputs of demo/testdata/node/gradio.test.mjs
// and returns name -> path: valid images (a 224 px pattern and a real
// photo) and the error cases of acceptance 2 (text, truncated JPEG, 1x1, a
// 30,000 x 30,000 PNG header, a file over demoMaxFileSize).
func demoTestImages(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	photo, err := os.ReadFile("/usr/share/darknet/data/dog.jpg")
	requireTool(t, err == nil, "Debian darknet photos (/usr/share/darknet/data)")
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, pattern(64, 64), nil)
	tiny := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	tiny.Set(0, 0, color.White)
	tinyPNG := pngOf(t, tiny)
	huge := bytes.Clone(tinyPNG)
	binary.BigEndian.PutUint32(huge[16:], 30000) // IHDR width
	binary.BigEndian.PutUint32(huge[20:], 30000) // IHDR height
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	files := map[string][]byte{
		"valid.png": pngOf(t, pattern(224, 224)), "photo.jpg": photo, "text.txt": []byte("just some text, not an image\n"),
		"truncated.jpg": jpg.Bytes()[:jpg.Len()/2], "tiny.png": tinyPNG, "huge.png": huge,
		"oversized.png": append(pngOf(t, pattern(16, 16)), make([]byte, demoMaxFileSize)...),
	}
	out := map[string]string{}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(name, filepath.Ext(name))] = p
	}
	return out
}

// pattern is a deterministic colourful test image.
func pattern(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / max(w-1, 1)), uint8((x/15 + y/15) % 2 * 200), uint8(y * 255 / max(h-1, 1)), 255})
		}
	}
	return img
}

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
