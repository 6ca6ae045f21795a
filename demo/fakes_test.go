package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/demo"
	"quarry/ml/classify"
	"quarry/ml/imageproc"
)

const (
	publicURL = "https://hub.example"
	rev       = "0123456789abcdef0123456789abcdef01234567"
)

// fakeModel is one model of fakeSource.
type fakeModel struct {
	info  demo.ModelInfo
	files map[string][]byte
}

// fakeSource serves in-memory models; private ones only to caller "owner".
type fakeSource struct {
	models map[string]*fakeModel
}

func (f *fakeSource) Resolve(_ context.Context, caller any, ref demo.ModelRef) (*demo.ModelInfo, error) {
	m, ok := f.models[ref.Namespace+"/"+ref.Name]
	if !ok || (m.info.Private && caller != "owner") || (ref.Revision != "" && ref.Revision != "main" && ref.Revision != m.info.Revision) {
		return nil, fmt.Errorf("resolve %s: %w", ref, demo.ErrNotFound)
	}
	info := m.info
	return &info, nil
}

func (f *fakeSource) File(_ context.Context, _ any, info *demo.ModelInfo, path string) ([]byte, error) {
	b, ok := f.models[info.ID].files[path]
	if !ok {
		return nil, fmt.Errorf("file %s: %w", path, demo.ErrNotFound)
	}
	return b, nil
}

func (f *fakeSource) List(_ context.Context, _ any, info *demo.ModelInfo, dir string) ([]string, error) {
	var out []string
	for p := range f.models[info.ID].files {
		if strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	return out, nil
}

// fakeClassifier decodes nothing: images starting with "bad" fail as
// corrupt, others get a fixed prediction.
type fakeClassifier struct {
	mu    sync.Mutex
	calls int
	keys  []string
}

func (f *fakeClassifier) Classify(_ context.Context, key string, _ classify.ModelFiles, images [][]byte) ([]classify.Prediction, error) {
	f.mu.Lock()
	f.calls++
	f.keys = append(f.keys, key)
	f.mu.Unlock()
	if bytes.HasPrefix(images[0], []byte("bad")) {
		return nil, fmt.Errorf("classify: image 0: imageproc: decode: %w: unexpected EOF", imageproc.ErrCorrupt)
	}
	return []classify.Prediction{{Label: "mine", Confidences: []classify.LabelScore{
		{Label: "mine", Score: 0.75}, {Label: "no_mine", Score: 0.25}}}}, nil
}

func (f *fakeClassifier) Scan(_ context.Context, _ string, _ classify.ModelFiles, _ []byte, opts classify.ScanOptions) (*classify.ScanResult, error) {
	if opts.Label == "nope" {
		return nil, fmt.Errorf("classify: scan: %w: label \"nope\"", classify.ErrBadOption)
	}
	w := classify.Window{X: 0, Y: 0, W: 224, H: 224, Score: 0.9}
	return &classify.ScanResult{Width: 448, Height: 224, Label: "mine", Threshold: 0.5, StrideX: 112, StrideY: 112,
		Windows: []classify.Window{w, {X: 224, W: 224, H: 224, Score: 0.1}}, Positives: []classify.Window{w},
		HeatMap: []byte("\x89PNG"), HeatMapWidth: 2, HeatMapHeight: 1, WindowW: 224, WindowH: 224}, nil
}

// fakeFlagger records flags.
type fakeFlagger struct {
	mu    sync.Mutex
	flags []demo.Flag
}

func (f *fakeFlagger) Flag(_ context.Context, _ any, fl demo.Flag) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flags = append(f.flags, fl)
	return nil
}

