// Package pipeline is Quarry's trainer logic as a library, without HTTP or
// jobs: it validates an imagefolder dataset (a directory or a zip), splits
// it, extracts backbone features once with ONNX Runtime (batched, decoding
// on all cores, features cached by image content hash so candidates on the
// same backbone share them), fits each candidate head (logistic regression,
// MLP, gradient-boosted trees), evaluates it on the validation split with
// AutoTrain's metrics, optionally tunes the decision threshold for a target
// recall, estimates each candidate's accuracy on new images by stratified
// k-fold cross-validation over all the images (heads are cheap next to
// feature extraction), ranks the candidates by the chosen metric (its
// cross-validated value when there is one) and builds each
// candidate's publishable repo files (config.json, preprocessor_config.json,
// onnx/model.onnx with `pixel_values` in and raw `logits` out,
// training_params.json, metrics.json, confusion-matrix and ROC PNGs, widget
// examples and a README.md model card). Progress is reported through a
// callback.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"quarry/train/dataset"
	"quarry/train/heads"
)

// Result is the outcome of Run.
type Result struct {
	// Report is the dataset validation report (also set when Run refuses
	// the dataset).
	Report dataset.Report
	// Labels are the class labels in class-id (logit) order; Positive is
	// the positive label of a binary task.
	Labels   []string
	Positive string
	// Train and Validation are the split, in label then path order.
	Train, Validation []Item
	// SplitSource is "given" (validation folder) or "stratified".
	SplitSource string
	// Tuning is the inner tuning split: a stratified share of Train
	// (Options.TuningFraction) on which the heads select hyper-parameters
	// and the threshold is tuned; the rest of Train fits the selection
	// heads. The final heads are refitted on all of Train.
	Tuning []Item
	// CVItems are all the images of the split (Train and Validation, in
	// label then path order) and Folds their cross-validation folds; both
	// are nil when the candidates were not cross-validated.
	CVItems []Item
	Folds   []int
	// Candidates are in Options order; Winner indexes the best.
	Candidates []Candidate
	Winner     int
	// RankedBy is the metrics key the ranking used; RankedOn is
	// RankedOnCV when the candidates were ranked by their cross-validated
	// value of it, else RankedOnValidation.
	RankedBy string
	RankedOn string
	// Durations of the phases.
	Durations map[string]time.Duration
}

// Item is one image of the split.
type Item struct {
	// Path is the dataset-relative path (slash-separated).
	Path  string `json:"path"`
	Label string `json:"label"`
	Class int    `json:"class"`
	// Hash is the hex SHA-256 of the file's bytes.
	Hash string `json:"hash"`
	file string
}

// Candidate is a trained, evaluated and packaged candidate.
type Candidate struct {
	Name      string
	BaseModel string
	// Head is the head kind ("logreg", "mlp", "gbdt").
	Head string
	// Metrics are the validation metrics under AutoTrain's keys, at
	// Threshold for a binary task.
	Metrics map[string]float64
	// Threshold is the positive-class decision threshold (0.5 unless tuned).
	Threshold float64
	// Tuned is true when Threshold was tuned for the target recall.
	Tuned bool
	// Rank is 1 for the best candidate.
	Rank int
	// Files are the repo files, by path.
	Files map[string][]byte
	// Model is the fitted head: refitted on the whole training split with
	// the hyper-parameters Selection chose when Refitted, else Selection.
	Model heads.Model
	// Selection is the head fitted on the training split minus Tuning,
	// its hyper-parameters and early stopping chosen on Tuning.
	Selection heads.Model
	// Refitted is true when Model was refitted on the whole training split.
	Refitted bool
	// ValidationProbs are the head's class probabilities on Validation.
	ValidationProbs [][]float64
	// CV is the candidate's k-fold cross-validated estimate over all the
	// images (nil when not cross-validated).
	CV *CrossValidation
}

// What the candidates were ranked on (Result.RankedOn).
const (
	RankedOnCV         = "cross-validation"
	RankedOnValidation = "validation"
)

