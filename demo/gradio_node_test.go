package demo_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/demo"
	"quarry/ml/classify"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
)

// repoRoot returns the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if parent := filepath.Dir(dir); parent != dir {
			dir = parent
			continue
		}
		t.Fatal("go.mod not found")
	}
}

// require returns path, skipping the test when it is missing (failing it
// when CI is set: CI must run the real thing).
func require(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing (run make setup): %v", path, err)
		}
		t.Skipf("%s missing: run make setup", path)
	}
	return path
}

// tinyModel is a published image classifier: the converted MobileNetV2
// backbone with a fixed pseudo-random linear head over labels.
func tinyModel(t *testing.T, root string, labels []string) map[string][]byte {
	dir := filepath.Join(root, "third_party", "models", "mobilenet-v2-140-224")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	r := rand.New(rand.NewPCG(3, 5))
	W := make([][]float32, len(labels))
	for i := range W {
		W[i] = make([]float32, 1792)
		for j := range W[i] {
			W[i][j] = float32(r.NormFloat64() * 0.2)
		}
	}
	model, err := onnxgraph.AppendHead(read("onnx/model.onnx"), "features", W, make([]float32, len(labels)), labels)
	if err != nil {
		t.Fatal(err)
	}
	id2label := map[string]string{}
	for i, l := range labels {
		id2label[string(rune('0'+i))] = l
	}
	cfg, _ := json.Marshal(map[string]any{"model_type": "mobilenet_v2", "id2label": id2label, "num_labels": len(labels)})
	return map[string][]byte{classify.ConfigFile: cfg, classify.PreprocessorFile: read("preprocessor_config.json"),
		classify.ModelFile: model, "examples/tile.png": pngBytes(300, 200)}
}

// testImages writes the Node test's inputs and returns name -> path.
func testImages(t *testing.T, maxFileSize int64) map[string]string {
	dir := t.TempDir()
	photo := pngBytes(640, 480)
	if b, err := os.ReadFile("/usr/share/darknet/data/dog.jpg"); err == nil {
		photo = b
	}
	var jpg bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	jpeg.Encode(&jpg, img, nil)
	tiny := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	tiny.Set(0, 0, color.White)
	var tinyPNG bytes.Buffer
	pngEncode(&tinyPNG, tiny)
	huge := bytes.Clone(tinyPNG.Bytes())
	binary.BigEndian.PutUint32(huge[16:], 30000)
	binary.BigEndian.PutUint32(huge[20:], 30000)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	files := map[string][]byte{
		"valid.png": pngBytes(224, 224), "photo.jpg": photo, "text.txt": []byte("just some text, not an image\n"),
		"truncated.jpg": jpg.Bytes()[:jpg.Len()/2], "tiny.png": tinyPNG.Bytes(), "huge.png": huge,
		"oversized.png": append(pngBytes(16, 16), make([]byte, maxFileSize)...),
	}
	out := map[string]string{}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out[name[:len(name)-len(filepath.Ext(name))]] = p
	}
	return out
}

// TestGradioClientNode serves the demo with the real classifier on a tiny
// model and drives it with @gradio/client from Node.
func TestGradioClientNode(t *testing.T) {
	root := repoRoot(t)
	nodeDir := filepath.Join(root, "demo", "testdata", "node")
	require(t, filepath.Join(nodeDir, "node_modules", "@gradio", "client", "package.json"))
	lib := require(t, filepath.Join(root, "third_party", "onnxruntime", "lib", "libonnxruntime.so.1"))
	require(t, filepath.Join(root, "third_party", "models", "mobilenet-v2-140-224", "onnx", "model.onnx"))
	node, err := exec.LookPath("node")
	if err != nil {
		require(t, "/usr/bin/node")
	}
	rt, err := onnxrt.Open(lib, onnxrt.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	clf := classify.New(rt, classify.Options{})
	defer clf.Close()

	labels := []string{"mine", "no_mine", "water"}
	src := &fakeSource{models: map[string]*fakeModel{"ns/tiny": {
		info:  demo.ModelInfo{ID: "ns/tiny", Revision: rev, PipelineTag: "image-classification"},
		files: tinyModel(t, root, labels)}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	const maxFileSize = 2 << 20
	app := fiber.New(fiber.Config{BodyLimit: 2 * maxFileSize, DisableStartupMessage: true})
	srv, err := demo.Register(app, demo.Config{Source: src, Classifier: clf, PublicURL: base,
		MaxFileSize: maxFileSize, RateLimit: demo.RateLimit{PerSecond: 1000, Burst: 1000}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	defer func() {
		srv.Close()
		app.ShutdownWithTimeout(5 * time.Second)
	}()

	filesJSON, _ := json.Marshal(testImages(t, maxFileSize))
	labelsJSON, _ := json.Marshal(labels)
	cmd := exec.Command(node, "--test", "--test-reporter=spec", "gradio.test.mjs")
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), "DEMO_ROOT="+base+"/ns/tiny/demo", "DEMO_FILES="+string(filesJSON),
		"DEMO_LABELS="+string(labelsJSON))
	out, err := cmd.CombinedOutput()
	t.Logf("node --test gradio.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("node test failed: %v", err)
	}
}
