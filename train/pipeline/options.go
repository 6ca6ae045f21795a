package pipeline

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"quarry/ml/onnxrt"
	"quarry/train/dataset"
	"quarry/train/heads"
	"quarry/train/metrics"
)

// Defaults of Options.
const (
	DefaultMetric    = metrics.KeyF1
	DefaultBatchSize = 8
	DefaultExamples  = 4
	DefaultLicense   = "other"
	// DefaultTuningFraction is the share of the training split held out
	// for model selection.
	DefaultTuningFraction = 0.2
)

// CandidateSpec is one candidate to train: a head on a backbone.
type CandidateSpec struct {
	// Name identifies the candidate (default "<backbone dir name>-<head>").
	Name string
	// BackboneDir holds config.json, preprocessor_config.json and
	// onnx/model.onnx (default Options.Backbone).
	BackboneDir string
	// BaseModel is the backbone's repo id, for the card's base_model.
	BaseModel string
	// Head is "logreg", "mlp" or "gbdt" (heads.Kinds).
	Head string
	// Trainer overrides the head's default options (heads.Default with
	// Options.Seed); it must fit the Head kind.
	Trainer heads.Trainer
}

// Options configures Run.
type Options struct {
	// Dataset is an imagefolder directory or a .zip file of one.
	Dataset string
	// WorkDir receives an extracted zip (default: a temporary directory
	// removed when Run returns).
	WorkDir string
	// ZipLimits bound a zip upload (dataset.ZipLimits defaults).
	ZipLimits dataset.ZipLimits
	// Positive is the positive label; required for a binary task.
	Positive string
	// MinPerClass is the least number of training images a class needs
	// (default 5, as AutoTrain).
	MinPerClass int
	// Candidates are trained and ranked; at least one.
	Candidates []CandidateSpec
	// Backbone is the default backbone directory of candidates.
	Backbone string
	// Metric ranks the candidates (default f1): loss (lower is better),
	// accuracy, precision, recall, f1, auc for a binary task; loss,
	// accuracy and the macro, micro and weighted precision, recall and f1
	// (f1 alone meaning f1_macro) for a multi-class one.
	Metric string
	// TargetRecall, when in (0, 1], tunes each binary candidate's decision
	// threshold to reach this recall of the positive class on validation.
	TargetRecall float64
	// ValidationFraction is the stratified validation share when the
	// dataset has no validation folder (default 0.2).
	ValidationFraction float64
	// TuningFraction is the stratified share of the training split held
	// out as the inner tuning split (default 0.2): the heads select their
	// hyper-parameters and early stopping, and the decision threshold is
	// tuned, on it; the heads are then refitted on the whole training
	// split. The validation split only measures.
	TuningFraction float64
	// Folds is the number of stratified cross-validation folds over all
	// the images (training and validation splits together) on which each
	// candidate's generalisation is estimated and the candidates are
	// ranked (default DefaultFolds, lowered to the smallest class's size;
	// negative: no cross-validation, rank on the validation split).
	Folds int
	// Seed drives the split and the heads (default 42).
	Seed uint64
	// Threads is the number of image decoding workers (default GOMAXPROCS);
	// ONNX Runtime's own threads are set on the Runtime.
	Threads int
	// BatchSize is the number of images per ONNX Runtime call (default 8).
	BatchSize int
	// Runtime runs the backbones.
	Runtime *onnxrt.Runtime
	// Cache keeps features between runs (default: a cache for this run).
	Cache *FeatureCache
	// Card describes the published model.
	Card CardInfo
	// Now is the clock used for elapsed times and ETAs (default time.Now).
	Now func() time.Time
}

// CardInfo is what the model card says about the model and its data.
type CardInfo struct {
	// ModelID is the repo id the model is published as ("ns/name").
	ModelID string
	// License is the model's license id (default "other").
	License string
	// DatasetID and DatasetRevision name the dataset repo and commit.
	DatasetID       string
	DatasetRevision string
	// DatasetName is the human name of the dataset (default DatasetID, else
	// the dataset folder's name).
	DatasetName string
	// SyntheticData says the images were generated, not observed.
	SyntheticData bool
	// DataDescription is a paragraph on where the data comes from.
	DataDescription string
	// Examples is the number of validation images committed under
	// examples/ as widget examples (default 4; negative for none).
	Examples int
}

