package pipeline

import (
	"encoding/json"
	"fmt"
	"math"

	"quarry/train/dataset"
	"quarry/train/heads"
	"quarry/train/metrics"
)

// Task names in training_params.json and metrics.json.
const (
	TaskBinary     = "binary"
	TaskMulticlass = "multiclass"
)

func (r *run) task() string {
	if len(r.res.Labels) == 2 {
		return TaskBinary
	}
	return TaskMulticlass
}

// trainingParams is training_params.json: everything needed to reproduce
// the candidate, and no secrets (no tokens, no local paths).
type trainingParams struct {
	Candidate     string         `json:"candidate"`
	BaseModel     string         `json:"base_model,omitempty"`
	Head          string         `json:"head"`
	HeadOptions   any            `json:"head_options"`
	OptionsNote   string         `json:"head_options_note"`
	HeadFitted    map[string]any `json:"head_fitted"`
	HeadSelection map[string]any `json:"head_selection"`
	Selection     string         `json:"selection"`
	Seed          uint64         `json:"seed"`
	Task          string         `json:"task"`
	Labels        []string       `json:"labels"`
	PositiveLabel string         `json:"positive_label,omitempty"`
	RankedBy      string         `json:"ranked_by"`
	RankedOn      string         `json:"ranked_on"`
	CV            *cvParams      `json:"cross_validation,omitempty"`
	TargetRecall  float64        `json:"target_recall,omitempty"`
	Threshold     float64        `json:"threshold"`
	BatchSize     int            `json:"batch_size"`
	Split         splitParams    `json:"split"`
	Dataset       datasetParams  `json:"dataset"`
}

type splitParams struct {
	Source             string               `json:"source"`
	ValidationFraction float64              `json:"validation_fraction,omitempty"`
	Train              int                  `json:"train"`
	Validation         int                  `json:"validation"`
	Tuning             tuningSplitParams    `json:"tuning"`
	Classes            []dataset.ClassCount `json:"classes"`
}

// tuningSplitParams describe the inner tuning split of the training data.
type tuningSplitParams struct {
	Fraction float64 `json:"fraction"`
	Seed     uint64  `json:"seed"`
	Fit      int     `json:"fit"`
	Tuning   int     `json:"tuning"`
}

// selectionNote says how hyper-parameters and the threshold were chosen.
func (r *run) selectionNote(c *Candidate) string {
	s := fmt.Sprintf("inner split of the training data: a stratified %.0f %% of the training split (%d images, seed %d) "+
		"was held out as a tuning split; the head was fitted on the other %d training images and its hyper-parameters "+
		"and early stopping were chosen on the tuning split", 100*r.opts.TuningFraction, len(r.res.Tuning),
		r.tuningSeed(), len(r.fit))
	if c.Tuned {
		s += ", as was the decision threshold (on that head's tuning-split probabilities)"
	}
	if c.Refitted {
		s += "; the head was then refitted on the whole training split with the chosen hyper-parameters"
	}
	s += "; the validation split took no part in fitting or tuning and is only used to measure the metrics"
	switch {
	case len(r.res.Candidates) > 1 && r.res.RankedOn == RankedOnCV:
		s += fmt.Sprintf("; the %d candidates were ranked by their cross-validated %s", len(r.res.Candidates), r.res.RankedBy)
	case len(r.res.Candidates) > 1:
		s += fmt.Sprintf(", and to rank the %d candidates by %s", len(r.res.Candidates), r.res.RankedBy)
	}
	if cv := c.CV; cv != nil {
		s += fmt.Sprintf("; cross-validation: each of %d stratified folds of all %d images was measured on a head "+
			"fitted the same way (its own inner tuning split, selection and refit) on the other folds", cv.Folds, cv.Images)
	}
	return s
}

// cvParams describe the cross-validation of training_params.json.
type cvParams struct {
	Folds          int     `json:"folds"`
	Images         int     `json:"images"`
	Seed           uint64  `json:"seed"`
	TuningFraction float64 `json:"tuning_fraction"`
}

type datasetParams struct {
	ID        string `json:"id,omitempty"`
	Revision  string `json:"revision,omitempty"`
	Name      string `json:"name"`
	Synthetic bool   `json:"synthetic"`
}

