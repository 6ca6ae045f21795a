package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixed binary predictions used across tests (hand-checked below).
var (
	fixScores = []float64{0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2}
	fixPos    = []bool{true, true, false, true, false, false, true, false}
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestEvaluateBinaryFixed(t *testing.T) {
	got, err := EvaluateBinary(fixScores, fixPos, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// Predicted positive: 0.9 0.8 0.7 0.6 0.55 -> TP 3 (0.9 0.8 0.6), FP 2;
	// negatives 0.4 0.3 0.2 -> FN 1 (0.3), TN 2.
	if diff := cmp.Diff(Confusion2{TN: 2, FP: 2, FN: 1, TP: 3}, got.Confusion); diff != "" {
		t.Fatalf("confusion (-want +got):\n%s", diff)
	}
	wantLoss := -(math.Log(0.9) + math.Log(0.8) + math.Log(0.3) + math.Log(0.6) +
		math.Log(0.45) + math.Log(0.6) + math.Log(0.3) + math.Log(0.8)) / 8
	cases := []struct {
		name      string
		got, want float64
	}{
		{"loss", got.Loss, wantLoss},
		{"accuracy", got.Accuracy, 5.0 / 8},
		{"precision", got.Precision, 3.0 / 5},
		{"recall", got.Recall, 3.0 / 4},
		{"f1", got.F1, 2 * 0.6 * 0.75 / (0.6 + 0.75)},
		// Positive > negative pairs: 4 + 4 + 3 + 1 = 12 of 16.
		{"auc", got.AUC, 12.0 / 16},
	}
	for _, c := range cases {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !near(TrapezoidArea(got.ROC), got.AUC) {
		t.Errorf("trapezoid area %v != rank AUC %v", TrapezoidArea(got.ROC), got.AUC)
	}
	if diff := cmp.Diff([][]int{{2, 2}, {1, 3}}, got.Confusion.Matrix()); diff != "" {
		t.Errorf("matrix (-want +got):\n%s", diff)
	}
}

func TestROCAUCTies(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		pos    []bool
		want   float64
	}{
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []bool{true, false, true, false}, 0.5},
		// pos 0.8 beats 3 negatives; pos 0.6 ties two 0.6 (2 x 1/2) and beats 0.2.
		{"partial ties", []float64{0.8, 0.6, 0.6, 0.6, 0.2}, []bool{true, true, false, false, false}, 5.0 / 6},
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"inverted", []float64{0.1, 0.2, 0.8, 0.9}, []bool{true, true, false, false}, 0},
		{"one class", []float64{0.1, 0.9}, []bool{true, true}, math.NaN()},
		{"no positives", []float64{0.1, 0.9}, []bool{false, false}, math.NaN()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ROCAUC(c.scores, c.pos)
			if math.IsNaN(c.want) {
				if !math.IsNaN(got) || ROCCurve(c.scores, c.pos) != nil {
					t.Fatalf("AUC = %v, curve %v; want NaN and nil", got, ROCCurve(c.scores, c.pos))
				}
				return
			}
			if !near(got, c.want) {
				t.Fatalf("AUC = %v, want %v", got, c.want)
			}
			if a := TrapezoidArea(ROCCurve(c.scores, c.pos)); !near(a, c.want) {
				t.Fatalf("trapezoid = %v, want %v", a, c.want)
			}
		})
	}
}

