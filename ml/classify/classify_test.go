package classify_test

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"quarry/internal/mltest"
	"quarry/ml/classify"
	"quarry/ml/imageproc"
)

func TestSoftmax(t *testing.T) {
	got := classify.Softmax([]float32{1, 2, 3, 1000})
	sum := 0.0
	for _, p := range got {
		sum += p
	}
	if math.Abs(sum-1) > 1e-12 || got[3] < 0.999 || math.IsNaN(got[0]) {
		t.Fatalf("softmax = %v (sum %v)", got, sum)
	}
	got = classify.Softmax([]float32{0, math.Ln2})
	if math.Abs(got[0]-1.0/3) > 1e-7 || math.Abs(got[1]-2.0/3) > 1e-7 {
		t.Fatalf("softmax(0, ln 2) = %v, want [1/3 2/3]", got)
	}
}

// TestClassifyMatchesBackbone checks Classify against softmax(W·f+b) with f
// computed by the backbone session on the same preprocessed photos.
func TestClassifyMatchesBackbone(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	labels := []string{"alpha", "beta", "gamma"}
	W := make([][]float32, len(labels))
	for i := range W {
		W[i] = make([]float32, 1792)
		for j := range W[i] {
			W[i][j] = float32(r.NormFloat64() * 0.3)
		}
	}
	b := []float32{0.1, -0.2, 0.05}
	dir := backboneModel(t, W, b, labels)
	c := newClassifier(t, classify.Options{MaxBatch: 2})
	names := []string{"dog.jpg", "eagle.jpg", "scream.jpg"}
	var images [][]byte
	for _, n := range names {
		data, err := os.ReadFile(mltest.Photo(t, n))
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, data)
	}
	preds, err := c.Classify(context.Background(), "ns/tiny@abc", dir.loader(), images)
	if err != nil {
		t.Fatal(err)
	}
	want := backboneScores(t, images, W, b)
	for i, p := range preds {
		checkSorted(t, p)
		for _, ls := range p.Confidences {
			k := indexOf(labels, ls.Label)
			if math.Abs(ls.Score-want[i][k]) > 1e-4 {
				t.Errorf("%s: %s = %.6f, want %.6f", names[i], ls.Label, ls.Score, want[i][k])
			}
		}
	}
	if st := c.Stats(); st.Loads != 1 || st.Models != 1 {
		t.Fatalf("stats %+v, want one load", st)
	}
}

