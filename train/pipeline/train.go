package pipeline

import (
	"context"
	"fmt"
	"math"
	"slices"

	"quarry/train/heads"
	"quarry/train/metrics"
)

// evaluation is a head's outcome on a labelled set.
type evaluation struct {
	// metrics are under AutoTrain's keys, at threshold for a binary task.
	metrics   map[string]float64
	threshold float64
	binary    *metrics.Binary // at the decision threshold
	atDefault *metrics.Binary // at 0.5, when the threshold was tuned
	choice    *metrics.ThresholdChoice
	multi     *metrics.Multiclass
	// roc holds one curve per class for a multi-class task (one vs rest),
	// or the positive class's curve for a binary one.
	roc []rocCurve
}

// rocCurve is a labelled ROC curve.
type rocCurve struct {
	Label  string             `json:"label"`
	AUC    float64            `json:"auc"`
	Points []metrics.ROCPoint `json:"-"`
}

// trainAll fits and evaluates every candidate.
func (r *run) trainAll(ctx context.Context, fs featureSet) error {
	start, done := r.phase(PhaseTrain)
	defer done()
	n := len(r.opts.Candidates)
	for i, spec := range r.opts.Candidates {
		if err := ctx.Err(); err != nil {
			return err
		}
		el := r.opts.Now().Sub(start)
		r.emit(Event{Phase: PhaseTrain, Candidate: spec.Name, Done: i, Total: n, Elapsed: el, ETA: eta(el, i, n)})
		c, ev, err := r.trainOne(spec, fs)
		if err != nil {
			return fmt.Errorf("candidate %s: %w", spec.Name, err)
		}
		r.res.Candidates = append(r.res.Candidates, c)
		r.evals = append(r.evals, ev)
	}
	el := r.opts.Now().Sub(start)
	r.emit(Event{Phase: PhaseTrain, Done: n, Total: n, Elapsed: el})
	return nil
}

// trainOne selects a candidate's head on the inner split of the training
// data (fit on Train minus Tuning, hyper-parameters and early stopping on
// Tuning), refits it on the whole training split with what was chosen, and
// evaluates it on the validation split, which took no part in either.
func (r *run) trainOne(spec CandidateSpec, fs featureSet) (Candidate, *evaluation, error) {
	var sets [4]heads.Dataset // fit, tuning, train, validation
	for i, items := range [][]Item{r.fit, r.res.Tuning, r.res.Train, r.res.Validation} {
		d, err := r.dataset(fs, spec.BackboneDir, items)
		if err != nil {
			return Candidate{}, nil, err
		}
		sets[i] = d
	}
	fit, tune, train, val := sets[0], sets[1], sets[2], sets[3]
	h, err := fitTheWay(spec, fit, tune, train)
	if err != nil {
		return Candidate{}, nil, err
	}
	c := Candidate{Name: spec.Name, BaseModel: spec.BaseModel, Head: spec.Head, Model: h.model, Selection: h.sel,
		Refitted: h.refitted}
	c.ValidationProbs = c.Model.Predict(val.X)
	ev, err := r.scorer().score(c.ValidationProbs, val.Y, h.sel.Predict(tune.X), tune.Y)
	if err != nil {
		return Candidate{}, nil, err
	}
	c.Metrics, c.Threshold, c.Tuned = ev.metrics, ev.threshold, ev.choice != nil
	return c, ev, nil
}

// fittedHead is a head fitted the pipeline's way.
type fittedHead struct {
	// sel is fitted on the fit set, selected on the tuning set; model is
	// sel refitted on the whole training set (sel itself when the head
	// cannot be refitted).
	sel, model heads.Model
	refitted   bool
}

// fitTheWay fits a candidate's head as the pipeline does: on fit with its
// hyper-parameters and early stopping chosen on tune, then again on train
// (fit and tune together) with those choices.
func fitTheWay(spec CandidateSpec, fit, tune, train heads.Dataset) (fittedHead, error) {
	sel, err := fitHead(spec, spec.Trainer, fit, tune)
	if err != nil {
		return fittedHead{}, fmt.Errorf("selection: %w", err)
	}
	h := fittedHead{sel: sel, model: sel}
	if refit, ok := heads.Refit(spec.Trainer, sel); ok {
		if h.model, err = fitHead(spec, refit, train, heads.Dataset{Classes: train.Classes}); err != nil {
			return fittedHead{}, fmt.Errorf("refit: %w", err)
		}
		h.refitted = true
	}
	return h, nil
}

// fitHead fits a head with t and checks its kind.
func fitHead(spec CandidateSpec, t heads.Trainer, train, val heads.Dataset) (heads.Model, error) {
	model, err := t.Fit(train, val)
	if err != nil {
		return nil, err
	}
	if model.Kind() != spec.Head {
		return nil, fmt.Errorf("trainer made a %s head, want %s", model.Kind(), spec.Head)
	}
	return model, nil
}

