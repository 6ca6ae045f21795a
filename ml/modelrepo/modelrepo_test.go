package modelrepo_test

import (
	"encoding/json"
	"errors"
	"image"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/internal/mltest"
	"quarry/ml/imageproc"
	"quarry/ml/modelrepo"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
	"quarry/modelcards"
)

// tinyPreprocessor is a valid transformers.js preprocessor for 4x4 inputs.
const tinyPreprocessor = `{"image_processor_type": "MobileNetV2ImageProcessor", "do_resize": true,
 "size": {"height": 4, "width": 4}, "do_rescale": true, "rescale_factor": 0.00392156862745098,
 "do_normalize": true, "image_mean": [0, 0, 0], "image_std": [1, 1, 1]}`

// writeBackbone writes a model directory whose graph maps pixel_values
// [N,3,4,4] to features [N,3] (channel means).
func writeBackbone(t *testing.T, config, preprocessor string) string {
	t.Helper()
	m := onnxgraph.NewModel("tiny", "test")
	g := m.Graph
	g.Inputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue(onnxgraph.PixelValues, onnxgraph.Float,
		onnxgraph.Symbolic("batch_size"), onnxgraph.Fixed(3), onnxgraph.Fixed(4), onnxgraph.Fixed(4))}
	g.AddNode("GlobalAveragePool", "pool", []string{onnxgraph.PixelValues}, []string{"pooled"})
	g.AddNode("Flatten", "flat", []string{"pooled"}, []string{"features"}, onnxgraph.IntAttr("axis", 1))
	g.Outputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue("features", onnxgraph.Float,
		onnxgraph.Symbolic("batch_size"), onnxgraph.Fixed(3))}
	model, err := onnxgraph.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"config.json": []byte(config),
		"preprocessor_config.json": []byte(preprocessor), "onnx/model.onnx": model} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const tinyConfig = `{"model_type": "mobilenet_v2", "architectures": ["MobileNetV2Model"], "image_size": 4,
 "quarry": {"feature_output": "features", "feature_dim": 3}}`

var (
	tinyW = [][]float32{{1, -1, 0.5}, {0, 2, -0.25}}
	tinyB = []float32{0.1, -0.2}
)

