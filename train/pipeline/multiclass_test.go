package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/internal/mltest"
	"quarry/modelcards"
	"quarry/train/pipeline"
	"quarry/train/tiles"
)

// threeClassSet writes 10 mine, 10 no_mine and 10 "negative" tiles (the
// no_mine tiles with inverted colours) in the imagefolder layout.
func threeClassSet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	items, err := tiles.GenerateSet(dir, 7, 10, tiles.DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "negative"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Label != tiles.LabelNoMine {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(it.Path)))
		if err != nil {
			t.Fatal(err)
		}
		src, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		inv := image.NewRGBA(src.Bounds())
		for y := src.Bounds().Min.Y; y < src.Bounds().Max.Y; y++ {
			for x := src.Bounds().Min.X; x < src.Bounds().Max.X; x++ {
				r, g, b, _ := src.At(x, y).RGBA()
				i := inv.PixOffset(x, y)
				inv.Pix[i], inv.Pix[i+1], inv.Pix[i+2], inv.Pix[i+3] = 255-uint8(r>>8), 255-uint8(g>>8), 255-uint8(b>>8), 255
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, inv); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, "negative", "neg_"+filepath.Base(it.Path))
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRunMulticlass runs a 3-class task with two candidates and checks the
// multi-class metrics, the one-vs-rest ROC curves, the card and the ONNX
// graphs.
func TestRunMulticlass(t *testing.T) {
	rt, backbone := openRuntime(t), mltest.BackboneDir(t)
	dir := threeClassSet(t)
	cands := threeCandidates(backbone)
	res, err := pipeline.Run(context.Background(), pipeline.Options{Dataset: dir, Runtime: rt,
		Candidates: []pipeline.CandidateSpec{cands[0], cands[1]}, Metric: "f1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("phases %v", res.Durations)
	if res.RankedBy != "f1_macro" || !cmp.Equal(res.Labels, []string{"mine", "negative", "no_mine"}) {
		t.Fatalf("ranked by %q, labels %v", res.RankedBy, res.Labels)
	}
	want := []string{"accuracy", "f1_macro", "f1_micro", "f1_weighted", "loss", "precision_macro", "precision_micro",
		"precision_weighted", "recall_macro", "recall_micro", "recall_weighted"}
	for _, c := range res.Candidates {
		t.Logf("%s: rank %d %v", c.Name, c.Rank, c.Metrics)
		if diff := cmp.Diff(want, slices.Sorted(mapsKeys(c.Metrics))); diff != "" {
			t.Fatalf("metric keys (-want +got):\n%s", diff)
		}
		var m struct {
			ConfusionMatrix [][]int `json:"confusion_matrix"`
			ROC             []struct {
				Label string `json:"label"`
			} `json:"roc"`
			PerClass []struct {
				Label string `json:"label"`
			} `json:"per_class"`
		}
		mustJSON(t, c.Files["metrics.json"], &m)
		if len(m.ConfusionMatrix) != 3 || len(m.ROC) != 3 || len(m.PerClass) != 3 || len(c.Files["roc_curve.png"]) == 0 {
			t.Fatalf("metrics.json %+v", m)
		}
		card, err := modelcards.Parse(c.Files["README.md"])
		if err != nil {
			t.Fatal(err)
		}
		results, err := card.EvalResults()
		if err != nil {
			t.Fatal(err)
		}
		perSplit := map[string]int{}
		for _, r := range results {
			perSplit[r.DatasetSplit]++
		}
		cvSplit := fmt.Sprintf("%d-fold cross-validation over all %d images", c.CV.Folds, c.CV.Images)
		if !cmp.Equal(perSplit, map[string]int{"validation": 11, cvSplit: 11}) {
			t.Fatalf("model-index metrics per split %v, want 11 validation and 11 %s", perSplit, cvSplit)
		}
		if !strings.Contains(card.Body, "f1_macro: ") || strings.Contains(card.Body, "Positive class") {
			t.Fatalf("card body:\n%s", card.Body)
		}
		checkONNX(t, rt, c, res, dir)
	}
}