func (r *run) trainingParams(spec CandidateSpec, c *Candidate) ([]byte, error) {
	p := trainingParams{
		Candidate: c.Name, BaseModel: c.BaseModel, Head: c.Head, HeadOptions: spec.Trainer,
		OptionsNote:   "zero or empty options take the defaults of Quarry's train/heads package; head_fitted shows what fitting chose",
		HeadFitted:    withKV(fitted(c.Model), "refitted_on_whole_training_split", c.Refitted),
		HeadSelection: withKV(fitted(c.Selection), "fitted_on", "training split minus tuning split"),
		Selection:     r.selectionNote(c), Seed: r.opts.Seed, Task: r.task(), Labels: r.res.Labels,
		PositiveLabel: r.res.Positive, RankedBy: r.res.RankedBy, RankedOn: r.res.RankedOn, Threshold: c.Threshold,
		BatchSize: r.opts.BatchSize,
		Split: splitParams{Source: r.res.SplitSource, Train: len(r.res.Train), Validation: len(r.res.Validation),
			Tuning: tuningSplitParams{Fraction: r.opts.TuningFraction, Seed: r.tuningSeed(), Fit: len(r.fit),
				Tuning: len(r.res.Tuning)},
			Classes: r.res.Report.Classes},
		Dataset: datasetParams{ID: r.opts.Card.DatasetID, Revision: r.opts.Card.DatasetRevision,
			Name: r.datasetName(), Synthetic: r.opts.Card.SyntheticData},
	}
	if c.Tuned {
		p.TargetRecall = r.opts.TargetRecall
	}
	if cv := c.CV; cv != nil {
		p.CV = &cvParams{Folds: cv.Folds, Images: cv.Images, Seed: cv.Seed, TuningFraction: r.opts.TuningFraction}
	}
	if r.res.SplitSource == "stratified" {
		p.Split.ValidationFraction = r.opts.ValidationFraction
	}
	return marshal(p)
}

// withKV adds k: v to m (a nil m stays nil).
func withKV(m map[string]any, k string, v any) map[string]any {
	if m != nil {
		m[k] = v
	}
	return m
}

// fitted summarises what fitting chose (L2, epochs, boosting rounds); the
// losses are measured on the set the head was given to select on (the
// tuning split), or on its training data when it was given none.
func fitted(m heads.Model) map[string]any {
	switch h := m.(type) {
	case *heads.LogReg:
		grid := make([]map[string]any, len(h.Grid))
		for i, g := range h.Grid {
			grid[i] = map[string]any{"l2": g.L2, "tuning_loss": finite(g.ValLoss),
				"tuning_accuracy": finite(g.ValAccuracy), "iterations": g.Iterations}
		}
		return map[string]any{"l2": h.L2, "grid": grid}
	case *heads.MLP:
		return map[string]any{"hidden": h.Hidden, "epochs": h.Epochs, "best_epoch": h.BestEpoch,
			"best_loss": finite(h.BestLoss)}
	case *heads.GBDT:
		n := 0
		for _, round := range h.Trees {
			n += len(round)
		}
		return map[string]any{"rounds": h.Rounds, "rounds_kept": len(h.Trees), "trees": n,
			"best_loss": finite(h.BestLoss)}
	}
	return nil
}

// finite returns v, or nil (JSON null) for NaN and infinities.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// metricsReport is metrics.json.
type metricsReport struct {
	Task            string             `json:"task"`
	Labels          []string           `json:"labels"`
	PositiveLabel   string             `json:"positive_label,omitempty"`
	Threshold       float64            `json:"threshold"`
	ThresholdTuned  bool               `json:"threshold_tuned"`
	Metrics         map[string]float64 `json:"metrics"`
	RankedBy        string             `json:"ranked_by"`
	RankedOn        string             `json:"ranked_on"`
	Rank            int                `json:"rank"`
	ValidationSize  int                `json:"validation_size"`
	EvaluatedOn     string             `json:"evaluated_on"`
	Selection       string             `json:"selection"`
	TuningSize      int                `json:"tuning_size"`
	ConfusionMatrix [][]int            `json:"confusion_matrix"`
	ROC             []rocJSON          `json:"roc,omitempty"`
	Tuning          *tuningJSON        `json:"threshold_tuning,omitempty"`
	AtDefault       map[string]float64 `json:"metrics_at_threshold_0_5,omitempty"`
	PerClass        []perClassJSON     `json:"per_class,omitempty"`
	CrossValidation *cvJSON            `json:"cross_validation,omitempty"`
}

