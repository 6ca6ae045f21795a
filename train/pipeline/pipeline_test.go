package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"quarry/internal/mltest"
	"quarry/ml/imageproc"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
	"quarry/modelcards"
	"quarry/train/heads"
	"quarry/train/metrics"
	"quarry/train/pipeline"
)

var binaryKeys = []string{"accuracy", "auc", "f1", "loss", "precision", "recall"}

func threeCandidates(backbone string) []pipeline.CandidateSpec {
	var out []pipeline.CandidateSpec
	for _, h := range heads.Kinds {
		out = append(out, pipeline.CandidateSpec{Head: h, BackboneDir: backbone, BaseModel: "quarry/mobilenet-v2-140-224"})
	}
	return out
}

// TestRunThreeCandidates trains logreg, MLP and GBDT on 60+60 synthetic
// tiles, then checks every candidate's metrics and files, and that each
// published ONNX graph gives the head's probabilities. A second run from a
// zip of the same tiles, with threshold tuning, must reuse the cached
// features.
func TestRunThreeCandidates(t *testing.T) {
	rt, backbone := openRuntime(t), mltest.BackboneDir(t)
	dir := tileSet(t, 60)
	cache := pipeline.NewFeatureCache()
	var events []pipeline.Event
	start := time.Now()
	res, err := pipeline.Run(context.Background(), pipeline.Options{
		Dataset: dir, Positive: "mine", Candidates: threeCandidates(backbone), Runtime: rt, Cache: cache,
		Metric: "recall", Card: pipeline.CardInfo{ModelID: "demo/amber-mines", DatasetID: "demo/amber-mines-data",
			DatasetRevision: "0123abc", SyntheticData: true, License: "apache-2.0"},
	}, func(e pipeline.Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run took %v; phases %v", time.Since(start), res.Durations)
	checkEvents(t, events, 120)
	if got, want := len(res.Validation), 24; got != want {
		t.Fatalf("%d validation images, want %d", got, want)
	}
	if cache.Len() != 120 {
		t.Fatalf("cache holds %d feature vectors, want 120", cache.Len())
	}
	key, err := pipeline.BackboneKey(backbone)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := cache.Get(key, res.Validation[0].Hash); !ok || len(f) != 1792 {
		t.Fatalf("cached features of %s: %d values, ok %v", res.Validation[0].Path, len(f), ok)
	}
	checkRanking(t, res, "recall")
	if res.RankedOn != pipeline.RankedOnCV {
		t.Fatalf("ranked on %s, want %s", res.RankedOn, pipeline.RankedOnCV)
	}
	checkTuningSplit(t, res)
	for _, c := range res.Candidates {
		t.Run(c.Name, func(t *testing.T) {
			t.Logf("%s: rank %d %v", c.Name, c.Rank, c.Metrics)
			if diff := cmp.Diff(binaryKeys, slices.Sorted(mapsKeys(c.Metrics))); diff != "" {
				t.Fatalf("metric keys (-want +got):\n%s", diff)
			}
			if c.Metrics["accuracy"] < 0.7 {
				t.Errorf("accuracy %.3f: the head learned little", c.Metrics["accuracy"])
			}
			checkFiles(t, c, res, false)
			checkCV(t, c, res, pipeline.DefaultFolds)
			checkRecomputed(t, c, res)
			checkONNX(t, rt, c, res, dir)
		})
	}

	zipPath := filepath.Join(t.TempDir(), "tiles.zip")
	zipDir(t, dir, zipPath)
	events = nil
	res2, err := pipeline.Run(context.Background(), pipeline.Options{
		Dataset: zipPath, Positive: "no_mine", Candidates: threeCandidates(backbone)[:1], Runtime: rt, Cache: cache,
		TargetRecall: 0.95,
	}, func(e pipeline.Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Phase == pipeline.PhaseFeatures && e.Total != 0 {
			t.Fatalf("second run extracted %d images again despite the cache", e.Total)
		}
	}
	c := res2.Candidates[0]
	// The threshold is tuned on the inner tuning split, so the target
	// recall is reached there; the validation recall is only measured.
	var mj struct {
		Tuning struct {
			Split        string  `json:"split"`
			TargetRecall float64 `json:"target_recall"`
			Threshold    float64 `json:"threshold"`
			Recall       float64 `json:"recall"`
		} `json:"threshold_tuning"`
	}
	mustJSON(t, c.Files["metrics.json"], &mj)
	if !c.Tuned || mj.Tuning.Split != "tuning" || mj.Tuning.Recall < 0.95 || mj.Tuning.Threshold != c.Threshold {
		t.Fatalf("tuned candidate: tuned %v, threshold %v, tuning %+v", c.Tuned, c.Threshold, mj.Tuning)
	}
	checkTuningRecall(t, c, res2, cache, backbone, 0.95)
	checkFiles(t, c, res2, true)
	checkCV(t, c, res2, pipeline.DefaultFolds)
	checkRecomputed(t, c, res2)
}

// checkRecomputed recomputes a binary candidate's metrics from its
// validation probabilities (positive class by index, at its threshold).
func checkRecomputed(t *testing.T, c pipeline.Candidate, res *pipeline.Result) {
	t.Helper()
	y := make([]int, len(res.Validation))
	for i, it := range res.Validation {
		y[i] = it.Class
	}
	want, err := metrics.EvaluateProbs(c.ValidationProbs, y, slices.Index(res.Labels, res.Positive), c.Threshold)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Map(), c.Metrics); diff != "" {
		t.Fatalf("metrics (-recomputed +pipeline):\n%s", diff)
	}
}

func mapsKeys(m map[string]float64) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkEvents checks that feature progress counts up to the total with an
// ETA, and that the run reports done.
func checkEvents(t *testing.T, events []pipeline.Event, total int) {
	t.Helper()
	last, withETA := -1, 0
	for _, e := range events {
		if e.Phase != pipeline.PhaseFeatures {
			continue
		}
		if e.Total != total || e.Done < last {
			t.Fatalf("feature event %+v after done=%d, want total %d and no regress", e, last, total)
		}
		if e.ETA > 0 {
			withETA++
		}
		last = e.Done
	}
	if last != total || withETA == 0 {
		t.Fatalf("features ended at %d of %d, %d events with an ETA", last, total, withETA)
	}
	if events[len(events)-1].Phase != pipeline.PhaseDone {
		t.Fatalf("last event %+v", events[len(events)-1])
	}
}

// checkRanking checks ranks 1..n follow the metric (higher recall first).
func checkRanking(t *testing.T, res *pipeline.Result, key string) {
	t.Helper()
	byRank := make([]pipeline.Candidate, len(res.Candidates))
	for _, c := range res.Candidates {
		if c.Rank < 1 || c.Rank > len(byRank) || byRank[c.Rank-1].Name != "" {
			t.Fatalf("bad or repeated rank %d", c.Rank)
		}
		byRank[c.Rank-1] = c
	}
	if res.Candidates[res.Winner].Rank != 1 {
		t.Fatalf("winner %d has rank %d", res.Winner, res.Candidates[res.Winner].Rank)
	}
	// Ranked on the cross-validated value of the metric when every
	// candidate has one.
	value := func(c pipeline.Candidate) float64 { return c.Metrics[key] }
	if res.RankedOn == pipeline.RankedOnCV {
		value = func(c pipeline.Candidate) float64 { return c.CV.Metrics[key] }
	} else if res.RankedOn != pipeline.RankedOnValidation {
		t.Fatalf("ranked on %q", res.RankedOn)
	}
	for i := 1; i < len(byRank); i++ {
		if value(byRank[i]) > value(byRank[i-1]) {
			t.Fatalf("rank %d has %s %v above rank %d's %v (%s)", i+1, key, value(byRank[i]), i, value(byRank[i-1]), res.RankedOn)
		}
	}
}

// checkFiles checks a candidate's repo files exist and parse.
func checkFiles(t *testing.T, c pipeline.Candidate, res *pipeline.Result, tuned bool) {
	t.Helper()
	for _, name := range []string{"config.json", "preprocessor_config.json", "onnx/model.onnx", "README.md",
		"training_params.json", "metrics.json", "confusion_matrix.png", "roc_curve.png"} {
		if len(c.Files[name]) == 0 {
			t.Fatalf("file %s missing", name)
		}
	}
	var cfg struct {
		ModelType string            `json:"model_type"`
		ID2Label  map[string]string `json:"id2label"`
		Label2ID  map[string]int    `json:"label2id"`
		Quarry    struct {
			PositiveLabel string   `json:"positive_label"`
			Threshold     *float64 `json:"threshold"`
			Head          string   `json:"head"`
		} `json:"quarry"`
	}
	mustJSON(t, c.Files["config.json"], &cfg)
	if cfg.ModelType != "mobilenet_v2" || !cmp.Equal(cfg.ID2Label, map[string]string{"0": "mine", "1": "no_mine"}) ||
		cfg.Label2ID["mine"] != 0 || cfg.Quarry.PositiveLabel != res.Positive {
		t.Fatalf("config.json %+v", cfg)
	}
	if tuned != (cfg.Quarry.Threshold != nil) || tuned && *cfg.Quarry.Threshold != c.Threshold {
		t.Fatalf("config.json threshold %v, candidate %v tuned %v", cfg.Quarry.Threshold, c.Threshold, tuned)
	}
	var params map[string]any
	mustJSON(t, c.Files["training_params.json"], &params)
	split, _ := params["split"].(map[string]any)
	if params["candidate"] != c.Name || params["seed"] != 42.0 || split["train"] != float64(len(res.Train)) ||
		split["validation"] != float64(len(res.Validation)) || params["head_options"] == nil ||
		!strings.HasPrefix(fmt.Sprint(params["selection"]), "inner split of the training data") {
		t.Fatalf("training_params.json %v", params)
	}
	var m struct {
		Metrics         map[string]float64 `json:"metrics"`
		ConfusionMatrix [][]int            `json:"confusion_matrix"`
		ROC             []struct {
			Points []struct{ FPR, TPR float64 } `json:"points"`
		} `json:"roc"`
	}
	mustJSON(t, c.Files["metrics.json"], &m)
	sum := 0
	for _, row := range m.ConfusionMatrix {
		for _, v := range row {
			sum += v
		}
	}
	if !cmp.Equal(m.Metrics, c.Metrics) || sum != len(res.Validation) || len(m.ROC) != 1 || len(m.ROC[0].Points) < 3 {
		t.Fatalf("metrics.json: %+v", m)
	}
	for _, name := range []string{"confusion_matrix.png", "roc_curve.png"} {
		img, err := png.Decode(bytes.NewReader(c.Files[name]))
		if err != nil || img.Bounds().Dx() < 200 {
			t.Fatalf("%s: %v %v", name, err, img.Bounds())
		}
	}
	checkCard(t, c)
}

func checkCard(t *testing.T, c pipeline.Candidate) {
	t.Helper()
	readme := c.Files["README.md"]
	if _, err := modelcards.Validate(readme, "model"); err != nil {
		t.Fatalf("card: %v", err)
	}
	card, err := modelcards.Parse(readme)
	if err != nil {
		t.Fatal(err)
	}
	results, err := card.EvalResults()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string][]string{} // by split
	for _, r := range results {
		if r.TaskType != "image-classification" || r.DatasetSplit != "validation" &&
			!strings.Contains(r.DatasetSplit, "-fold cross-validation over all ") {
			t.Fatalf("eval result %+v", r)
		}
		types[r.DatasetSplit] = append(types[r.DatasetSplit], r.MetricType)
	}
	if len(types["validation"]) == 0 || len(types) != 2 {
		t.Fatalf("model-index splits %v, want validation and cross-validation", types)
	}
	for split, ts := range types {
		if diff := cmp.Diff([]string{"loss", "f1", "precision", "recall", "roc_auc", "accuracy"}, ts); diff != "" {
			t.Fatalf("model-index metric types of %s (-want +got):\n%s", split, diff)
		}
	}
	if card.PipelineTag() != "image-classification" || len(card.BaseModels()) != 1 || !slices.Contains(card.Tags(), "quarry") {
		t.Fatalf("card data %v", card.Data)
	}
	widget := card.Widget()
	if len(widget) == 0 {
		t.Fatal("card has no widget examples")
	}
	for _, w := range widget {
		if len(c.Files[w.Src]) == 0 {
			t.Fatalf("widget example %s is not among the files", w.Src)
		}
	}
	for _, want := range []string{"## Validation Metrics", "(confusion_matrix.png)", "(roc_curve.png)", "## Training data"} {
		if !strings.Contains(card.Body, want) {
			t.Fatalf("card body lacks %q:\n%s", want, card.Body)
		}
	}
}

// checkONNX runs the candidate's ONNX graph on the validation images and
// compares its softmax with the head's probabilities on the pipeline's
// features.
func checkONNX(t *testing.T, rt *onnxrt.Runtime, c pipeline.Candidate, res *pipeline.Result, dir string) {
	t.Helper()
	pre, err := imageproc.ParseConfig(c.Files["preprocessor_config.json"])
	if err != nil {
		t.Fatal(err)
	}
	var imgs []image.Image
	for _, it := range res.Validation {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(it.Path)))
		if err != nil {
			t.Fatal(err)
		}
		d, err := imageproc.Decode(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, d.Image)
	}
	x, shape, err := pre.Batch(imgs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rt.NewSession(c.Files["onnx/model.onnx"], []string{onnxgraph.PixelValues}, []string{onnxgraph.Logits})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logits, _, err := s.Run(x, shape)
	if err != nil {
		t.Fatal(err)
	}
	maxDiff, k := 0.0, len(res.Labels)
	for i, want := range c.ValidationProbs {
		row := make([]float64, k)
		for j := range row {
			row[j] = float64(logits[k*i+j])
		}
		got := heads.Softmax(row)
		for j := range want {
			maxDiff = math.Max(maxDiff, math.Abs(got[j]-want[j]))
		}
	}
	t.Logf("%s: max |ONNX probability - head probability| = %.2g", c.Name, maxDiff)
	if maxDiff > 1e-4 {
		t.Fatalf("ONNX probabilities differ from the head's by %v", maxDiff)
	}
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v in %s", err, data)
	}
}
