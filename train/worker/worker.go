// Package worker is Quarry's trainer task (`quarry train-worker`, and the
// container entrypoint functions/trainer): it reads its job from the
// environment, downloads the dataset and the base model through the hub's
// public API with the job token, trains its one candidate with
// train/pipeline, pushes the result files to the output repo (preupload,
// LFS, commit), and reports progress, metrics and its final state to the
// hub's job events API.
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"quarry/hub/hubclient"
	"quarry/ml/onnxrt"
	"quarry/train/pipeline"
)

// Config configures Run.
type Config struct {
	// Getenv reads the task's environment.
	Getenv func(string) string
	// Log receives the task's log lines (the job's log).
	Log io.Writer
	// ORTLib is the ONNX Runtime library when QUARRY_ORT_LIB is not set.
	ORTLib string
	// Interval is the least time between progress reports (default 500ms).
	Interval time.Duration
	// TempDir holds the task's work directory (default os.TempDir()).
	TempDir string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// task is one run of the trainer.
type task struct {
	cfg    Config
	spec   Spec
	api    *hubclient.Client
	rep    *reporter
	dir    string
	mu     sync.Mutex
	logged map[string]int // last logged tenth of each phase
}

// Run runs the job the environment describes. It returns an error when
// the job failed (after reporting it) or was stopped through ctx (not
// reported: the hub cancelled it, or the runner reports the exit).
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	spec, err := jobSpec(cfg.Getenv)
	if err != nil {
		return fmt.Errorf("train-worker: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := &task{cfg: cfg, spec: spec, api: hubclient.New(spec.Endpoint, spec.Token), logged: map[string]int{}}
	t.api.UserAgent = "quarry-train-worker/1"
	t.rep = newReporter(t.api, spec.JobID, cfg.Interval, cancel, t.logf)
	defer t.rep.close()
	t.logf("job %s: training starts", spec.JobID)
	t.report("prepare", 0, 0, 0)
	metrics, err := t.run(ctx)
	if err != nil {
		if ctx.Err() != nil {
			t.logf("stopped: %v", ctx.Err())
			return fmt.Errorf("train-worker: stopped: %w", ctx.Err())
		}
		t.logf("failed: %v", err)
		t.rep.finish(hubclient.JobEvent{State: "failed", Error: err.Error()})
		return fmt.Errorf("train-worker: %w", err)
	}
	if !t.rep.finish(hubclient.JobEvent{State: "succeeded", Metrics: metrics,
		Progress: &hubclient.Progress{Phase: "done", Done: 1, Total: 1}}) {
		return errors.New("train-worker: the hub did not take the final report")
	}
	t.logf("succeeded")
	return nil
}

func (cfg Config) withDefaults() Config {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 500 * time.Millisecond
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// run does the work and returns the candidate's metrics.
func (t *task) run(ctx context.Context) (map[string]float64, error) {
	spec, err := trainSpec(t.spec, t.cfg.Getenv)
	if err != nil {
		return nil, err
	}
	t.spec = spec
	if t.dir, err = os.MkdirTemp(t.cfg.TempDir, "quarry-train-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(t.dir)
	rt, err := t.openRuntime()
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	in, err := t.fetch(ctx)
	if err != nil {
		return nil, err
	}
	res, err := t.train(ctx, rt, in)
	if err != nil {
		return nil, err
	}
	c := res.Candidates[0]
	if err := t.push(ctx, c); err != nil {
		return nil, err
	}
	return finiteMetrics(c), nil
}

// openRuntime loads ONNX Runtime.
func (t *task) openRuntime() (*onnxrt.Runtime, error) {
	lib := cmpOr(t.cfg.Getenv(EnvORTLib), t.cfg.ORTLib)
	if lib == "" {
		return nil, errors.New("no ONNX Runtime library: set " + EnvORTLib + " (run make setup)")
	}
	rt, err := onnxrt.Open(lib, onnxrt.Options{IntraOpThreads: t.spec.Threads})
	if err != nil {
		return nil, fmt.Errorf("ONNX Runtime at %s (run make setup): %w", lib, err)
	}
	t.logf("ONNX Runtime %s from %s", rt.Version(), lib)
	return rt, nil
}

// train runs the pipeline for the one candidate.
func (t *task) train(ctx context.Context, rt *onnxrt.Runtime, in inputs) (*pipeline.Result, error) {
	s := t.spec
	opts := pipeline.Options{Dataset: in.dataset, WorkDir: filepath.Join(t.dir, "extracted"), Positive: s.Positive,
		Candidates: []pipeline.CandidateSpec{{Name: s.candidateName(), BackboneDir: in.base, BaseModel: s.Base, Head: s.Head}},
		Metric:     s.Metric, TargetRecall: s.TargetRecall, Seed: s.Seed, Runtime: rt, Now: t.cfg.Now,
		Card: pipeline.CardInfo{ModelID: cmpOr(in.project, s.Output), DatasetID: s.Dataset,
			DatasetRevision: cmpOr(s.Revision, in.revision), SyntheticData: s.Synthetic}}
	res, err := pipeline.Run(ctx, opts, t.onEvent)
	if err != nil {
		return nil, err
	}
	if len(res.Candidates) != 1 || len(res.Candidates[0].Files) == 0 {
		return nil, errors.New("pipeline: no candidate files")
	}
	c := res.Candidates[0]
	t.logf("%s: %s (%d training, %d validation images, %s split)", c.Name, formatMetrics(c.Metrics),
		len(res.Train), len(res.Validation), res.SplitSource)
	if cv := c.CV; cv != nil {
		t.logf("%s: %d-fold cross-validation over %d images: accuracy %.4f ± %.4f", c.Name, cv.Folds, cv.Images,
			cv.Metrics["accuracy"], cv.StdErr["accuracy"])
	}
	return res, nil
}

// phaseNames maps pipeline phases onto the job's.
var phaseNames = map[string]string{pipeline.PhaseValidate: "validate", pipeline.PhaseSplit: "validate",
	pipeline.PhaseFeatures: "features", pipeline.PhaseTrain: "fit", pipeline.PhaseCrossValidate: "crossvalidate",
	pipeline.PhasePackage: "package", pipeline.PhaseDone: "package"}

func (t *task) onEvent(e pipeline.Event) {
	phase := cmpOr(phaseNames[e.Phase], e.Phase)
	t.report(phase, e.Done, e.Total, e.ETA)
	if e.Message != "" {
		t.logf("%s: %s", e.Phase, e.Message)
	}
}

// report records progress and logs it at phase changes and every tenth.
func (t *task) report(phase string, done, total int, eta time.Duration) {
	t.rep.progress(hubclient.Progress{Phase: phase, Done: int64(done), Total: int64(total),
		ETASeconds: math.Round(eta.Seconds()*10) / 10})
	tenth := 0
	if total > 0 {
		tenth = done * 10 / total
	}
	t.mu.Lock()
	last, ok := t.logged[phase]
	if !ok || tenth > last {
		t.logged[phase] = tenth
	}
	t.mu.Unlock()
	if !ok || tenth > last {
		t.logf("%s %d/%d (eta %s)", phase, done, total, eta.Round(time.Second))
	}
}

// push commits the candidate's files to the output repo.
func (t *task) push(ctx context.Context, c pipeline.Candidate) error {
	files := make([]hubclient.UploadFile, 0, len(c.Files))
	for _, p := range slices.Sorted(maps.Keys(c.Files)) {
		files = append(files, hubclient.UploadFile{Path: p, Data: c.Files[p]})
	}
	t.report("upload", 0, len(files), 0)
	summary := fmt.Sprintf("Train %s (%s head on %s) on %s", c.Name, c.Head, t.spec.Base, t.spec.Dataset)
	info, err := t.api.UploadFiles(ctx, hubclient.Model, t.spec.Output, "main", summary, files, func(done, total int) {
		t.report("upload", done, total, 0)
	})
	if err != nil {
		return fmt.Errorf("push to %s: %w", t.spec.Output, err)
	}
	t.logf("pushed %d files to %s at %s", len(files), t.spec.Output, info.OID)
	return nil
}

// Prefixes and suffix of the cross-validated metrics reported to the hub:
// "cv_accuracy" is the cross-validated accuracy, "cv_accuracy_se" its
// standard error.
const (
	CVPrefix   = "cv_"
	CVSESuffix = "_se"
)

// finiteMetrics are the candidate's metrics the hub can store: the
// validation metrics, the cross-validated ones (CVPrefix) with their
// standard errors (CVSESuffix), and the decision threshold when it was
// tuned.
func finiteMetrics(c pipeline.Candidate) map[string]float64 {
	out := map[string]float64{}
	add := func(k string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	for k, v := range c.Metrics {
		add(k, v)
	}
	if c.CV != nil {
		for k, v := range c.CV.Metrics {
			add(CVPrefix+k, v)
			add(CVPrefix+k+CVSESuffix, c.CV.StdErr[k])
		}
	}
	if c.Tuned {
		out["threshold"] = c.Threshold
	}
	return out
}

func formatMetrics(m map[string]float64) string {
	s := ""
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s += fmt.Sprintf("%s=%.4f ", k, m[k])
	}
	return s
}

func (t *task) logf(format string, args ...any) {
	fmt.Fprintf(t.cfg.Log, "%s %s\n", t.cfg.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