// cvJSON is the cross-validated estimate in metrics.json.
type cvJSON struct {
	Folds          int            `json:"folds"`
	Images         int            `json:"images"`
	Seed           uint64         `json:"seed"`
	Method         string         `json:"method"`
	Metrics        map[string]any `json:"metrics"`
	StandardErrors map[string]any `json:"standard_errors"`
	PerFold        []foldJSON     `json:"per_fold"`
}

type foldJSON struct {
	Size      int            `json:"size"`
	Train     int            `json:"train"`
	Threshold float64        `json:"threshold"`
	Metrics   map[string]any `json:"metrics"`
}

// cvReport is a candidate's cross-validation for metrics.json (nil when
// it was not cross-validated).
func cvReport(cv *CrossValidation) *cvJSON {
	if cv == nil {
		return nil
	}
	out := &cvJSON{Folds: cv.Folds, Images: cv.Images, Seed: cv.Seed,
		Method: "stratified k-fold over the training and validation splits together; metrics are the means over " +
			"the folds, standard errors the folds' sample standard deviation over sqrt(k)",
		Metrics: finiteMap(cv.Metrics), StandardErrors: finiteMap(cv.StdErr)}
	for _, f := range cv.PerFold {
		out.PerFold = append(out.PerFold, foldJSON{Size: f.Size, Train: f.Train, Threshold: f.Threshold,
			Metrics: finiteMap(f.Metrics)})
	}
	return out
}

// finiteMap is m with NaN and infinities as JSON null.
func finiteMap(m map[string]float64) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = finite(v)
	}
	return out
}

type rocJSON struct {
	Label  string         `json:"label"`
	AUC    any            `json:"auc"`
	Points []rocPointJSON `json:"points"`
}

// rocPointJSON is a ROC point; the first point's threshold is +Inf, which
// JSON cannot hold: it is written as null.
type rocPointJSON struct {
	Threshold any     `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// tuningJSON is the threshold choice; its precision and recall are the
// selection head's on the tuning split (Split), where it was chosen.
type tuningJSON struct {
	TargetRecall float64 `json:"target_recall"`
	Split        string  `json:"split"`
	metrics.ThresholdChoice
}

type perClassJSON struct {
	Label string `json:"label"`
	metrics.ClassStats
}

func (r *run) metricsFile(c *Candidate, ev *evaluation) ([]byte, error) {
	m := metricsReport{Task: r.task(), Labels: r.res.Labels, PositiveLabel: r.res.Positive,
		Threshold: c.Threshold, ThresholdTuned: c.Tuned, Metrics: c.Metrics, RankedBy: r.res.RankedBy,
		RankedOn: r.res.RankedOn, CrossValidation: cvReport(c.CV), Rank: c.Rank, ValidationSize: len(r.res.Validation), EvaluatedOn: "validation",
		Selection: r.selectionNote(c), TuningSize: len(r.res.Tuning), ConfusionMatrix: r.confusion(ev)}
	for _, curve := range ev.roc {
		rj := rocJSON{Label: curve.Label, AUC: finite(curve.AUC)}
		for _, p := range curve.Points {
			rj.Points = append(rj.Points, rocPointJSON{Threshold: finite(p.Threshold), FPR: p.FPR, TPR: p.TPR})
		}
		m.ROC = append(m.ROC, rj)
	}
	if ev.choice != nil {
		m.Tuning = &tuningJSON{TargetRecall: r.opts.TargetRecall, Split: "tuning", ThresholdChoice: *ev.choice}
		m.AtDefault = ev.atDefault.Map()
	}
	if ev.multi != nil {
		for i, s := range ev.multi.PerClass {
			m.PerClass = append(m.PerClass, perClassJSON{Label: r.res.Labels[i], ClassStats: s})
		}
	}
	return marshal(m)
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
