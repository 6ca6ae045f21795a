package pipeline_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/train/metrics"
	"quarry/train/pipeline"
)

// checkTuningSplit checks the inner tuning split: a stratified fifth of the
// training split, disjoint from validation, and every candidate selected on
// it and refitted on the whole training split.
func checkTuningSplit(t *testing.T, res *pipeline.Result) {
	t.Helper()
	train := map[string]int{}
	for _, it := range res.Train {
		train[it.Path] = it.Class
	}
	perClass := map[int]int{}
	for _, it := range res.Tuning {
		if _, ok := train[it.Path]; !ok {
			t.Fatalf("tuning image %s is not a training image", it.Path)
		}
		perClass[it.Class]++
	}
	for _, it := range res.Validation {
		if slices.ContainsFunc(res.Tuning, func(u pipeline.Item) bool { return u.Path == it.Path }) {
			t.Fatalf("validation image %s is in the tuning split", it.Path)
		}
	}
	// 60 per class, 12 to validation, 48 to training: round(48·0.2) = 10.
	if !cmp.Equal(perClass, map[int]int{0: 10, 1: 10}) {
		t.Fatalf("tuning split per class %v, want 10 and 10", perClass)
	}
	for _, c := range res.Candidates {
		if !c.Refitted || c.Selection == nil || c.Selection == c.Model {
			t.Fatalf("%s: refitted %v, selection %v", c.Name, c.Refitted, c.Selection)
		}
	}
}

// checkTuningRecall recomputes the selection head's recall of the positive
// class on the tuning split at the candidate's threshold: it must reach the
// target there.
func checkTuningRecall(t *testing.T, c pipeline.Candidate, res *pipeline.Result, cache *pipeline.FeatureCache,
	backbone string, target float64) {
	t.Helper()
	pos := slices.Index(res.Labels, res.Positive)
	key, err := pipeline.BackboneKey(backbone)
	if err != nil {
		t.Fatal(err)
	}
	var x [][]float32
	var y []int
	for _, it := range res.Tuning {
		f, ok := cache.Get(key, it.Hash)
		if !ok {
			t.Fatalf("no cached features for tuning image %s", it.Path)
		}
		x, y = append(x, f), append(y, it.Class)
	}
	m, err := metrics.EvaluateProbs(c.Selection.Predict(x), y, pos, c.Threshold)
	if err != nil {
		t.Fatal(err)
	}
	if m.Recall < target {
		t.Fatalf("selection head's tuning recall %v at threshold %v, want >= %v", m.Recall, c.Threshold, target)
	}
}
