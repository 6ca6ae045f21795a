package heads

import (
	"math"
	"testing"
)

// TestFoldedLinear checks that the folded Gemm on raw features reproduces
// the logits of the standardised model (what the ONNX export relies on).
func TestFoldedLinear(t *testing.T) {
	b := newBlobs(32, 8, 3, 4)
	train, val := b.sample(1, 150), b.sample(2, 60)
	m, err := LogRegOptions{}.FitLogReg(train, val)
	if err != nil {
		t.Fatal(err)
	}
	w, bias := m.Folded()
	if len(w) != 3 || len(w[0]) != 32 || len(bias) != 3 {
		t.Fatalf("folded shapes %dx%d, %d", len(w), len(w[0]), len(bias))
	}
	want := m.Logits(val.X)
	for i, x := range val.X {
		for k := range w {
			got := float64(bias[k])
			for j, v := range x {
				got += float64(w[k][j]) * float64(v)
			}
			if math.Abs(got-want[i][k]) > 1e-3*math.Max(1, math.Abs(want[i][k])) {
				t.Fatalf("row %d class %d: folded %v, model %v", i, k, got, want[i][k])
			}
		}
	}
}

func TestFoldedMLP(t *testing.T) {
	b := newBlobs(32, 8, 2, 4)
	train, val := b.sample(1, 150), b.sample(2, 60)
	m, err := MLPOptions{Seed: 3, Hidden: 16}.FitMLP(train, val)
	if err != nil {
		t.Fatal(err)
	}
	w1, b1, w2, b2 := m.Folded()
	if len(w1) != 16 || len(w1[0]) != 32 || len(b1) != 16 || len(w2) != 2 || len(w2[0]) != 16 || len(b2) != 2 {
		t.Fatalf("folded shapes W1 %dx%d W2 %dx%d", len(w1), len(w1[0]), len(w2), len(w2[0]))
	}
	want := m.Logits(val.X)
	for i, x := range val.X {
		h := make([]float64, len(w1))
		for k := range w1 {
			h[k] = float64(b1[k])
			for j, v := range x {
				h[k] += float64(w1[k][j]) * float64(v)
			}
			h[k] = math.Max(h[k], 0)
		}
		for c := range w2 {
			got := float64(b2[c])
			for k, v := range h {
				got += float64(w2[c][k]) * v
			}
			if math.Abs(got-want[i][c]) > 1e-3*math.Max(1, math.Abs(want[i][c])) {
				t.Fatalf("row %d class %d: folded %v, model %v", i, c, got, want[i][c])
			}
		}
	}
}

// TestGBDTStructure checks the explicit trees: valid child links, leaves
// reached by every path, thresholds taken from feature values, one output
// per class (one for binary), and Raw = Base + sum of leaf values.
func TestGBDTStructure(t *testing.T) {
	for _, classes := range []int{2, 3} {
		b := newBlobs(10, 5, classes, 3)
		train, val := b.sample(1, 200), b.sample(2, 80)
		m, err := GBDTOptions{Seed: 1, NEstimators: 40, MaxDepth: 2}.FitGBDT(train, val)
		if err != nil {
			t.Fatal(err)
		}
		wantOut := classes
		if classes == 2 {
			wantOut = 1
		}
		if m.Outputs() != wantOut || len(m.Trees) == 0 || len(m.Trees) > m.Rounds {
			t.Fatalf("outputs %d rounds %d kept %d", m.Outputs(), m.Rounds, len(m.Trees))
		}
		for r, round := range m.Trees {
			if len(round) != wantOut {
				t.Fatalf("round %d has %d trees", r, len(round))
			}
			for _, tr := range round {
				checkTree(t, tr, train.X, 2)
			}
		}
		raw := m.Raw(val.X[:1])[0]
		for k := range raw {
			sum := m.Base[k]
			for _, round := range m.Trees {
				sum += round[k].Eval(val.X[0])
			}
			if math.Abs(sum-raw[k]) > 1e-12 {
				t.Fatalf("raw %v != base + leaves %v", raw[k], sum)
			}
		}
		logits := m.Logits(val.X[:1])[0]
		if len(logits) != classes {
			t.Fatalf("logits %v for %d classes", logits, classes)
		}
	}
}

func checkTree(t *testing.T, tr Tree, x [][]float32, maxDepth int) {
	t.Helper()
	var walk func(i, depth int)
	seen := make([]bool, len(tr.Nodes))
	walk = func(i, depth int) {
		if i <= 0 && depth > 0 || i >= len(tr.Nodes) || seen[i] {
			t.Fatalf("bad node link %d", i)
		}
		seen[i] = true
		n := tr.Nodes[i]
		if n.IsLeaf() {
			return
		}
		if depth >= maxDepth {
			t.Fatalf("split below max depth %d", maxDepth)
		}
		found := false
		for _, row := range x {
			found = found || row[n.Feature] == n.Threshold
		}
		if !found {
			t.Fatalf("threshold %v of feature %d is not a training value", n.Threshold, n.Feature)
		}
		walk(n.Left, depth+1)
		walk(n.Right, depth+1)
	}
	walk(0, 0)
	for i, s := range seen {
		if !s {
			t.Fatalf("node %d unreachable", i)
		}
	}
}

func TestQuantileEdges(t *testing.T) {
	cases := []struct {
		col  []float32
		bins int
		want []float32
	}{
		{[]float32{3, 1, 2, 2}, 8, []float32{1, 2}},
		{[]float32{5, 5, 5}, 8, []float32{}},
		{[]float32{1, 2, 3, 4, 5, 6, 7, 8}, 4, []float32{2, 4, 6}},
	}
	for _, c := range cases {
		got := quantileEdges(c.col, c.bins)
		if len(got) != len(c.want) {
			t.Fatalf("edges(%v, %d) = %v, want %v", c.col, c.bins, got, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("edges(%v, %d) = %v, want %v", c.col, c.bins, got, c.want)
			}
		}
	}
}
