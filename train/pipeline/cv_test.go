package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"quarry/modelcards"
	"quarry/train/dataset"
	"quarry/train/heads"
	"quarry/train/internal/rng"
	"quarry/train/metrics"
	"quarry/train/pipeline"
)

// cvItems returns n items per label, in label then path order.
func cvItems(sizes map[string]int) []pipeline.Item {
	var out []pipeline.Item
	labels := slices.Sorted(mapsKeysInt(sizes))
	for k, l := range labels {
		for i := range sizes[l] {
			out = append(out, pipeline.Item{Path: fmt.Sprintf("%s/%03d.png", l, i), Label: l, Class: k})
		}
	}
	return out
}

func mapsKeysInt(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestStratifiedFoldsOfItems(t *testing.T) {
	cases := []struct {
		name   string
		sizes  map[string]int
		k      int
		wantK  int
		wantEr error
	}{
		{"250+250", map[string]int{"mine": 250, "no_mine": 250}, 5, 5, nil},
		{"uneven", map[string]int{"a": 13, "b": 7, "c": 9}, 5, 5, nil},
		{"k lowered to the smallest class", map[string]int{"a": 13, "b": 3}, 5, 3, nil},
		{"one image of a class", map[string]int{"a": 13, "b": 1}, 5, 0, pipeline.ErrTooFewForFolds},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			items := cvItems(c.sizes)
			fold, err := pipeline.StratifiedFolds(items, c.k, 7)
			if !errors.Is(err, c.wantEr) {
				t.Fatalf("error %v, want %v", err, c.wantEr)
			}
			if err != nil {
				return
			}
			if len(fold) != len(items) {
				t.Fatalf("%d fold numbers for %d items", len(fold), len(items))
			}
			count := map[string][]int{}
			for i, f := range fold {
				if f < 0 || f >= c.wantK {
					t.Fatalf("item %s in fold %d, want 0..%d", items[i].Path, f, c.wantK-1)
				}
				if count[items[i].Label] == nil {
					count[items[i].Label] = make([]int, c.wantK)
				}
				count[items[i].Label][f]++
			}
			for label, per := range count {
				n := c.sizes[label]
				for f, got := range per {
					if got != n/c.wantK && got != (n+c.wantK-1)/c.wantK {
						t.Errorf("class %s (%d images): %d in fold %d", label, n, got, f)
					}
				}
			}
			again, _ := pipeline.StratifiedFolds(items, c.k, 7)
			other, _ := pipeline.StratifiedFolds(items, c.k, 8)
			if !slices.Equal(fold, again) || slices.Equal(fold, other) {
				t.Fatalf("folds not a function of the seed: seed 7 twice equal %v, seeds 7 and 8 equal %v",
					slices.Equal(fold, again), slices.Equal(fold, other))
			}
		})
	}
}

// stepTrainer is a test head whose model predicts class 1 with probability
// sigmoid(4·x[0]) whatever it was fitted on, and which records the row
// ids (x[1]) of every fit and tuning set it is given.
type stepTrainer struct{ calls *[][2][]int }

func (s stepTrainer) Fit(train, val heads.Dataset) (heads.Model, error) {
	ids := func(d heads.Dataset) []int {
		var out []int
		for _, x := range d.X {
			out = append(out, int(x[1]))
		}
		slices.Sort(out)
		return out
	}
	*s.calls = append(*s.calls, [2][]int{ids(train), ids(val)})
	return stepModel{}, nil
}

type stepModel struct{}

func (stepModel) Kind() string    { return "step" }
func (stepModel) NumClasses() int { return 2 }
func (m stepModel) Logits(x [][]float32) [][]float64 {
	out := make([][]float64, len(x))
	for i, row := range x {
		out[i] = []float64{0, 4 * float64(row[0])}
	}
	return out
}
func (m stepModel) Predict(x [][]float32) [][]float64 {
	out := m.Logits(x)
	for i := range out {
		out[i] = heads.Softmax(out[i])
	}
	return out
}

