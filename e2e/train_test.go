package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"quarry/hub/hubclient"
	"quarry/infra/jobs/podman"
	"quarry/train/tiles"
)

// Seeds of the tile sets: the training set and a fresh held-out set.
const (
	trainSetSeed   = 5101
	heldOutSetSeed = 5303
	trainPerClass  = 250
	heldPerClass   = 200
	// cvSplit is the model-index split of the card's expected figures: the
	// pipeline's default 5-fold cross-validation over the whole dataset.
	cvSplit = "5-fold cross-validation over all 500 images"
)

// TestTraining is issue 5's acceptance on one server: 250 + 250 synthetic
// tiles uploaded with `quarry dataset upload`, a 3-candidate project with
// the process runner and one with the Podman runner via `quarry train
// --wait`, the published model checked file by file and classifying
// held-out tiles through the demo and transformers.js, cancel during
// feature extraction, and a trainer killed with SIGKILL.
func TestTraining(t *testing.T) {
	podmanImage(t) // before the server starts: it offers the podman runner when the image exists
	h := newTrainHub(t, "trainer")
	data := tileSet(t, trainSetSeed, trainPerClass)
	start := time.Now()
	h.uploadDataset(t, "trainer/amber-data", data, "--synthetic", "--positive", tiles.LabelMine,
		"--description", "Synthetic satellite-like tiles from Quarry's generator (e2e).")
	t.Logf("dataset upload of %d tiles: %v", 2*trainPerClass, time.Since(start).Round(time.Millisecond))
	t.Run("process", func(t *testing.T) { h.processProject(t) })
	t.Run("podman", func(t *testing.T) { h.podmanProject(t) })
	t.Run("cancel", func(t *testing.T) { h.cancelDuringFeatures(t) })
	t.Run("sigkill", func(t *testing.T) { h.killedTrainer(t) })
}

// checkLeaderboard checks a finished project's result line.
func checkLeaderboard(t *testing.T, res trainResult, project string) {
	t.Helper()
	if res.State != "succeeded" || res.Project != project || len(res.Candidates) != 3 {
		t.Fatalf("project %s: state %s, %d candidates", res.Project, res.State, len(res.Candidates))
	}
	var heads, repos []string
	for _, c := range res.Candidates {
		heads, repos = append(heads, c.Head), append(repos, c.Repo)
		if c.State != "succeeded" {
			t.Errorf("candidate %s: %s", c.Repo, c.State)
		}
		for _, k := range binaryMetricKeys {
			if v, ok := c.Metrics[k]; !ok || math.IsNaN(v) {
				t.Errorf("candidate %s: metric %s missing (%v)", c.Repo, k, c.Metrics)
			}
		}
		if c.Rank == 1 && c.Repo != res.Winner {
			t.Errorf("winner %s, but %s ranks first", res.Winner, c.Repo)
		}
		t.Logf("#%d %s: %v", c.Rank, c.Repo, c.Metrics)
	}
	slices.Sort(heads)
	if !slices.Equal(heads, []string{"gbdt", "logreg", "mlp"}) || !slices.Contains(repos, res.Winner) {
		t.Fatalf("heads %v, repos %v, winner %q", heads, repos, res.Winner)
	}
}

func (h *trainHub) processProject(t *testing.T) {
	res, r := h.train(t, "--dataset", "trainer/amber-data", "--project", "trainer/amber",
		"--positive", tiles.LabelMine, "--publish")
	if r.err != nil {
		t.Fatalf("quarry train: %s", r)
	}
	t.Logf("500-image 3-candidate project with the process runner, published: %v", r.elapsed.Round(time.Millisecond))
	checkLeaderboard(t, res, "trainer/amber")
	if !strings.Contains(r.stdout, "features") {
		t.Errorf("no progress lines on stdout:\n%s", r.stdout)
	}
	if res.Published == nil || res.Published.Repo != "trainer/amber" {
		t.Fatalf("published %+v", res.Published)
	}
	h.checkResultRepo(t, res.Winner, false)
	h.checkHeldOut(t, "trainer/amber", h.checkResultRepo(t, "trainer/amber", false))
}