// withDefaults fills defaults and checks what can be checked before any
// work.
func (o Options) withDefaults() (Options, error) {
	if o.Dataset == "" {
		return o, errors.New("no dataset")
	}
	if o.Runtime == nil {
		return o, errors.New("no ONNX Runtime")
	}
	if len(o.Candidates) == 0 {
		return o, errors.New("no candidates")
	}
	if o.TargetRecall < 0 || o.TargetRecall > 1 || math.IsNaN(o.TargetRecall) {
		return o, fmt.Errorf("target recall %v outside (0, 1]", o.TargetRecall)
	}
	if o.ValidationFraction == 0 {
		o.ValidationFraction = dataset.DefaultValidationFraction
	}
	if o.ValidationFraction <= 0 || o.ValidationFraction >= 1 {
		return o, fmt.Errorf("validation fraction %v outside (0, 1)", o.ValidationFraction)
	}
	if o.TuningFraction == 0 {
		o.TuningFraction = DefaultTuningFraction
	}
	if o.TuningFraction <= 0 || o.TuningFraction >= 1 {
		return o, fmt.Errorf("tuning fraction %v outside (0, 1)", o.TuningFraction)
	}
	if o.Folds == 0 {
		o.Folds = DefaultFolds
	}
	if o.Metric == "" {
		o.Metric = DefaultMetric
	}
	if !slices.Contains(metricNames, o.Metric) {
		return o, fmt.Errorf("unknown metric %q (want one of %v)", o.Metric, metricNames)
	}
	if o.Seed == 0 {
		o.Seed = dataset.DefaultSeed
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Card.License == "" {
		o.Card.License = DefaultLicense
	}
	if o.Card.Examples == 0 {
		o.Card.Examples = DefaultExamples
	}
	return o.withCandidates()
}

// withCandidates names the candidates and resolves their trainers.
func (o Options) withCandidates() (Options, error) {
	specs := slices.Clone(o.Candidates)
	seen := map[string]bool{}
	for i := range specs {
		c := &specs[i]
		if c.BackboneDir == "" {
			c.BackboneDir = o.Backbone
		}
		if c.BackboneDir == "" {
			return o, fmt.Errorf("candidate %d: no backbone directory", i)
		}
		if c.Trainer == nil {
			t, err := heads.Default(c.Head, o.Seed)
			if err != nil {
				return o, fmt.Errorf("candidate %d: %w", i, err)
			}
			c.Trainer = t
		}
		if c.Name == "" {
			c.Name = defaultName(*c)
		}
		if seen[c.Name] {
			return o, fmt.Errorf("candidate %d: name %q used twice", i, c.Name)
		}
		seen[c.Name] = true
	}
	o.Candidates = specs
	return o, nil
}

// metricNames are the accepted ranking metrics (binary and multi-class).
var metricNames = []string{
	metrics.KeyLoss, metrics.KeyAccuracy, metrics.KeyPrecision, metrics.KeyRecall, metrics.KeyF1, metrics.KeyAUC,
	metrics.KeyF1Macro, metrics.KeyF1Micro, metrics.KeyF1Weighted,
	metrics.KeyPrecisionMacro, metrics.KeyPrecisionMicro, metrics.KeyPrecisionWeighted,
	metrics.KeyRecallMacro, metrics.KeyRecallMicro, metrics.KeyRecallWeighted,
}

// rankKey returns the metrics-map key the ranking metric reads for a task
// of the given number of classes, or an error when it does not apply.
func rankKey(metric string, classes int) (string, error) {
	if classes == 2 {
		switch metric {
		case metrics.KeyLoss, metrics.KeyAccuracy, metrics.KeyPrecision, metrics.KeyRecall, metrics.KeyF1, metrics.KeyAUC:
			return metric, nil
		}
		return "", fmt.Errorf("metric %q is a multi-class metric; this task is binary", metric)
	}
	switch metric {
	case metrics.KeyAUC:
		return "", fmt.Errorf("metric %q is defined for binary tasks only; this task has %d classes", metric, classes)
	case metrics.KeyF1, metrics.KeyPrecision, metrics.KeyRecall:
		return metric + "_macro", nil
	}
	return metric, nil
}