// TestCrossValidateMeanOverFolds cross-validates a head whose predictions
// are known on a fixed feature set with fixed folds: every fold's head
// sees exactly the other folds' images (split into fit and tuning sets),
// and the estimate is the mean over the folds, with the folds' standard
// error, of the metrics counted by hand.
func TestCrossValidateMeanOverFolds(t *testing.T) {
	// Class 0 ("a") is right when x0 < 0, class 1 ("b") when x0 > 0.
	x0 := []float32{-1, -2, 0.5, -1, -3, -1 /* a */, 1, 2, -0.5, 3, 1, -1 /* b */}
	fold := []int{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}
	items := cvItems(map[string]int{"a": 6, "b": 6})
	x := make([][]float32, len(items))
	for i := range x {
		x[i] = []float32{x0[i], float32(i)}
	}
	var calls [][2][]int
	spec := pipeline.CandidateSpec{Name: "step", Head: "step", Trainer: stepTrainer{&calls}}
	cv, err := pipeline.CrossValidate(context.Background(), spec, pipeline.CVData{Items: items, X: x,
		Labels: []string{"a", "b"}, Positive: 1}, fold, pipeline.CVOptions{Seed: 3, TuningFraction: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	// Fold 0 holds rows 0 3 6 9: all right. Fold 1 holds 1 4 7 10: all
	// right. Fold 2 holds 2 5 8 11: row 5 (a, -1) and nothing else right.
	wantAcc := []float64{1, 1, 0.25}
	mean := (1 + 1 + 0.25) / 3.0
	sd := math.Sqrt(((1-mean)*(1-mean) + (1-mean)*(1-mean) + (0.25-mean)*(0.25-mean)) / 2)
	if cv.Folds != 3 || cv.Images != 12 || len(cv.PerFold) != 3 {
		t.Fatalf("cross-validation %+v", cv)
	}
	for f, r := range cv.PerFold {
		if r.Size != 4 || r.Train != 8 || r.Threshold != 0.5 || r.Metrics[metrics.KeyAccuracy] != wantAcc[f] {
			t.Errorf("fold %d: %+v, want accuracy %v", f, r, wantAcc[f])
		}
	}
	approx := cmpopts.EquateApprox(0, 1e-12)
	if !cmp.Equal(cv.Metrics[metrics.KeyAccuracy], mean, approx) || !cmp.Equal(cv.StdErr[metrics.KeyAccuracy], sd/math.Sqrt(3), approx) {
		t.Fatalf("accuracy %v ± %v, want %v ± %v", cv.Metrics[metrics.KeyAccuracy], cv.StdErr[metrics.KeyAccuracy], mean, sd/math.Sqrt(3))
	}
	// Fold 2 has no true positive: its one positive prediction (row 2) is
	// an a, so precision and recall are 0.
	if r := cv.PerFold[2].Metrics; r[metrics.KeyRecall] != 0 || r[metrics.KeyPrecision] != 0 {
		t.Errorf("fold 2 recall %v precision %v, want 0 and 0", r[metrics.KeyRecall], r[metrics.KeyPrecision])
	}
	for k, v := range cv.Metrics {
		var sum float64
		for _, r := range cv.PerFold {
			sum += r.Metrics[k]
		}
		if !cmp.Equal(v, sum/3, approx) {
			t.Errorf("%s: estimate %v, mean over folds %v", k, v, sum/3)
		}
	}
	// One fit per fold (a foreign head is not refitted): fit and tuning
	// sets are disjoint and together exactly the other folds' rows.
	if len(calls) != 3 {
		t.Fatalf("%d fits, want 3", len(calls))
	}
	for f, c := range calls {
		var want []int
		for i, g := range fold {
			if g != f {
				want = append(want, i)
			}
		}
		got := slices.Sorted(slices.Values(append(slices.Clone(c[0]), c[1]...)))
		if !slices.Equal(got, want) || len(c[1]) != 2 {
			t.Errorf("fold %d: fitted on %v, tuned on %v; want %v, 1 tuning image a class", f, c[0], c[1], want)
		}
	}
}

// gaussianSet is a reproducible 2-class feature set of n rows a class,
// with overlapping classes so that no head is perfect.
func gaussianSet(n int) ([]pipeline.Item, [][]float32) {
	items := cvItems(map[string]int{"a": n, "b": n})
	r := rng.New(11)
	x := make([][]float32, len(items))
	for i, it := range items {
		shift := float64(2*it.Class-1) * 0.8
		x[i] = []float32{float32(r.Norm() + shift), float32(r.Norm() - shift/2), float32(r.Norm()), float32(r.Norm())}
	}
	return items, x
}

// TestCrossValidateLogRegByHand recomputes a logistic-regression
// cross-validation fold by fold the documented way (inner stratified
// tuning split with the fold's seed, selection fit, refit on the fold's
// whole training part, threshold tuned on the tuning split for the target
// recall) and compares every fold's metrics and the mean.
func TestCrossValidateLogRegByHand(t *testing.T) {
	items, x := gaussianSet(20)
	fold, err := pipeline.StratifiedFolds(items, 5, 9)
	if err != nil {
		t.Fatal(err)
	}
	trainer := heads.LogRegOptions{L2: []float64{0.01, 1, 100}}
	spec := pipeline.CandidateSpec{Name: "lr", Head: "logreg", Trainer: trainer}
	data := pipeline.CVData{Items: items, X: x, Labels: []string{"a", "b"}, Positive: 1}
	opts := pipeline.CVOptions{Seed: 5, TuningFraction: 0.25, TargetRecall: 0.9}
	cv, err := pipeline.CrossValidate(context.Background(), spec, data, fold, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := pipeline.CrossValidate(context.Background(), spec, data, fold, opts)
	if err != nil || !cmp.Equal(cv, again) {
		t.Fatalf("a second run differs (%v)", err)
	}
	sums := map[string]float64{}
	for f := range 5 {
		want := logRegFoldByHand(t, trainer, items, x, fold, f, rng.Derive(opts.Seed, uint64(f)))
		if diff := cmp.Diff(want, cv.PerFold[f].Metrics, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
			t.Fatalf("fold %d (-by hand +CrossValidate):\n%s", f, diff)
		}
		for k, v := range want {
			sums[k] += v
		}
	}
	for k, s := range sums {
		if !cmp.Equal(cv.Metrics[k], s/5, cmpopts.EquateApprox(0, 1e-12)) {
			t.Errorf("%s: estimate %v, mean by hand %v", k, cv.Metrics[k], s/5)
		}
	}
	if acc := cv.Metrics[metrics.KeyAccuracy]; acc < 0.6 || acc > 0.99 || cv.StdErr[metrics.KeyAccuracy] <= 0 {
		t.Fatalf("accuracy %v ± %v on overlapping classes", acc, cv.StdErr[metrics.KeyAccuracy])
	}
}

// logRegFoldByHand fits and measures fold f the documented way.
func logRegFoldByHand(t *testing.T, trainer heads.LogRegOptions, items []pipeline.Item, x [][]float32, fold []int,
	f int, seed uint64) map[string]float64 {
	t.Helper()
	index := map[string]int{}
	var rest []dataset.File
	test := heads.Dataset{Classes: 2}
	for i, it := range items {
		if fold[i] == f {
			test.X, test.Y = append(test.X, x[i]), append(test.Y, it.Class)
			continue
		}
		index[it.Path] = i
		rest = append(rest, dataset.File{Path: it.Path, Label: it.Label})
	}
	fitFiles, tuneFiles := dataset.StratifiedSplit(rest, 0.25, seed)
	set := func(files ...[]dataset.File) heads.Dataset {
		d := heads.Dataset{Classes: 2}
		for _, fs := range files {
			for _, file := range fs {
				i := index[file.Path]
				d.X, d.Y = append(d.X, x[i]), append(d.Y, items[i].Class)
			}
		}
		return d
	}
	fit, tune, train := set(fitFiles), set(tuneFiles), set(fitFiles, tuneFiles)
	sel, err := trainer.Fit(fit, tune)
	if err != nil {
		t.Fatal(err)
	}
	refit, ok := heads.Refit(trainer, sel)
	if !ok {
		t.Fatal("logistic regression not refittable")
	}
	model, err := refit.Fit(train, heads.Dataset{Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	var scores []float64
	var positive []bool
	for i, p := range sel.Predict(tune.X) {
		scores, positive = append(scores, p[1]), append(positive, tune.Y[i] == 1)
	}
	ch, err := metrics.ThresholdForRecall(scores, positive, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metrics.EvaluateProbs(model.Predict(test.X), test.Y, 1, ch.Threshold)
	if err != nil {
		t.Fatal(err)
	}
	return m.Map()
}

// checkCV checks a candidate's cross-validation in the Result, metrics.json
// and the card: k folds over all the images, the estimate in the card's
// model-index as its own result, and the card saying what it is.
func checkCV(t *testing.T, c pipeline.Candidate, res *pipeline.Result, k int) {
	t.Helper()
	all := append(slices.Clone(res.Train), res.Validation...)
	if c.CV == nil || c.CV.Folds != k || c.CV.Images != len(all) || len(res.Folds) != len(all) ||
		len(res.CVItems) != len(all) {
		t.Fatalf("cross-validation %+v over %d items, %d folds numbers, want %d folds over %d", c.CV, len(res.CVItems),
			len(res.Folds), k, len(all))
	}
	seen := map[string]int{}
	for i, it := range res.CVItems {
		seen[it.Path]++
		if res.Folds[i] < 0 || res.Folds[i] >= k {
			t.Fatalf("%s in fold %d", it.Path, res.Folds[i])
		}
	}
	for _, it := range all {
		if seen[it.Path] != 1 {
			t.Fatalf("%s is in %d folds", it.Path, seen[it.Path])
		}
	}
	var mj struct {
		RankedOn string `json:"ranked_on"`
		CV       struct {
			Folds          int                `json:"folds"`
			Metrics        map[string]float64 `json:"metrics"`
			StandardErrors map[string]float64 `json:"standard_errors"`
			PerFold        []any              `json:"per_fold"`
		} `json:"cross_validation"`
	}
	mustJSON(t, c.Files["metrics.json"], &mj)
	if mj.RankedOn != res.RankedOn || mj.CV.Folds != k || len(mj.CV.PerFold) != k ||
		!cmp.Equal(mj.CV.Metrics, c.CV.Metrics) || !cmp.Equal(mj.CV.StandardErrors, c.CV.StdErr) {
		t.Fatalf("metrics.json cross_validation %+v, candidate %+v", mj, c.CV)
	}
	card, err := modelcards.Parse(c.Files["README.md"])
	if err != nil {
		t.Fatal(err)
	}
	results, err := card.EvalResults()
	if err != nil {
		t.Fatal(err)
	}
	split := fmt.Sprintf("%d-fold cross-validation over all %d images", k, len(all))
	got := map[string]float64{}
	for _, r := range results {
		if r.DatasetSplit == split {
			got[r.MetricType], _ = r.MetricValue.(float64)
		}
	}
	if got["accuracy"] != c.CV.Metrics["accuracy"] || len(got) != 6 {
		t.Fatalf("model-index %q result %v, want the cross-validated %v", split, got, c.CV.Metrics)
	}
	want := fmt.Sprintf("Expected accuracy on new images like these: %.4f ± %.4f", c.CV.Metrics["accuracy"],
		c.CV.StdErr["accuracy"])
	if !strings.Contains(card.Body, want) || !strings.Contains(card.Body, "validation column measures this very model") {
		t.Fatalf("card body lacks %q and the validation column's explanation:\n%s", want, card.Body)
	}
}