func TestBuildFiles(t *testing.T) {
	dir := writeBackbone(t, tinyConfig, tinyPreprocessor)
	files, err := modelrepo.Build(dir, tinyW, tinyB, []string{"mine", "no_mine"}, modelrepo.Options{
		ModelID: "alice/mines", BaseModel: "quarry/tiny", License: "apache-2.0",
		Datasets: []string{"alice/tiles"}, PositiveLabel: "mine", Threshold: 0.7,
	})
	if err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(maps.Keys(files))
	if diff := cmp.Diff([]string{"README.md", "config.json", "onnx/model.onnx", "preprocessor_config.json"}, names); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	var cfg struct {
		ModelType     string            `json:"model_type"`
		Architectures []string          `json:"architectures"`
		NumLabels     int               `json:"num_labels"`
		ID2Label      map[string]string `json:"id2label"`
		Label2ID      map[string]int    `json:"label2id"`
		ImageSize     int               `json:"image_size"`
		Quarry        map[string]any    `json:"quarry"`
	}
	if err := json.Unmarshal(files["config.json"], &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ModelType != "mobilenet_v2" || cfg.NumLabels != 2 || cfg.ImageSize != 4 ||
		!cmp.Equal(cfg.Architectures, []string{"MobileNetV2ForImageClassification"}) {
		t.Fatalf("config %+v", cfg)
	}
	if diff := cmp.Diff(map[string]string{"0": "mine", "1": "no_mine"}, cfg.ID2Label); diff != "" {
		t.Fatalf("id2label (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"mine": 0, "no_mine": 1}, cfg.Label2ID); diff != "" {
		t.Fatalf("label2id (-want +got):\n%s", diff)
	}
	if cfg.Quarry["positive_label"] != "mine" || cfg.Quarry["threshold"] != 0.7 || cfg.Quarry["base_model"] != "quarry/tiny" {
		t.Fatalf("quarry section %v", cfg.Quarry)
	}
	if got, want := string(files["preprocessor_config.json"]), tinyPreprocessor; got != want {
		t.Fatalf("preprocessor changed:\n%s", got)
	}
	checkGraph(t, files["onnx/model.onnx"], 2)
	checkClassifierCard(t, files["README.md"])
}

// checkGraph checks the interface transformers.js needs: pixel_values NCHW
// with a symbolic batch in, logits [batch, n] first out, no Softmax.
func checkGraph(t *testing.T, model []byte, n int64) {
	t.Helper()
	m, err := onnxgraph.Decode(model)
	if err != nil {
		t.Fatal(err)
	}
	in := m.Graph.Input(onnxgraph.PixelValues)
	if in == nil || len(in.Shape) != 4 || in.Shape[0].Param == "" || in.Shape[1].Value != 3 {
		t.Fatalf("input %+v", in)
	}
	out := m.Graph.Outputs[0]
	if out.Name != "logits" || len(out.Shape) != 2 || out.Shape[0].Param == "" || out.Shape[1].Value != n {
		t.Fatalf("first output %+v", out)
	}
	for _, node := range m.Graph.Nodes {
		if node.OpType == "Softmax" {
			t.Fatalf("graph has a Softmax node %q: logits must be raw scores", node.Name)
		}
	}
}

func checkClassifierCard(t *testing.T, readme []byte) {
	t.Helper()
	warnings, err := modelcards.Validate(readme, "model")
	if err != nil || len(warnings) > 0 {
		t.Fatalf("card: %v %v\n%s", err, warnings, readme)
	}
	card, err := modelcards.Parse(readme)
	if err != nil {
		t.Fatal(err)
	}
	if card.PipelineTag() != "image-classification" || card.License() != "apache-2.0" ||
		card.LibraryName() != "transformers.js" || !cmp.Equal(card.BaseModels(), []string{"quarry/tiny"}) ||
		!cmp.Equal(card.Datasets(), []string{"alice/tiles"}) {
		t.Fatalf("card data %v", card.Data)
	}
	for _, want := range []string{"# alice/mines", "| 0 | mine |", "| 1 | no_mine |", "pipeline('image-classification', 'alice/mines'"} {
		if !strings.Contains(card.Body, want) {
			t.Fatalf("card body lacks %q:\n%s", want, card.Body)
		}
	}
}

func TestBuildCardData(t *testing.T) {
	dir := writeBackbone(t, tinyConfig, tinyPreprocessor)
	files, err := modelrepo.Build(dir, tinyW, tinyB, []string{"a", "b"}, modelrepo.Options{
		CardData: map[string]any{"tags": []any{"custom"}, "library_name": nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	card, err := modelcards.Parse(files["README.md"])
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(card.Tags(), []string{"custom"}) || card.LibraryName() != "" || card.License() != "other" {
		t.Fatalf("card data %v", card.Data)
	}
	if w, err := modelcards.Validate(files["README.md"], "model"); err != nil || len(w) > 0 {
		t.Fatalf("card: %v %v", err, w)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name, config, pre string
		labels            []string
		W                 [][]float32
		want              string
	}{
		{"duplicate label", tinyConfig, tinyPreprocessor, []string{"a", "a"}, tinyW, `label "a" appears twice`},
		{"empty label", tinyConfig, tinyPreprocessor, []string{"a", ""}, tinyW, "label 1 is empty"},
		{"no labels", tinyConfig, tinyPreprocessor, nil, nil, "no labels"},
		{"unknown model_type", `{"model_type": "quarry_net"}`, tinyPreprocessor, []string{"a", "b"}, tinyW, `model_type "quarry_net"`},
		{"do_normalize omitted", tinyConfig, `{"image_processor_type": "ViTImageProcessor", "size": {"height": 4, "width": 4}, "image_mean": [0.5,0.5,0.5], "image_std": [0.5,0.5,0.5]}`,
			[]string{"a", "b"}, tinyW, "do_normalize must be written explicitly"},
		{"integer size", tinyConfig, `{"image_processor_type": "ViTImageProcessor", "size": 4, "do_normalize": false}`,
			[]string{"a", "b"}, tinyW, `size must be {"height": H, "width": W}`},
		{"no processor type", tinyConfig, `{"size": {"height": 4, "width": 4}, "do_normalize": false}`,
			[]string{"a", "b"}, tinyW, "no image_processor_type"},
		{"wrong feature dim", tinyConfig, tinyPreprocessor, []string{"a"}, [][]float32{{1, 2}}, "head expects 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeBackbone(t, tc.config, tc.pre)
			b := make([]float32, len(tc.W))
			_, err := modelrepo.Build(dir, tc.W, b, tc.labels, modelrepo.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	_, err := modelrepo.Build(t.TempDir(), tinyW, tinyB, []string{"a", "b"}, modelrepo.Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing backbone: err = %v", err)
	}
}

// TestBuildRunsOnBackbone appends a random head to the converted MobileNetV2
// backbone and checks in ONNX Runtime that logits = W·f + b, f being the
// backbone's own features for the same preprocessed photos.
func TestBuildRunsOnBackbone(t *testing.T) {
	dir := mltest.BackboneDir(t)
	rt, err := onnxrt.Open(mltest.ORTLibrary(t), onnxrt.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	const k, dim = 3, 1792
	r := rand.New(rand.NewPCG(7, 11))
	W := make([][]float32, k)
	for i := range W {
		W[i] = make([]float32, dim)
		for j := range W[i] {
			W[i][j] = float32(r.NormFloat64() * 0.05)
		}
	}
	b := []float32{0.3, -0.1, 0.05}
	files, err := modelrepo.Build(dir, W, b, []string{"x", "y", "z"}, modelrepo.Options{BaseModel: "quarry/mobilenet-v2-140-224"})
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, files["onnx/model.onnx"], k)
	x, shape := photoBatch(t, files["preprocessor_config.json"])
	logits := run(t, rt, files["onnx/model.onnx"], "logits", x, shape)
	backbone, err := os.ReadFile(filepath.Join(dir, "onnx", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	feats := run(t, rt, backbone, "features", x, shape)
	n := int(shape[0])
	if len(logits) != n*k || len(feats) != n*dim {
		t.Fatalf("%d logits, %d features for %d images", len(logits), len(feats), n)
	}
	maxDiff := 0.0
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			want := float64(b[c])
			for j := 0; j < dim; j++ {
				want += float64(W[c][j]) * float64(feats[i*dim+j])
			}
			maxDiff = math.Max(maxDiff, math.Abs(float64(logits[i*k+c])-want))
		}
	}
	t.Logf("max |logits - (W·f+b)| over %d photos: %.2g", n, maxDiff)
	if maxDiff > 1e-4 {
		t.Fatalf("logits differ from W·f+b by %v", maxDiff)
	}
}

// photoBatch preprocesses three darknet photos as the published
// preprocessor_config.json says.
func photoBatch(t *testing.T, pre []byte) ([]float32, []int64) {
	t.Helper()
	cfg, err := imageproc.ParseConfig(pre)
	if err != nil {
		t.Fatal(err)
	}
	var imgs []image.Image
	for _, name := range []string{"dog.jpg", "eagle.jpg", "scream.jpg"} {
		data, err := os.ReadFile(mltest.Photo(t, name))
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
	return x, shape
}

func run(t *testing.T, rt *onnxrt.Runtime, model []byte, output string, x []float32, shape []int64) []float32 {
	t.Helper()
	s, err := rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{output})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, _, err := s.Run(x, shape)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBuildClassifierHeads builds an MLP and a tree head on the tiny
// backbone and checks the graph interface, config.json's quarry.head and
// the card (head summary and extra Body).
func TestBuildClassifierHeads(t *testing.T) {
	dir := writeBackbone(t, tinyConfig, tinyPreprocessor)
	stump := onnxgraph.TreeEnsemble{Base: []float64{0.1}, Trees: []onnxgraph.Tree{{Nodes: []onnxgraph.TreeNode{
		{Feature: 2, Threshold: 0.5, Left: 1, Right: 2}, {Feature: -1, Value: -1}, {Feature: -1, Value: 1}}}}}
	for _, tc := range []struct {
		head      modelrepo.Head
		kind, op  string
		cardWords string
	}{
		{modelrepo.MLPHead([][]float32{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}}, make([]float32, 4), tinyW2x4, tinyB),
			"mlp", "Relu", "small MLP head"},
		{modelrepo.TreeHead(stump), "trees", "TreeEnsembleRegressor", "gradient-boosted tree ensemble"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			if got := tc.head.Kind(); got != tc.kind {
				t.Fatalf("Kind() = %q, want %q", got, tc.kind)
			}
			files, err := modelrepo.BuildClassifier(dir, tc.head, []string{"mine", "no_mine"},
				modelrepo.Options{Body: "## Validation Metrics\nloss: 0.1"})
			if err != nil {
				t.Fatal(err)
			}
			checkGraph(t, files["onnx/model.onnx"], 2)
			m, err := onnxgraph.Decode(files["onnx/model.onnx"])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(m.Graph.Nodes, func(n *onnxgraph.Node) bool { return n.OpType == tc.op }) {
				t.Fatalf("graph has no %s node", tc.op)
			}
			var cfg struct {
				Quarry map[string]any `json:"quarry"`
			}
			if err := json.Unmarshal(files["config.json"], &cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.Quarry["head"] != tc.kind {
				t.Fatalf("quarry.head = %v, want %q", cfg.Quarry["head"], tc.kind)
			}
			card, err := modelcards.Parse(files["README.md"])
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{tc.cardWords, "## Validation Metrics\nloss: 0.1"} {
				if !strings.Contains(card.Body, want) {
					t.Fatalf("card body lacks %q:\n%s", want, card.Body)
				}
			}
		})
	}
	if _, err := modelrepo.BuildClassifier(dir, modelrepo.Head{}, []string{"a", "b"}, modelrepo.Options{}); err == nil {
		t.Fatal("BuildClassifier with a zero Head succeeded")
	}
}

var tinyW2x4 = [][]float32{{1, -1, 0.5, 0}, {0, 2, -0.25, 1}}