func TestROCCurvePoints(t *testing.T) {
	got := ROCCurve([]float64{0.8, 0.6, 0.6, 0.6, 0.2}, []bool{true, true, false, false, false})
	want := []ROCPoint{
		{Threshold: math.Inf(1), FPR: 0, TPR: 0},
		{Threshold: 0.8, FPR: 0, TPR: 0.5},
		{Threshold: 0.6, FPR: 2.0 / 3, TPR: 1},
		{Threshold: 0.2, FPR: 1, TPR: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("curve (-want +got):\n%s", diff)
	}
}

func TestDegenerateBinary(t *testing.T) {
	t.Run("one class: AUC NaN, left out of Map", func(t *testing.T) {
		b, err := EvaluateBinary([]float64{0.2, 0.7}, []bool{true, true}, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		if !math.IsNaN(b.AUC) || b.ROC != nil {
			t.Fatalf("AUC %v ROC %v, want NaN and nil", b.AUC, b.ROC)
		}
		m := b.Map()
		if _, ok := m[KeyAUC]; ok || len(m) != 5 {
			t.Fatalf("map %v, want 5 keys without auc", m)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("map does not encode: %v", err)
		}
	})
	t.Run("no predicted positives: precision 0 (zero_division=0)", func(t *testing.T) {
		b, err := EvaluateBinary(fixScores, fixPos, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if b.Precision != 0 || b.Recall != 0 || b.F1 != 0 || b.Accuracy != 0.5 {
			t.Fatalf("got P %v R %v F1 %v acc %v, want 0 0 0 0.5", b.Precision, b.Recall, b.F1, b.Accuracy)
		}
	})
	t.Run("certain wrong predictions are clipped", func(t *testing.T) {
		if got, want := LogLoss([]float64{0}, []bool{true}), -math.Log(Eps); !near(got, want) {
			t.Fatalf("loss %v, want %v", got, want)
		}
		// 1-(1-Eps) is not exactly Eps in floating point: allow 1e-3.
		if got, want := LogLoss([]float64{1}, []bool{false}), -math.Log(Eps); math.Abs(got-want) > 1e-3 {
			t.Fatalf("loss %v, want %v", got, want)
		}
	})
}

func TestBinaryErrors(t *testing.T) {
	if _, err := EvaluateBinary(nil, nil, 0.5); err != ErrEmpty {
		t.Fatalf("empty: %v", err)
	}
	if _, err := EvaluateBinary([]float64{0.1}, []bool{true, false}, 0.5); err == nil {
		t.Fatal("length mismatch accepted")
	}
	if _, err := EvaluateBinary([]float64{math.NaN()}, []bool{true}, 0.5); err == nil {
		t.Fatal("NaN score accepted")
	}
	if _, err := EvaluateProbs([][]float64{{0.5, 0.5}}, []int{0}, 2, 0.5); err == nil {
		t.Fatal("positive column out of range accepted")
	}
}

func TestEvaluateProbsMatchesScores(t *testing.T) {
	// Positive class in column 0 (e.g. "mine" sorting before "no_mine").
	probs := make([][]float64, len(fixScores))
	labels := make([]int, len(fixScores))
	for i, s := range fixScores {
		probs[i] = []float64{s, 1 - s}
		if !fixPos[i] {
			labels[i] = 1
		}
	}
	got, err := EvaluateProbs(probs, labels, 0, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := EvaluateBinary(fixScores, fixPos, 0.5)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestThresholdForRecall(t *testing.T) {
	// Descending: 0.9 (tp1) 0.8 (tp2) 0.7 (fp1) 0.6 (tp3) 0.55 (fp2) 0.4 (fp3) 0.3 (tp4) 0.2 (fp4).
	cases := []struct {
		target float64
		want   ThresholdChoice
	}{
		{0, ThresholdChoice{Threshold: 0.9, Precision: 1, Recall: 0.25}},
		{0.5, ThresholdChoice{Threshold: 0.8, Precision: 1, Recall: 0.5}},
		{0.75, ThresholdChoice{Threshold: 0.6, Precision: 0.75, Recall: 0.75}},
		{0.8, ThresholdChoice{Threshold: 0.3, Precision: 4.0 / 7, Recall: 1}},
		{1, ThresholdChoice{Threshold: 0.3, Precision: 4.0 / 7, Recall: 1}},
	}
	for _, c := range cases {
		got, err := ThresholdForRecall(fixScores, fixPos, c.target)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("target %v (-want +got):\n%s", c.target, diff)
		}
		// The reported figures are those of EvaluateBinary at that threshold.
		b, _ := EvaluateBinary(fixScores, fixPos, got.Threshold)
		if b.Precision != got.Precision || b.Recall != got.Recall {
			t.Errorf("target %v: evaluate gives P %v R %v", c.target, b.Precision, b.Recall)
		}
	}
	if _, err := ThresholdForRecall([]float64{0.3}, []bool{false}, 0.9); err != ErrNoPositives {
		t.Fatalf("no positives: %v", err)
	}
	if _, err := ThresholdForRecall(fixScores, fixPos, 1.5); err == nil {
		t.Fatal("target 1.5 accepted")
	}
}
