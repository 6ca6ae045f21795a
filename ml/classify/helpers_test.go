package classify_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"quarry/internal/mltest"
	"quarry/ml/classify"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
)

func openRuntime(t testing.TB) *onnxrt.Runtime {
	t.Helper()
	rt, err := onnxrt.Open(mltest.ORTLibrary(t), onnxrt.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	return rt
}

func newClassifier(t testing.TB, opts classify.Options) *classify.Classifier {
	t.Helper()
	c := classify.New(openRuntime(t), opts)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// modelDir is an in-memory published model whose loader counts loads.
type modelDir struct {
	files map[string][]byte
	mu    sync.Mutex
	loads int
}

func (d *modelDir) loader() classify.ModelFiles {
	return func(_ context.Context, name string) ([]byte, error) {
		b, ok := d.files[name]
		if !ok {
			return nil, fmt.Errorf("%s: %w", name, os.ErrNotExist)
		}
		if name == classify.ModelFile {
			d.mu.Lock()
			d.loads++
			d.mu.Unlock()
		}
		return b, nil
	}
}

func (d *modelDir) Loads() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.loads
}

func configJSON(t testing.TB, labels []string, extra map[string]any) []byte {
	t.Helper()
	id2label := map[string]string{}
	for i, l := range labels {
		id2label[strconv.Itoa(i)] = l
	}
	cfg := map[string]any{"model_type": "mobilenet_v2", "id2label": id2label, "num_labels": len(labels)}
	for k, v := range extra {
		cfg[k] = v
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const colourPreprocessor = `{"image_processor_type":"MobileNetV2ImageProcessor","do_resize":true,
"size":{"height":16,"width":16},"do_rescale":true,"rescale_factor":0.00392156862745098,"do_normalize":false}`

// colourModel is a tiny classifier over channel means: pixel_values
// [N,3,16,16] -> GlobalAveragePool -> features [N,3] -> W·f+b. Labels
// "red" and "other": red wins on red pixels.
func colourModel(t testing.TB) *modelDir {
	t.Helper()
	m := onnxgraph.NewModel("colour", "test")
	g := m.Graph
	g.Inputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue("pixel_values", onnxgraph.Float,
		onnxgraph.Symbolic("n"), onnxgraph.Fixed(3), onnxgraph.Fixed(16), onnxgraph.Fixed(16))}
	g.AddNode("GlobalAveragePool", "pool", []string{"pixel_values"}, []string{"pooled"})
	g.AddNode("Flatten", "flat", []string{"pooled"}, []string{"features"}, onnxgraph.IntAttr("axis", 1))
	g.Outputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue("features", onnxgraph.Float,
		onnxgraph.Symbolic("n"), onnxgraph.Fixed(3))}
	base, err := onnxgraph.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	labels := []string{"red", "other"}
	model, err := onnxgraph.AppendHead(base, "features", [][]float32{{20, -10, -10}, {0, 0, 0}},
		[]float32{0, 5}, labels)
	if err != nil {
		t.Fatal(err)
	}
	return &modelDir{files: map[string][]byte{
		classify.ConfigFile:       configJSON(t, labels, map[string]any{"quarry": map[string]any{"positive_label": "red", "threshold": 0.9}}),
		classify.PreprocessorFile: []byte(colourPreprocessor),
		classify.ModelFile:        model,
	}}
}

// backboneModel appends a head with fixed pseudo-random weights to the
// converted MobileNetV2 backbone.
func backboneModel(t testing.TB, W [][]float32, b []float32, labels []string) *modelDir {
	t.Helper()
	dir := mltest.BackboneDir(t)
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	model, err := onnxgraph.AppendHead(read("onnx/model.onnx"), "features", W, b, labels)
	if err != nil {
		t.Fatal(err)
	}
	return &modelDir{files: map[string][]byte{
		classify.ConfigFile:       configJSON(t, labels, nil),
		classify.PreprocessorFile: read("preprocessor_config.json"),
		classify.ModelFile:        model,
	}}
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func solid(w, h int, c color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

// truncatedJPEG is a valid JPEG header with half of its data cut off.
func truncatedJPEG(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	img := solid(64, 64, color.NRGBA{10, 200, 30, 255})
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()[:buf.Len()/2]
}

// hugePNGHeader is a PNG whose IHDR announces w x h pixels (with a valid
// CRC) but carries the data of a 1x1 image.
func hugePNGHeader(t testing.TB, w, h uint32) []byte {
	t.Helper()
	b := encodePNG(t, solid(1, 1, color.White))
	// signature (8) + length (4) + "IHDR" (4) + data (13) + CRC (4)
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}
