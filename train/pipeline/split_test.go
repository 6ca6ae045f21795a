package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"quarry/internal/mltest"
	"quarry/train/pipeline"
)

// TestRunGivenValidationSplit uses the dataset's own validation folder
// instead of a stratified split.
func TestRunGivenValidationSplit(t *testing.T) {
	rt, backbone := openRuntime(t), mltest.BackboneDir(t)
	files := map[string][]byte{}
	classFiles(t, files, "train/cat", 6, 0)
	classFiles(t, files, "train/dog", 6, 100)
	classFiles(t, files, "validation/cat", 2, 200)
	classFiles(t, files, "validation/dog", 2, 300)
	res, err := pipeline.Run(context.Background(), pipeline.Options{Dataset: writeFiles(t, files), Positive: "dog",
		Runtime: rt, Candidates: threeCandidates(backbone)[:1], Card: pipeline.CardInfo{Examples: -1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.SplitSource != "given" || len(res.Train) != 12 || len(res.Validation) != 4 {
		t.Fatalf("split %s: %d train, %d validation", res.SplitSource, len(res.Train), len(res.Validation))
	}
	for _, it := range res.Validation {
		if !strings.HasPrefix(it.Path, "validation/") {
			t.Fatalf("validation item %s", it.Path)
		}
	}
	c := res.Candidates[0]
	for name := range c.Files {
		if strings.HasPrefix(name, "examples/") {
			t.Fatalf("example %s committed with Examples < 0", name)
		}
	}
	if !strings.Contains(string(c.Files["README.md"]), "validation folder given with the dataset") {
		t.Fatalf("card does not name the split:\n%s", c.Files["README.md"])
	}
	// Cross-validation pools the given validation folder with training.
	checkCV(t, c, res, pipeline.DefaultFolds)

	// Folds < 0: no cross-validation, the validation split alone.
	res, err = pipeline.Run(context.Background(), pipeline.Options{Dataset: writeFiles(t, files), Positive: "dog",
		Runtime: rt, Candidates: threeCandidates(backbone)[:1], Folds: -1, Card: pipeline.CardInfo{Examples: -1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, card := res.Candidates[0], string(res.Candidates[0].Files["README.md"])
	if c.CV != nil || res.Folds != nil || res.RankedOn != pipeline.RankedOnValidation ||
		strings.Contains(card, "cross-validation over") || !strings.Contains(card, "## Results on the validation split") {
		t.Fatalf("Folds -1: cross-validation %+v, ranked on %s, card:\n%s", c.CV, res.RankedOn, card)
	}
}