// dataset assembles the heads.Dataset of items from cached features.
func (r *run) dataset(fs featureSet, dir string, items []Item) (heads.Dataset, error) {
	x, err := fs.rows(dir, items)
	if err != nil {
		return heads.Dataset{}, err
	}
	d := heads.Dataset{X: x, Y: make([]int, len(items)), Classes: len(r.res.Labels)}
	for i, it := range items {
		d.Y[i] = it.Class
	}
	return d, nil
}

// scorer is how this run measures a head.
func (r *run) scorer() scorer {
	return scorer{labels: r.res.Labels, pos: r.labelIndex(r.res.Positive), targetRecall: r.opts.TargetRecall}
}

// scorer measures a head's predictions: binary metrics for the explicit
// positive class (at a threshold tuned for targetRecall when it is set),
// or multi-class ones.
type scorer struct {
	labels       []string
	pos          int // the positive class of a binary task
	targetRecall float64
}

// score computes the metrics of probs against y. The threshold is tuned
// on the selection head's probabilities on the tuning split (tuneProbs,
// tuneY), never on the set it is then measured on.
func (s scorer) score(probs [][]float64, y []int, tuneProbs [][]float64, tuneY []int) (*evaluation, error) {
	ev := &evaluation{threshold: 0.5}
	if len(s.labels) > 2 {
		m, err := metrics.EvaluateMulticlass(probs, y)
		if err != nil {
			return nil, err
		}
		ev.multi, ev.metrics = &m, m.Map()
		ev.roc = oneVsRest(probs, y, s.labels)
		return ev, nil
	}
	at05, err := metrics.EvaluateProbs(probs, y, s.pos, 0.5)
	if err != nil {
		return nil, err
	}
	ev.binary = &at05
	if s.targetRecall > 0 {
		scores, positive := binaryScores(tuneProbs, tuneY, s.pos)
		ch, err := metrics.ThresholdForRecall(scores, positive, s.targetRecall)
		if err != nil {
			return nil, fmt.Errorf("threshold on the tuning split: %w", err)
		}
		tuned, err := metrics.EvaluateProbs(probs, y, s.pos, ch.Threshold)
		if err != nil {
			return nil, err
		}
		ev.binary, ev.atDefault, ev.choice, ev.threshold = &tuned, &at05, &ch, ch.Threshold
	}
	ev.metrics = ev.binary.Map()
	ev.roc = []rocCurve{{Label: s.labels[s.pos], AUC: ev.binary.AUC, Points: ev.binary.ROC}}
	return ev, nil
}

func binaryScores(probs [][]float64, y []int, pos int) ([]float64, []bool) {
	scores, positive := make([]float64, len(probs)), make([]bool, len(probs))
	for i, p := range probs {
		scores[i], positive[i] = p[pos], y[i] == pos
	}
	return scores, positive
}

// oneVsRest returns each class's ROC curve against the others.
func oneVsRest(probs [][]float64, y []int, labels []string) []rocCurve {
	var out []rocCurve
	for k, l := range labels {
		scores, positive := binaryScores(probs, y, k)
		pts := metrics.ROCCurve(scores, positive)
		if pts == nil {
			continue
		}
		out = append(out, rocCurve{Label: l, AUC: metrics.ROCAUC(scores, positive), Points: pts})
	}
	return out
}

// rank orders the candidates by the ranking metric (higher is better,
// except loss): by its cross-validated value when every candidate has one
// (a mean over all the images is a steadier ranking than one split of a
// fifth of them, so the best of several is less often best by luck), then
// by its validation value, then by loss the same two ways, then in Options
// order.
func (r *run) rank() {
	key := r.res.RankedBy
	r.res.RankedOn = RankedOnCV
	for _, c := range r.res.Candidates {
		if v, ok := cvValue(c, key); !ok || math.IsNaN(v) {
			r.res.RankedOn = RankedOnValidation
		}
	}
	score := func(c Candidate, k string, cv bool) float64 {
		v, ok := c.Metrics[k]
		if cv {
			v, ok = cvValue(c, k)
		}
		if !ok || math.IsNaN(v) {
			return math.Inf(-1)
		}
		if k == metrics.KeyLoss {
			return -v
		}
		return v
	}
	useCV := r.res.RankedOn == RankedOnCV
	order := make([]int, len(r.res.Candidates))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ca, cb := r.res.Candidates[a], r.res.Candidates[b]
		for _, k := range []string{key, metrics.KeyLoss} {
			if useCV {
				if d := cmpDesc(score(ca, k, true), score(cb, k, true)); d != 0 {
					return d
				}
			}
			if d := cmpDesc(score(ca, k, false), score(cb, k, false)); d != 0 {
				return d
			}
		}
		return 0
	})
	for rank, i := range order {
		r.res.Candidates[i].Rank = rank + 1
	}
	r.res.Winner = order[0]
}

// cvValue is a candidate's cross-validated value of a metric.
func cvValue(c Candidate, key string) (float64, bool) {
	if c.CV == nil {
		return 0, false
	}
	v, ok := c.CV.Metrics[key]
	return v, ok
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