func newSource() *fakeSource {
	cfg := []byte(`{"model_type":"mobilenet_v2","id2label":{"0":"mine","1":"no_mine"}}`)
	return &fakeSource{models: map[string]*fakeModel{
		"ns/mines": {info: demo.ModelInfo{ID: "ns/mines", Revision: rev, PipelineTag: "image-classification",
			Examples: []demo.Example{{Path: "card/tile.png", Title: "A tile"}}, FlagDataset: "ns/flags"},
			files: map[string][]byte{"config.json": cfg, "card/tile.png": pngBytes(20, 20), "examples/b.jpg": []byte("jpg"),
				"examples/notes.txt": []byte("x")}},
		"ns/secret": {info: demo.ModelInfo{ID: "ns/secret", Revision: rev, Private: true, PipelineTag: "image-classification",
			Labels: []string{"a", "b"}}, files: map[string][]byte{}},
		"ns/text": {info: demo.ModelInfo{ID: "ns/text", Revision: rev, PipelineTag: "text-classification"}},
	}}
}

type testApp struct {
	app  *fiber.App
	srv  *demo.Server
	clf  *fakeClassifier
	flag *fakeFlagger
	now  *time.Time
}

func newTestApp(t *testing.T, edit func(*demo.Config)) *testApp {
	t.Helper()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ta := &testApp{clf: &fakeClassifier{}, flag: &fakeFlagger{}, now: &now}
	cfg := demo.Config{Source: newSource(), Classifier: ta.clf, Flagger: ta.flag, PublicURL: publicURL,
		MaxFileSize: 1000, Linger: 20 * time.Millisecond, Heartbeat: time.Second,
		Now:    func() time.Time { return *ta.now },
		Caller: func(c *fiber.Ctx) (any, error) { return c.Get("X-Test-Caller"), nil },
		Logf:   t.Logf}
	if edit != nil {
		edit(&cfg)
	}
	ta.app = fiber.New(fiber.Config{BodyLimit: 1 << 20})
	var err error
	if ta.srv, err = demo.Register(ta.app, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ta.srv.Close)
	return ta
}

// do sends a request and returns the status, body and response.
func (ta *testApp) do(t *testing.T, req *http.Request) (int, []byte, *http.Response) {
	t.Helper()
	resp, err := ta.app.Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp
}

func (ta *testApp) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	code, b, _ := ta.do(t, httptest.NewRequest(http.MethodGet, path, nil))
	return code, b
}

func (ta *testApp) postJSON(t *testing.T, path string, body any) (int, []byte) {
	t.Helper()
	js, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(js))
	req.Header.Set("Content-Type", "application/json")
	code, b, _ := ta.do(t, req)
	return code, b
}

// upload posts files as multipart field "files".
func (ta *testApp) upload(t *testing.T, root, name string, data []byte) (int, []byte, *http.Response) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("files", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, root+"/gradio_api/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return ta.do(t, req)
}

func (ta *testApp) uploadPath(t *testing.T, root, name string, data []byte) string {
	t.Helper()
	code, body, _ := ta.upload(t, root, name, data)
	var paths []string
	if code != 200 || json.Unmarshal(body, &paths) != nil || len(paths) != 1 {
		t.Fatalf("upload: %d %s", code, body)
	}
	return paths[0]
}

func pngBytes(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

func fileArg(path string) map[string]any {
	return map[string]any{"path": path, "meta": map[string]any{"_type": "gradio.FileData"}}
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// blockingClassifier waits for its channel to close.
type blockingClassifier struct{ block chan struct{} }

func (b blockingClassifier) Classify(ctx context.Context, _ string, _ classify.ModelFiles, _ [][]byte) ([]classify.Prediction, error) {
	select {
	case <-b.block:
	case <-ctx.Done():
	}
	return []classify.Prediction{{Label: "x", Confidences: []classify.LabelScore{{Label: "x", Score: 1}}}}, nil
}

func (b blockingClassifier) Scan(context.Context, string, classify.ModelFiles, []byte, classify.ScanOptions) (*classify.ScanResult, error) {
	return nil, nil
}

func pngEncode(w io.Writer, img image.Image) {
	png.Encode(w, img)
}