// Phases reported in Events and Durations.
const (
	PhaseValidate = "validate"
	PhaseSplit    = "split"
	PhaseFeatures = "features"
	PhaseTrain    = "train"
	// PhaseCrossValidate counts folds: k per candidate.
	PhaseCrossValidate = "crossvalidate"
	PhasePackage       = "package"
	PhaseDone          = "done"
)

// Event is a progress report.
type Event struct {
	Phase string `json:"phase"`
	// Candidate is set during train and package.
	Candidate string `json:"candidate,omitempty"`
	// Done of Total units (images for validate and features, candidates
	// for train and package).
	Done  int `json:"done"`
	Total int `json:"total"`
	// Elapsed is the time spent in the phase; ETA the estimated time left
	// in it (0 when unknown).
	Elapsed time.Duration `json:"elapsed"`
	ETA     time.Duration `json:"eta"`
	Message string        `json:"message,omitempty"`
}

// Run trains and packages the candidates of opts on its dataset. An invalid
// dataset is refused before any feature extraction: the error wraps
// dataset.ErrInvalid and the Result carries the Report. A cancelled ctx
// stops the run between image batches and returns ctx's error. progress
// may be nil.
func Run(ctx context.Context, opts Options, progress func(Event)) (*Result, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	r := &run{opts: opts, progress: progress, res: &Result{Durations: map[string]time.Duration{}}}
	if r.progress == nil {
		r.progress = func(Event) {}
	}
	err = r.run(ctx)
	if err != nil {
		if errors.Is(err, dataset.ErrInvalid) {
			return r.res, fmt.Errorf("pipeline: %w", err)
		}
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return r.res, nil
}

// run holds the state of one Run.
type run struct {
	opts     Options
	progress func(Event)
	res      *Result
	root     string // the dataset directory (extracted when a zip)
	records  []dataset.Record
	fit      []Item        // Train minus Tuning
	evals    []*evaluation // per candidate
}

func (r *run) run(ctx context.Context) error {
	cleanup, err := r.openDataset()
	defer cleanup()
	if err != nil {
		return err
	}
	if err := r.validate(ctx); err != nil {
		return err
	}
	rankBy, err := rankKey(r.opts.Metric, len(r.res.Labels))
	if err != nil {
		return err
	}
	r.res.RankedBy = rankBy
	r.split()
	feats, err := r.features(ctx)
	if err != nil {
		return err
	}
	if err := r.trainAll(ctx, feats); err != nil {
		return err
	}
	if err := r.crossValidateAll(ctx, feats); err != nil {
		return err
	}
	r.rank()
	if err := r.packageAll(ctx); err != nil {
		return err
	}
	w := r.res.Candidates[r.res.Winner]
	msg := fmt.Sprintf("winner %s (validation %s %.4f)", w.Name, rankBy, w.Metrics[rankBy])
	if w.CV != nil {
		msg = fmt.Sprintf("winner %s (%d-fold cross-validated %s %.4f ± %.4f, validation %.4f)", w.Name, w.CV.Folds,
			rankBy, w.CV.Metrics[rankBy], w.CV.StdErr[rankBy], w.Metrics[rankBy])
	}
	r.emit(Event{Phase: PhaseDone, Done: len(r.res.Candidates), Total: len(r.res.Candidates), Message: msg})
	return nil
}

func (r *run) emit(e Event) { r.progress(e) }

// phase times a phase into Durations and returns its start.
func (r *run) phase(name string) (start time.Time, end func()) {
	start = r.opts.Now()
	return start, func() { r.res.Durations[name] += r.opts.Now().Sub(start) }
}

// eta estimates the time left from the time spent on done of total units.
func eta(elapsed time.Duration, done, total int) time.Duration {
	if done <= 0 || total <= done {
		return 0
	}
	return time.Duration(float64(elapsed) / float64(done) * float64(total-done))
}

// defaultName is "<backbone folder>-<head>".
func defaultName(c CandidateSpec) string {
	return filepath.Base(filepath.Clean(c.BackboneDir)) + "-" + c.Head
}

// labelIndex returns the class id of label.
func (r *run) labelIndex(label string) int { return slices.Index(r.res.Labels, label) }
