package onnxgraph_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"quarry/internal/mltest"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
	"quarry/train/heads"
)

// flatBackbone maps pixel_values [N,3,2,2] to features [N,12] (Flatten), so
// the features of an input are the input itself.
func flatBackbone(t *testing.T) []byte {
	t.Helper()
	m := onnxgraph.NewModel("flat", "test")
	g := m.Graph
	g.Inputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue(onnxgraph.PixelValues, onnxgraph.Float,
		onnxgraph.Symbolic("batch_size"), onnxgraph.Fixed(3), onnxgraph.Fixed(2), onnxgraph.Fixed(2))}
	g.AddNode("Flatten", "flat", []string{onnxgraph.PixelValues}, []string{"features"}, onnxgraph.IntAttr("axis", 1))
	g.Outputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue("features", onnxgraph.Float,
		onnxgraph.Symbolic("batch_size"), onnxgraph.Fixed(12))}
	b, err := onnxgraph.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// blobs draws n labelled 12-d points around class centres.
func blobs(seed uint64, n, classes int) heads.Dataset {
	r := rand.New(rand.NewPCG(seed, 99))
	centres := make([][]float64, classes)
	for c := range centres {
		centres[c] = make([]float64, 12)
		for j := range centres[c] {
			centres[c][j] = float64((c*5+j)%7) / 3
		}
	}
	d := heads.Dataset{Classes: classes}
	for i := 0; i < n; i++ {
		c := i % classes
		x := make([]float32, 12)
		for j := range x {
			x[j] = float32(centres[c][j] + r.NormFloat64()*0.8)
		}
		d.X, d.Y = append(d.X, x), append(d.Y, c)
	}
	return d
}

// treeEnsemble converts a heads.GBDT to the onnxgraph form.
func treeEnsemble(m *heads.GBDT) onnxgraph.TreeEnsemble {
	e := onnxgraph.TreeEnsemble{Base: m.Base}
	for _, round := range m.Trees {
		for k, tr := range round {
			nodes := make([]onnxgraph.TreeNode, len(tr.Nodes))
			for i, n := range tr.Nodes {
				nodes[i] = onnxgraph.TreeNode{Feature: n.Feature, Threshold: n.Threshold, Left: n.Left, Right: n.Right, Value: n.Value}
			}
			e.Trees = append(e.Trees, onnxgraph.Tree{Target: k, Nodes: nodes})
		}
	}
	return e
}

// TestHeadsRunInORT trains real MLP and GBDT heads (binary and 3-class),
// appends them, and checks in ONNX Runtime that the graph's logits equal
// the heads' Logits within 1e-4.
func TestHeadsRunInORT(t *testing.T) {
	rt, err := onnxrt.Open(mltest.ORTLibrary(t), onnxrt.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	backbone := flatBackbone(t)
	for _, classes := range []int{2, 3} {
		train, val := blobs(1, 120, classes), blobs(2, 60, classes)
		labels := []string{"a", "b", "c"}[:classes]
		mlp, err := heads.MLPOptions{Hidden: 16, Seed: 3, MaxEpochs: 30}.FitMLP(train, val)
		if err != nil {
			t.Fatal(err)
		}
		gbdt, err := heads.GBDTOptions{Seed: 3, NEstimators: 40}.FitGBDT(train, val)
		if err != nil {
			t.Fatal(err)
		}
		if len(gbdt.Trees) == 0 {
			t.Fatal("GBDT kept no trees: the test would not exercise them")
		}
		w1, b1, w2, b2 := mlp.Folded()
		mlpModel, err := onnxgraph.AppendMLPHead(backbone, "features", w1, b1, w2, b2, labels)
		if err != nil {
			t.Fatal(err)
		}
		treeModel, err := onnxgraph.AppendTreeHead(backbone, "features", treeEnsemble(gbdt), labels)
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			model []byte
			head  heads.Model
		}{"mlp": {mlpModel, mlp}, "gbdt": {treeModel, gbdt}} {
			t.Run(fmt.Sprintf("%s/%d", name, classes), func(t *testing.T) {
				compareLogits(t, rt, c.model, c.head, val.X, classes)
			})
		}
	}
}

func compareLogits(t *testing.T, rt *onnxrt.Runtime, model []byte, h heads.Model, x [][]float32, classes int) {
	t.Helper()
	s, err := rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{onnxgraph.Logits})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var flat []float32
	for _, row := range x {
		flat = append(flat, row...)
	}
	got, shape, err := s.Run(flat, []int64{int64(len(x)), 3, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if shape[0] != int64(len(x)) || shape[1] != int64(classes) {
		t.Fatalf("logits shape %v", shape)
	}
	want := h.Logits(x)
	maxDiff := 0.0
	for i := range want {
		for k := range want[i] {
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[i*classes+k])-want[i][k]))
		}
	}
	t.Logf("max |ORT logits - head logits| = %.2g over %d rows", maxDiff, len(x))
	if maxDiff > 1e-4 {
		t.Fatalf("logits differ by %v", maxDiff)
	}
}

