package tfjs_test

import (
	"encoding/binary"
	"encoding/json"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"quarry/internal/mltest"
	"quarry/ml/imageproc"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
	"quarry/ml/tfjs"
)

func openRuntime(t testing.TB) *onnxrt.Runtime {
	t.Helper()
	rt, err := onnxrt.Open(mltest.ORTLibrary(t), onnxrt.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// photos decodes the darknet photos.
func photos(t testing.TB) []image.Image {
	t.Helper()
	var out []image.Image
	for _, name := range mltest.DarknetPhotos {
		data, err := os.ReadFile(mltest.Photo(t, name))
		if err != nil {
			t.Fatal(err)
		}
		d, err := imageproc.Decode(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.Image)
	}
	return out
}

func preprocessor(t testing.TB) *imageproc.Config {
	t.Helper()
	b, err := json.Marshal(tfjs.MobileNetV2Preprocessor())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := imageproc.ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestBackboneOnPhotos(t *testing.T) {
	model, err := tfjs.ConvertMobileNetV2(mltest.NSFWJSDir(t))
	if err != nil {
		t.Fatal(err)
	}
	rt := openRuntime(t)
	s, err := rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{tfjs.FeaturesOutput})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	imgs := photos(t)
	x, shape, err := preprocessor(t).Batch(imgs)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	feats, fshape, err := s.Run(x, shape)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d photos in %v (%.1f images/s)", len(imgs), time.Since(start), float64(len(imgs))/time.Since(start).Seconds())
	n, d := len(imgs), tfjs.FeatureDim
	if fshape[0] != int64(n) || fshape[1] != int64(d) {
		t.Fatalf("features shape %v, want [%d %d]", fshape, n, d)
	}
	for i, v := range feats {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 0 || v > 6 {
			t.Fatalf("feature %d = %v: not a finite ReLU6 average", i, v)
		}
	}
	// Different photos give clearly different, non-trivial features.
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if c := cosine(feats[i*d:(i+1)*d], feats[j*d:(j+1)*d]); c > 0.95 || c < 0.05 {
				t.Errorf("cosine(%s, %s) = %.3f", mltest.DarknetPhotos[i], mltest.DarknetPhotos[j], c)
			}
		}
	}
	// A batch gives the same features as single runs.
	single, _, err := s.Run(x[3*224*224*3:4*224*224*3], []int64{1, 3, 224, 224})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range single {
		if math.Abs(float64(v-feats[3*d+k])) > 1e-4 {
			t.Fatalf("batched vs single feature %d: %v vs %v", k, feats[3*d+k], v)
		}
	}
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestNSFWJSHead converts the whole nsfwjs model (with its 5-class head) and
// checks a prediction the feasibility study measured with TF.js in Node:
// dog.jpg -> [0.177 0.000 0.822 0.000 0.000].
func TestNSFWJSHead(t *testing.T) {
	model, err := tfjs.Convert(mltest.NSFWJSDir(t), tfjs.NSFWJSHeadNode, "probs")
	if err != nil {
		t.Fatal(err)
	}
	rt := openRuntime(t)
	s, err := rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{"probs"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x, shape, err := preprocessor(t).Batch(photos(t)[:1])
	if err != nil {
		t.Fatal(err)
	}
	probs, _, err := s.Run(x, shape)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.177, 0, 0.822, 0, 0}
	t.Logf("dog probs %.3f", probs)
	for i, w := range want {
		if math.Abs(float64(probs[i])-w) > 0.03 {
			t.Fatalf("dog probs %v, want about %v", probs, want)
		}
	}
}

// TestSetupOutput checks the model directory scripts/setup-ml.sh wrote.
func TestSetupOutput(t *testing.T) {
	dir := mltest.BackboneDir(t)
	got, err := os.ReadFile(filepath.Join(dir, "onnx", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnxgraph.Decode(got)
	if err != nil {
		t.Fatal(err)
	}
	if m.Graph.Input(onnxgraph.PixelValues) == nil || m.Graph.Output(tfjs.FeaturesOutput) == nil {
		t.Fatal("model lacks pixel_values or features")
	}
	pre, err := os.ReadFile(filepath.Join(dir, "preprocessor_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := imageproc.ParseConfig(pre)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.DoNormalize || cfg.Size.Height != 224 || cfg.Size.Width != 224 {
		t.Fatalf("preprocessor config %+v", cfg)
	}
}

func BenchmarkBackbone(b *testing.B) {
	model, err := tfjs.ConvertMobileNetV2(mltest.NSFWJSDir(b))
	if err != nil {
		b.Fatal(err)
	}
	rt := openRuntime(b)
	s, err := rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{tfjs.FeaturesOutput})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	x, shape, err := preprocessor(b).Batch(photos(b)[:4])
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.Run(x, shape); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*4)/b.Elapsed().Seconds(), "images/s")
}

// TestMatchesTFJS runs the original TF.js model in Node (ml/testdata/tfjs-ref,
// installed by scripts/setup-ml.sh) on the same preprocessed photos and
// compares its 1792-d features with the converted ONNX model's.
func TestMatchesTFJS(t *testing.T) {
	refDir := filepath.Join(mltest.Root(t), "ml", "testdata", "tfjs-ref")
	mltest.Require(t, filepath.Join(refDir, "node_modules", "@tensorflow", "tfjs-converter"))
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		mltest.Require(t, "node (on PATH)")
	}
	nsfw := mltest.NSFWJSDir(t)
	imgs := photos(t)
	x, shape, err := preprocessor(t).Batch(imgs)
	if err != nil {
		t.Fatal(err)
	}
	in, out := filepath.Join(t.TempDir(), "in.f32"), filepath.Join(t.TempDir(), "out.f32")
	if err := os.WriteFile(in, float32Bytes(nchwToNHWC(x, len(imgs), 224, 224)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nodeBin, "ref.mjs", nsfw, in, strconv.Itoa(len(imgs)), tfjs.MobileNetV2FeatureNode, out)
	cmd.Dir = refDir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node ref.mjs: %v\n%s", err, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(raw)/4)
	for i := range want {
		want[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	model, err := tfjs.ConvertMobileNetV2(nsfw)
	if err != nil {
		t.Fatal(err)
	}
	rt := openRuntime(t)
	s, err := rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{tfjs.FeaturesOutput})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _, err := s.Run(x, shape)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("ONNX gives %d values, TF.js %d", len(got), len(want))
	}
	maxDiff := 0.0
	for i := range got {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i]-want[i])))
	}
	t.Logf("max |ONNX - TF.js| over %d photos x %d features: %.2g", len(imgs), tfjs.FeatureDim, maxDiff)
	if maxDiff > 1e-3 {
		t.Fatalf("max difference %v > 1e-3", maxDiff)
	}
}

func nchwToNHWC(x []float32, n, h, w int) []float32 {
	out := make([]float32, len(x))
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			for p := 0; p < h*w; p++ {
				out[(i*h*w+p)*3+c] = x[(i*3+c)*h*w+p]
			}
		}
	}
	return out
}

func float32Bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}