// checkResultRepo checks a candidate's (or published) repo, file by file,
// and returns the card's figures.
func (h *trainHub) checkResultRepo(t *testing.T, repo string, tuned bool) cardFigures {
	t.Helper()
	tree, err := h.api.Tree(context.Background(), hubclient.Model, repo, "main", "", true)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range tree {
		paths = append(paths, e.Path)
	}
	for _, p := range []string{"config.json", "preprocessor_config.json", "onnx/model.onnx", "training_params.json",
		"metrics.json", "README.md", "confusion_matrix.png", "roc_curve.png"} {
		if !slices.Contains(paths, p) {
			t.Errorf("%s lacks %s (has %v)", repo, p, paths)
		}
	}
	var cfg struct {
		ID2Label map[string]string `json:"id2label"`
		Label2ID map[string]int    `json:"label2id"`
		Quarry   struct {
			Threshold *float64 `json:"threshold"`
		} `json:"quarry"`
	}
	if err := json.Unmarshal(h.download(t, repo, "config.json"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ID2Label["0"] != tiles.LabelMine || cfg.ID2Label["1"] != tiles.LabelNoMine ||
		cfg.Label2ID[tiles.LabelMine] != 0 || cfg.Label2ID[tiles.LabelNoMine] != 1 {
		t.Errorf("%s config.json labels: %v %v", repo, cfg.ID2Label, cfg.Label2ID)
	}
	if (cfg.Quarry.Threshold != nil) != tuned {
		t.Errorf("%s config.json threshold %v, tuned %v", repo, cfg.Quarry.Threshold, tuned)
	}
	params := string(h.download(t, repo, "training_params.json"))
	if strings.Contains(params, "hf_") || strings.Contains(params, h.c.token) || strings.Contains(strings.ToLower(params), "token") {
		t.Errorf("%s training_params.json mentions a token:\n%s", repo, params)
	}
	var mj struct {
		Metrics map[string]float64 `json:"metrics"`
		CV      struct {
			Metrics        map[string]float64 `json:"metrics"`
			StandardErrors map[string]float64 `json:"standard_errors"`
		} `json:"cross_validation"`
	}
	if err := json.Unmarshal(h.download(t, repo, "metrics.json"), &mj); err != nil {
		t.Fatal(err)
	}
	for _, k := range binaryMetricKeys {
		_, ok := mj.Metrics[k]
		_, okCV := mj.CV.Metrics[k]
		if _, okSE := mj.CV.StandardErrors[k]; !ok || !okCV || !okSE {
			t.Errorf("%s metrics.json lacks %s (validation %v, cross-validated %v, standard error %v)", repo, k, ok, okCV, okSE)
		}
	}
	card := h.checkCard(t, repo, paths)
	if card.expected["accuracy"] != mj.CV.Metrics["accuracy"] || card.validation["accuracy"] != mj.Metrics["accuracy"] {
		t.Errorf("%s card accuracy %v (expected) and %v (validation), metrics.json %v and %v", repo,
			card.expected["accuracy"], card.validation["accuracy"], mj.CV.Metrics["accuracy"], mj.Metrics["accuracy"])
	}
	card.expectedSE = mj.CV.StandardErrors["accuracy"]
	return card
}

// cardFigures are a result card's model-index figures.
type cardFigures struct {
	// expected are the cross-validated estimates (split cvSplit), which
	// the card presents as the accuracy to expect on new images;
	// expectedSE is the accuracy's standard error (metrics.json).
	expected   map[string]float64
	expectedSE float64
	// validation are measured on the validation split.
	validation map[string]float64
}

// checkCard checks a result repo's README.md and returns its figures.
func (h *trainHub) checkCard(t *testing.T, repo string, paths []string) cardFigures {
	t.Helper()
	fm, body := frontMatter(t, h.download(t, repo, "README.md"))
	if fm["base_model"] != baseModel || fm["pipeline_tag"] != "image-classification" || fm["license"] == nil {
		t.Errorf("%s card: base_model %v, pipeline_tag %v, license %v", repo, fm["base_model"], fm["pipeline_tag"], fm["license"])
	}
	if ds, _ := fm["datasets"].([]any); !slices.Contains(ds, any("trainer/amber-data")) {
		t.Errorf("%s card datasets %v", repo, fm["datasets"])
	}
	if tags, _ := fm["tags"].([]any); len(tags) == 0 {
		t.Errorf("%s card has no tags", repo)
	}
	widget, _ := fm["widget"].([]any)
	if len(widget) == 0 {
		t.Errorf("%s card has no widget examples", repo)
	}
	for _, w := range widget {
		if src, _ := w.(map[string]any)["src"].(string); !slices.Contains(paths, src) {
			t.Errorf("%s widget example %q is not in the repo", repo, src)
		}
	}
	bySplit := cardMetrics(t, fm)
	f := cardFigures{expected: bySplit[cvSplit], validation: bySplit["validation"]}
	for _, k := range []string{"loss", "accuracy", "precision", "recall", "f1", "roc_auc"} {
		_, okCV := f.expected[k]
		if _, ok := f.validation[k]; !ok || !okCV {
			t.Errorf("%s model-index lacks %s on the validation split or %s (has %v)", repo, k, cvSplit, bySplit)
		}
	}
	lower := strings.ToLower(body)
	for _, want := range []string{"confusion_matrix.png", "roc_curve.png", "synthetic", "| ", "trainer/amber-data",
		fmt.Sprintf("expected accuracy on new images like these: %.4f", f.expected["accuracy"]),
		"5-fold cross-validation, 500 images"} {
		if !strings.Contains(lower, strings.ToLower(want)) {
			t.Errorf("%s card body lacks %q:\n%s", repo, want, body)
		}
	}
	return f
}

// podmanProject trains the same project in Podman containers, with the
// threshold tuned for a target recall.
func (h *trainHub) podmanProject(t *testing.T) {
	requireTool(t, podmanImage(t) != "", "podman and the trainer image")
	res, r := h.train(t, "--dataset", "trainer/amber-data", "--project", "trainer/amber-podman",
		"--positive", tiles.LabelMine, "--runner", "podman", "--target-recall", "0.9")
	if r.err != nil {
		t.Fatalf("quarry train --runner podman: %s", r)
	}
	t.Logf("500-image 3-candidate project with the Podman runner: %v", r.elapsed.Round(time.Millisecond))
	checkLeaderboard(t, res, "trainer/amber-podman")
	p, err := h.api.Project(context.Background(), res.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Candidates {
		if c.Job == nil || !strings.HasPrefix(c.Job.Handle, "podman:") {
			t.Errorf("candidate %s did not run in Podman: %+v", c.Name, c.Job)
		}
		if c.Metrics["recall"] < 0.9 {
			t.Errorf("candidate %s: recall %v under the 0.9 target", c.Name, c.Metrics["recall"])
		}
	}
	h.checkResultRepo(t, res.Winner, true)
}

// podmanImage returns the trainer image of the binary under test, built
// with scripts/podman-image.sh when missing, or "" without podman.
func podmanImage(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		return ""
	}
	image, err := podman.ImageFor(quarryBin)
	if err != nil {
		t.Fatal(err)
	}
	if exec.Command("podman", "image", "exists", image).Run() != nil {
		out, err := exec.Command("bash", "../scripts/podman-image.sh", "--binary", quarryBin).CombinedOutput()
		if err != nil {
			t.Fatalf("scripts/podman-image.sh: %v\n%s", err, out)
		}
	}
	return image
}

// startProject starts a one-candidate project without waiting and returns
// it once its job extracts features.
func (h *trainHub) startProject(t *testing.T, name, head string) (*hubclient.Project, string) {
	t.Helper()
	r := h.cli(time.Minute, "train", "--dataset", "trainer/amber-data", "--project", name, "--head", head,
		"--positive", tiles.LabelMine)
	var p hubclient.Project
	if r.err != nil || json.Unmarshal([]byte(r.last()), &p) != nil || p.ID == "" {
		t.Fatalf("quarry train without --wait: %s", r)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cur, err := h.api.Project(context.Background(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j := cur.Candidates[0].Job; j != nil && j.Progress.Phase == "features" && j.Progress.Done > 0 {
			return cur, j.ID
		} else if j != nil && j.Terminal() {
			t.Fatalf("job ended before feature extraction: %+v", j)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no feature extraction after 2 minutes: %+v", cur.Candidates[0].Job)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cancelDuringFeatures cancels a project while its job extracts features:
// the task must be gone within 5 s and the job cancelled.
func (h *trainHub) cancelDuringFeatures(t *testing.T) {
	p, jobID := h.startProject(t, "trainer/cancelled", "mlp")
	if len(taskPIDs(jobID)) == 0 {
		t.Fatalf("no trainer process of job %s", jobID)
	}
	start := time.Now()
	if _, err := h.api.CancelProject(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	for len(taskPIDs(jobID)) > 0 {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the trainer of job %s still runs 5 s after the cancel", jobID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("trainer gone %v after the cancel", time.Since(start).Round(time.Millisecond))
	j, err := h.api.Job(context.Background(), jobID)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := h.api.Project(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != "cancelled" || cur.State != "cancelled" {
		t.Fatalf("after cancel: job %s, project %s", j.State, cur.State)
	}
}

// killedTrainer kills a trainer with SIGKILL: its job must be failed with
// its last log lines, and events sent afterwards with its token (a late
// success, a duplicate, progress) must not move it.
func (h *trainHub) killedTrainer(t *testing.T) {
	_, jobID := h.startProject(t, "trainer/killed", "logreg")
	var token string
	for pid, env := range taskPIDs(jobID) {
		token = env["QUARRY_JOB_TOKEN"]
		if err := killPID(pid); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	var j *hubclient.Job
	for {
		var err error
		if j, err = h.api.Job(context.Background(), jobID); err != nil {
			t.Fatal(err)
		}
		if j.Terminal() && len(j.LastLogLines) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s 15 s after SIGKILL: %+v", jobID, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if j.State != "failed" || j.Error == "" || !strings.Contains(strings.Join(j.LastLogLines, "\n"), "features") {
		t.Fatalf("killed trainer: state %s, error %q, last lines %q", j.State, j.Error, j.LastLogLines)
	}
	t.Logf("killed trainer: %s: %q, %d last log lines", j.State, j.Error, len(j.LastLogLines))
	worker := hubclient.New(h.s.URL, token)
	for _, ev := range []hubclient.JobEvent{
		{State: "succeeded", Metrics: map[string]float64{"accuracy": 1}},
		{State: "succeeded", Metrics: map[string]float64{"accuracy": 1}},
		{Progress: &hubclient.Progress{Phase: "fit", Done: 1, Total: 1}},
		{State: "running"},
	} {
		_, _ = worker.PostJobEvent(context.Background(), jobID, ev) // refused or ignored: both are fine
	}
	after, err := h.api.Job(context.Background(), jobID)
	if err != nil {
		t.Fatal(err)
	}
	if after.State != "failed" || after.Error != j.Error || len(after.Metrics) != len(j.Metrics) ||
		deref(after.FinishedAt) != deref(j.FinishedAt) || after.Progress != j.Progress {
		t.Fatalf("late events moved the failed job: before %+v, after %+v", j, after)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
