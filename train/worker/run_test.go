package worker_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubclient"
	"quarry/train/worker"
)

var binaryMetrics = []string{"loss", "accuracy", "precision", "recall", "auc", "f1"}

// TestTrainsAndPushes runs a whole job: download, features, fit, push,
// final report.
func TestTrainsAndPushes(t *testing.T) {
	w := newWorld(t)
	rev := upload(t, w.api, hubclient.Dataset, "alice/tiles", true, tileFiles(t, 11, 15))
	id := w.submit(t, "alice/tiles", rev, "logreg")
	log, err := w.run(context.Background(), t, id)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log)
	}
	j := w.job(t, id)
	if j.State != hub.JobSucceeded {
		t.Fatalf("job %s: %s %s", id, j.State, j.Error)
	}
	for _, k := range binaryMetrics {
		for _, key := range []string{k, worker.CVPrefix + k, worker.CVPrefix + k + worker.CVSESuffix} {
			if _, ok := j.Metrics[key]; !ok {
				t.Errorf("metric %s missing from %v", key, j.Metrics)
			}
		}
	}
	if se := j.Metrics["cv_accuracy_se"]; se < 0 || se > 0.5 {
		t.Errorf("cross-validated accuracy's standard error %v", se)
	}
	if j.Metrics["accuracy"] < 0.6 {
		t.Errorf("accuracy %v on separable synthetic tiles", j.Metrics["accuracy"])
	}
	tree, err := w.api.Tree(context.Background(), hubclient.Model, "alice/proj-logreg", "main", "", true)
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
			t.Errorf("output repo lacks %s: %v", p, paths)
		}
	}
	var params strings.Builder
	if _, err := w.api.Download(context.Background(), hubclient.Model, "alice/proj-logreg", "main", "training_params.json", &params); err != nil {
		t.Fatal(err)
	}
	env := w.runner.env(t, id)
	if tok := env["QUARRY_JOB_TOKEN"]; tok == "" || strings.Contains(params.String(), tok) || strings.Contains(params.String(), "hf_") {
		t.Fatalf("training_params.json holds a token: %s", params.String())
	}
	var card strings.Builder
	if _, err := w.api.Download(context.Background(), hubclient.Model, "alice/proj-logreg", "main", "README.md", &card); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(card.String(), "alice/tiles") || !strings.Contains(card.String(), "alice/proj") {
		t.Errorf("card names neither the dataset nor the project:\n%s", card.String())
	}
}

// TestRefusedDatasetFails reports a one-class dataset as a failure with
// the reason.
func TestRefusedDatasetFails(t *testing.T) {
	w := newWorld(t)
	files := tileFiles(t, 12, 6)
	for p := range files {
		if strings.HasPrefix(p, "no_mine/") {
			delete(files, p)
		}
	}
	rev := upload(t, w.api, hubclient.Dataset, "alice/one", true, files)
	id := w.submit(t, "alice/one", rev, "gbdt")
	log, err := w.run(context.Background(), t, id)
	if err == nil {
		t.Fatalf("a one-class dataset trained:\n%s", log)
	}
	j := w.job(t, id)
	if j.State != hub.JobFailed || !strings.Contains(j.Error, "class") {
		t.Fatalf("job %s: %s %q, want failed naming the classes", id, j.State, j.Error)
	}
}

// TestStopsDuringFeatures cancels the worker's context (SIGTERM) and the
// job through the hub while features are extracted: both stop it fast.
func TestStopsDuringFeatures(t *testing.T) {
	w := newWorld(t)
	rev := upload(t, w.api, hubclient.Dataset, "alice/big", true, tileFiles(t, 13, 60))
	for _, how := range []string{"signal", "hub"} {
		t.Run(how, func(t *testing.T) {
			id := w.submit(t, "alice/big", rev, map[string]string{"signal": "mlp", "hub": "logreg"}[how])
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type result struct {
				log string
				err error
				at  time.Time
			}
			done := make(chan result, 1)
			go func() {
				log, err := w.run(ctx, t, id)
				done <- result{log, err, time.Now()}
			}()
			deadline := time.Now().Add(2 * time.Minute)
			for w.job(t, id).Progress.Phase != "features" || w.job(t, id).Progress.Done == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("no feature progress: %+v", w.job(t, id))
				}
				time.Sleep(20 * time.Millisecond)
			}
			start := time.Now()
			if how == "signal" {
				cancel()
			} else if _, err := w.jobs.Cancel(context.Background(), &hub.Caller{User: &hub.User{Name: "alice"}}, id); err != nil {
				t.Fatal(err)
			}
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the worker did not stop within 10 s")
			}
			if el := r.at.Sub(start); el > 5*time.Second || r.err == nil {
				t.Fatalf("stopped after %v with %v\n%s", el, r.err, r.log)
			}
			t.Logf("%s: stopped %v after the cancel", how, r.at.Sub(start).Round(time.Millisecond))
			if how == "hub" && w.job(t, id).State != hub.JobCancelled {
				t.Fatalf("job %s after a hub cancel", w.job(t, id).State)
			}
		})
	}
}

// TestNeedsJobEnvironment refuses to run outside a job.
func TestNeedsJobEnvironment(t *testing.T) {
	err := worker.Run(context.Background(), worker.Config{Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "QUARRY_") {
		t.Fatalf("Run without a job: %v", err)
	}
}

// TestBadSpecFails reports a malformed spec as a failed job.
func TestBadSpecFails(t *testing.T) {
	w := newWorld(t)
	rev := upload(t, w.api, hubclient.Dataset, "alice/small", true, tileFiles(t, 14, 5))
	id := w.submit(t, "alice/small", rev, "logreg")
	env := w.runner.env(t, id)
	env[worker.EnvTargetRecall] = "2"
	if _, err := w.run(context.Background(), t, id); err == nil {
		t.Fatal("a target recall of 2 was accepted")
	}
	j := w.job(t, id)
	if b, _ := json.Marshal(j.Error); j.State != hub.JobFailed || !strings.Contains(j.Error, worker.EnvTargetRecall) {
		t.Fatalf("job %s %s", j.State, b)
	}
}