// backboneScores computes softmax(W·f+b) from the backbone's own features.
func backboneScores(t *testing.T, images [][]byte, W [][]float32, b []float32) [][]float64 {
	dir := mltest.BackboneDir(t)
	preBytes, err := os.ReadFile(filepath.Join(dir, "preprocessor_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	pre, err := imageproc.ParseConfig(preBytes)
	if err != nil {
		t.Fatal(err)
	}
	onnxBytes, err := os.ReadFile(filepath.Join(dir, "onnx", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	rt := openRuntime(t)
	s, err := rt.NewSession(onnxBytes, []string{"pixel_values"}, []string{"features"})
	if err != nil {
		t.Fatalf("backbone session: %v", err)
	}
	defer s.Close()
	var out [][]float64
	for _, data := range images {
		d, err := imageproc.Decode(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		x, shape, err := pre.Batch([]image.Image{d.Image})
		if err != nil {
			t.Fatal(err)
		}
		f, _, err := s.Run(x, shape)
		if err != nil {
			t.Fatal(err)
		}
		logits := make([]float32, len(W))
		for k := range W {
			v := float64(b[k])
			for j, w := range W[k] {
				v += float64(w) * float64(f[j])
			}
			logits[k] = float32(v)
		}
		out = append(out, classify.Softmax(logits))
	}
	return out
}

func indexOf(labels []string, l string) int {
	for i, x := range labels {
		if x == l {
			return i
		}
	}
	return -1
}

func checkSorted(t *testing.T, p classify.Prediction) {
	t.Helper()
	sum := 0.0
	for i, ls := range p.Confidences {
		sum += ls.Score
		if i > 0 && ls.Score > p.Confidences[i-1].Score {
			t.Fatalf("confidences not sorted: %+v", p.Confidences)
		}
	}
	if math.Abs(sum-1) > 1e-6 || p.Label != p.Confidences[0].Label {
		t.Fatalf("prediction %+v: sum %v", p, sum)
	}
}

func TestClassifyColours(t *testing.T) {
	dir := colourModel(t)
	c := newClassifier(t, classify.Options{})
	red := encodePNG(t, solid(40, 30, color.NRGBA{250, 10, 10, 255}))
	grey := encodePNG(t, solid(30, 40, color.NRGBA{128, 128, 128, 255}))
	preds, err := c.Classify(context.Background(), "colour", dir.loader(), [][]byte{red, grey, red})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"red", "other", "red"} {
		checkSorted(t, preds[i])
		if preds[i].Label != want || preds[i].Confidences[0].Score < 0.99 {
			t.Errorf("image %d: %+v, want %s", i, preds[i], want)
		}
	}
	info, err := c.Info(context.Background(), "colour", dir.loader())
	if err != nil {
		t.Fatal(err)
	}
	if info.InputWidth != 16 || info.InputHeight != 16 || info.PositiveLabel != "red" || info.Threshold != 0.9 {
		t.Fatalf("info %+v", info)
	}
}

func TestClassifyImageErrors(t *testing.T) {
	dir := colourModel(t)
	c := newClassifier(t, classify.Options{})
	valid := encodePNG(t, solid(20, 20, color.NRGBA{250, 0, 0, 255}))
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"text", []byte("hello, this is not an image"), imageproc.ErrUnknownFormat},
		{"truncated jpeg", truncatedJPEG(t), imageproc.ErrCorrupt},
		{"1x1", encodePNG(t, solid(1, 1, color.White)), classify.ErrTooSmall},
		{"30000x30000 header", hugePNGHeader(t, 30000, 30000), imageproc.ErrTooManyPixels},
	}
	for _, tc := range cases {
		_, err := c.Classify(context.Background(), "colour", dir.loader(), [][]byte{valid, tc.data})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		preds, err := c.Classify(context.Background(), "colour", dir.loader(), [][]byte{valid})
		if err != nil || preds[0].Label != "red" {
			t.Fatalf("after %s: %+v, %v", tc.name, preds, err)
		}
	}
}

func TestModelLoadErrors(t *testing.T) {
	dir := colourModel(t)
	c := newClassifier(t, classify.Options{})
	img := [][]byte{encodePNG(t, solid(20, 20, color.White))}
	delete(dir.files, classify.PreprocessorFile)
	if _, err := c.Classify(context.Background(), "k", dir.loader(), img); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing preprocessor: err = %v", err)
	}
	dir.files[classify.PreprocessorFile] = []byte(`{"size": "huge"}`)
	if _, err := c.Classify(context.Background(), "k", dir.loader(), img); !errors.Is(err, classify.ErrBadModel) {
		t.Fatalf("bad preprocessor: err = %v", err)
	}
	dir.files[classify.PreprocessorFile] = []byte(colourPreprocessor)
	if _, err := c.Classify(context.Background(), "k", dir.loader(), img); err != nil {
		t.Fatalf("fixed model: %v", err)
	}
}

func TestCacheEviction(t *testing.T) {
	dir := colourModel(t)
	size := int64(len(dir.files[classify.ModelFile]))
	img := [][]byte{encodePNG(t, solid(20, 20, color.White))}
	for _, tc := range []struct {
		name          string
		bound         int64
		wantLoads     int
		wantEvictions int
	}{{"one fits", size, 3, 2}, {"both fit", 2 * size, 2, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			d := &modelDir{files: dir.files}
			c := newClassifier(t, classify.Options{MaxModelBytes: tc.bound})
			for _, key := range []string{"a@1", "b@1", "a@1"} {
				if _, err := c.Classify(context.Background(), key, d.loader(), img); err != nil {
					t.Fatal(err)
				}
			}
			if got := d.Loads(); got != tc.wantLoads {
				t.Fatalf("loads = %d, want %d", got, tc.wantLoads)
			}
			st := c.Stats()
			if st.Bytes > tc.bound || st.Evictions != tc.wantEvictions {
				t.Fatalf("stats %+v over bound %d or wrong evictions", st, tc.bound)
			}
		})
	}
}

func TestConcurrency(t *testing.T) {
	dir := colourModel(t)
	c := newClassifier(t, classify.Options{MaxConcurrent: 1})
	red := encodePNG(t, solid(64, 64, color.NRGBA{250, 10, 10, 255}))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			preds, err := c.Classify(context.Background(), "same", dir.loader(), [][]byte{red, red})
			if err == nil && preds[1].Label != "red" {
				err = errors.New("wrong label " + preds[1].Label)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if dir.Loads() != 1 || st.Loads != 1 {
		t.Fatalf("model loaded %d times (stats %+v), want once", dir.Loads(), st)
	}
	if st.PeakRunning != 1 || st.Running != 0 {
		t.Fatalf("stats %+v: peak running should be the bound 1", st)
	}
}

func TestCancelledWhileWaiting(t *testing.T) {
	dir := colourModel(t)
	c := newClassifier(t, classify.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	img := [][]byte{encodePNG(t, solid(20, 20, color.White))}
	if _, err := c.Classify(ctx, "k", dir.loader(), img); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := c.Classify(context.Background(), "k", dir.loader(), img); err != nil {
		t.Fatal(err)
	}
}
