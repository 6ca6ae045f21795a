package pipeline

import (
	"encoding/json"
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
	Seed          uint64         `json:"seed"`
	Task          string         `json:"task"`
	Labels        []string       `json:"labels"`
	PositiveLabel string         `json:"positive_label,omitempty"`
	RankedBy      string         `json:"ranked_by"`
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
	Classes            []dataset.ClassCount `json:"classes"`
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
		OptionsNote: "zero or empty options take the defaults of Quarry's train/heads package; head_fitted shows what fitting chose",
		HeadFitted:  fitted(c.Model), Seed: r.opts.Seed, Task: r.task(), Labels: r.res.Labels,
		PositiveLabel: r.res.Positive, RankedBy: r.res.RankedBy, Threshold: c.Threshold,
		BatchSize: r.opts.BatchSize,
		Split: splitParams{Source: r.res.SplitSource, Train: len(r.res.Train), Validation: len(r.res.Validation),
			Classes: r.res.Report.Classes},
		Dataset: datasetParams{ID: r.opts.Card.DatasetID, Revision: r.opts.Card.DatasetRevision,
			Name: r.datasetName(), Synthetic: r.opts.Card.SyntheticData},
	}
	if c.Tuned {
		p.TargetRecall = r.opts.TargetRecall
	}
	if r.res.SplitSource == "stratified" {
		p.Split.ValidationFraction = r.opts.ValidationFraction
	}
	return marshal(p)
}

// fitted summarises what fitting chose (L2, epochs, boosting rounds).
func fitted(m heads.Model) map[string]any {
	switch h := m.(type) {
	case *heads.LogReg:
		grid := make([]map[string]any, len(h.Grid))
		for i, g := range h.Grid {
			grid[i] = map[string]any{"l2": g.L2, "val_loss": finite(g.ValLoss),
				"val_accuracy": finite(g.ValAccuracy), "iterations": g.Iterations}
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
	Rank            int                `json:"rank"`
	ValidationSize  int                `json:"validation_size"`
	ConfusionMatrix [][]int            `json:"confusion_matrix"`
	ROC             []rocJSON          `json:"roc,omitempty"`
	Tuning          *tuningJSON        `json:"threshold_tuning,omitempty"`
	AtDefault       map[string]float64 `json:"metrics_at_threshold_0_5,omitempty"`
	PerClass        []perClassJSON     `json:"per_class,omitempty"`
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

type tuningJSON struct {
	TargetRecall float64 `json:"target_recall"`
	metrics.ThresholdChoice
}

type perClassJSON struct {
	Label string `json:"label"`
	metrics.ClassStats
}

func (r *run) metricsFile(c *Candidate, ev *evaluation) ([]byte, error) {
	m := metricsReport{Task: r.task(), Labels: r.res.Labels, PositiveLabel: r.res.Positive,
		Threshold: c.Threshold, ThresholdTuned: c.Tuned, Metrics: c.Metrics, RankedBy: r.res.RankedBy,
		Rank: c.Rank, ValidationSize: len(r.res.Validation), ConfusionMatrix: r.confusion(ev)}
	for _, curve := range ev.roc {
		rj := rocJSON{Label: curve.Label, AUC: finite(curve.AUC)}
		for _, p := range curve.Points {
			rj.Points = append(rj.Points, rocPointJSON{Threshold: finite(p.Threshold), FPR: p.FPR, TPR: p.TPR})
		}
		m.ROC = append(m.ROC, rj)
	}
	if ev.choice != nil {
		m.Tuning = &tuningJSON{TargetRecall: r.opts.TargetRecall, ThresholdChoice: *ev.choice}
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
