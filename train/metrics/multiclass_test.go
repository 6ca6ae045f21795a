package metrics

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rows gives the predicted class 0.6 and the others an equal share.
func rows(k int, preds []int) [][]float64 {
	out := make([][]float64, len(preds))
	for i, p := range preds {
		out[i] = make([]float64, k)
		for j := range out[i] {
			out[i][j] = 0.4 / float64(k-1)
		}
		out[i][p] = 0.6
	}
	return out
}

func TestEvaluateMulticlassFixed(t *testing.T) {
	labels := []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 0}
	preds := []int{0, 0, 1, 1, 0, 2, 2, 0, 2, 0}
	// Confusion [[3 1 0] [1 1 0] [1 0 3]]:
	// class 0: P 3/5 R 3/4 F1 6/9; class 1: P 1/2 R 1/2 F1 1/2; class 2: P 1 R 3/4 F1 6/7.
	for _, k := range []int{3, 4} { // a 4th class absent from labels and predictions is left out of macro
		got, err := EvaluateMulticlass(rows(k, preds), labels)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{3, 1, 0}, got.Confusion[0][:3]); diff != "" {
			t.Fatalf("row 0 (-want +got):\n%s", diff)
		}
		if len(got.Confusion) != k {
			t.Fatalf("confusion has %d rows, want %d", len(got.Confusion), k)
		}
		f0, f2 := 6.0/9, 6.0/7
		want := map[string]float64{
			KeyLoss:              -(7*math.Log(0.6) + 3*math.Log(0.4/float64(k-1))) / 10,
			KeyAccuracy:          0.7,
			KeyPrecisionMacro:    (0.6 + 0.5 + 1) / 3,
			KeyRecallMacro:       (0.75 + 0.5 + 0.75) / 3,
			KeyF1Macro:           (f0 + 0.5 + f2) / 3,
			KeyPrecisionWeighted: (4*0.6 + 2*0.5 + 4*1) / 10,
			KeyRecallWeighted:    0.7,
			KeyF1Weighted:        (4*f0 + 2*0.5 + 4*f2) / 10,
			KeyPrecisionMicro:    0.7,
			KeyRecallMicro:       0.7,
			KeyF1Micro:           0.7,
		}
		if diff := cmp.Diff(want, got.Map(), cmp.Comparer(near)); diff != "" {
			t.Fatalf("k=%d (-want +got):\n%s", k, diff)
		}
	}
}

func TestMulticlassZeroDivision(t *testing.T) {
	// Class 1 is never predicted: its precision is 0 (zero_division=0).
	got, err := EvaluateMulticlass(rows(2, []int{0, 0, 0}), []int{0, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	want := []ClassStats{
		{Precision: 2.0 / 3, Recall: 1, F1: 0.8, Support: 2, Predicted: 3},
		{Precision: 0, Recall: 0, F1: 0, Support: 1, Predicted: 0},
	}
	if diff := cmp.Diff(want, got.PerClass, cmp.Comparer(near)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if !near(got.Precision.Macro, 1.0/3) || !near(got.F1.Weighted, 0.8*2/3) {
		t.Fatalf("macro P %v weighted F1 %v", got.Precision.Macro, got.F1.Weighted)
	}
}

func TestMulticlassErrors(t *testing.T) {
	cases := []struct {
		name   string
		probs  [][]float64
		labels []int
	}{
		{"empty", nil, nil},
		{"length mismatch", [][]float64{{0.5, 0.5}}, []int{0, 1}},
		{"one column", [][]float64{{1}}, []int{0}},
		{"ragged", [][]float64{{0.5, 0.5}, {1}}, []int{0, 0}},
		{"label out of range", [][]float64{{0.5, 0.5}}, []int{2}},
	}
	for _, c := range cases {
		if _, err := EvaluateMulticlass(c.probs, c.labels); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