func TestAppendTreeHeadEmptyAndBinaryLayout(t *testing.T) {
	rt, err := onnxrt.Open(mltest.ORTLibrary(t), onnxrt.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	backbone := flatBackbone(t)
	// A hand-made stump: feature 5 <= 0.5 gives -1, else +2; base 0.25.
	stump := onnxgraph.TreeEnsemble{Base: []float64{0.25}, Trees: []onnxgraph.Tree{{Nodes: []onnxgraph.TreeNode{
		{Feature: 5, Threshold: 0.5, Left: 1, Right: 2}, {Feature: -1, Value: -1}, {Feature: -1, Value: 2}}}}}
	for name, tc := range map[string]struct {
		e    onnxgraph.TreeEnsemble
		lo   float32 // logit of class 1 when x[5] = 0.5 (goes left: <=)
		high float32 // when x[5] = 0.6
	}{
		"stump":    {stump, -0.75, 2.25},
		"no trees": {onnxgraph.TreeEnsemble{Base: []float64{-0.5}}, -0.5, -0.5},
	} {
		t.Run(name, func(t *testing.T) {
			model, err := onnxgraph.AppendTreeHead(backbone, "features", tc.e, []string{"neg", "pos"})
			if err != nil {
				t.Fatal(err)
			}
			s, err := rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{onnxgraph.Logits})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			x := make([]float32, 24)
			x[5], x[12+5] = 0.5, 0.6
			got, _, err := s.Run(x, []int64{2, 3, 2, 2})
			if err != nil {
				t.Fatal(err)
			}
			want := []float32{0, tc.lo, 0, tc.high}
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-6 {
					t.Fatalf("logits %v, want %v", got, want)
				}
			}
		})
	}
}

func TestAppendHeadsValidation(t *testing.T) {
	backbone := flatBackbone(t)
	w1 := [][]float32{make([]float32, 12), make([]float32, 12)}
	w2 := [][]float32{{1, 2}, {3, 4}}
	leaf := []onnxgraph.TreeNode{{Feature: -1}}
	for _, tc := range []struct {
		name string
		fn   func() ([]byte, error)
		want string
	}{
		{"mlp hidden mismatch", func() ([]byte, error) {
			return onnxgraph.AppendMLPHead(backbone, "features", w1, []float32{0, 0}, [][]float32{{1, 2, 3}, {4, 5, 6}}, []float32{0, 0}, []string{"a", "b"})
		}, "output layer reads 3 values, hidden layer has 2"},
		{"mlp feature dim", func() ([]byte, error) {
			return onnxgraph.AppendMLPHead(backbone, "features", [][]float32{{1}, {2}}, []float32{0, 0}, w2, []float32{0, 0}, []string{"a", "b"})
		}, "head expects 1"},
		{"mlp labels", func() ([]byte, error) {
			return onnxgraph.AppendMLPHead(backbone, "features", w1, []float32{0, 0}, w2, []float32{0, 0}, []string{"a"})
		}, "2 weight rows, 2 biases, 1 labels"},
		{"trees target count", func() ([]byte, error) {
			return onnxgraph.AppendTreeHead(backbone, "features", onnxgraph.TreeEnsemble{Base: []float64{0, 0}}, []string{"a", "b", "c"})
		}, "2 targets for 3 labels"},
		{"trees feature out of range", func() ([]byte, error) {
			e := onnxgraph.TreeEnsemble{Base: []float64{0}, Trees: []onnxgraph.Tree{{Nodes: []onnxgraph.TreeNode{
				{Feature: 12, Left: 1, Right: 2}, leaf[0], leaf[0]}}}}
			return onnxgraph.AppendTreeHead(backbone, "features", e, []string{"a", "b"})
		}, "head reads feature 12"},
		{"trees cycle", func() ([]byte, error) {
			e := onnxgraph.TreeEnsemble{Base: []float64{0}, Trees: []onnxgraph.Tree{{Nodes: []onnxgraph.TreeNode{
				{Feature: 1, Left: 0, Right: 1}}}}}
			return onnxgraph.AppendTreeHead(backbone, "features", e, []string{"a", "b"})
		}, "children 0 and 1"},
		{"trees bad target", func() ([]byte, error) {
			e := onnxgraph.TreeEnsemble{Base: []float64{0}, Trees: []onnxgraph.Tree{{Target: 1, Nodes: leaf}}}
			return onnxgraph.AppendTreeHead(backbone, "features", e, []string{"a", "b"})
		}, "adds to target 1 of 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.fn()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
