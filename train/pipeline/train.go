package pipeline

import (
	"context"
	"fmt"
	"math"
	"slices"

	"quarry/train/heads"
	"quarry/train/metrics"
)

// evaluation is a candidate's validation outcome.
type evaluation struct {
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
	sel, err := r.fitHead(spec, spec.Trainer, fit, tune)
	if err != nil {
		return Candidate{}, nil, fmt.Errorf("selection: %w", err)
	}
	c := Candidate{Name: spec.Name, BaseModel: spec.BaseModel, Head: spec.Head, Model: sel, Selection: sel,
		Threshold: 0.5}
	if refit, ok := heads.Refit(spec.Trainer, sel); ok {
		if c.Model, err = r.fitHead(spec, refit, train, heads.Dataset{Classes: train.Classes}); err != nil {
			return Candidate{}, nil, fmt.Errorf("refit: %w", err)
		}
		c.Refitted = true
	}
	c.ValidationProbs = c.Model.Predict(val.X)
	ev, err := r.evaluate(&c, c.ValidationProbs, val.Y, sel.Predict(tune.X), tune.Y)
	return c, ev, err
}

// fitHead fits a head with t and checks its kind.
func (r *run) fitHead(spec CandidateSpec, t heads.Trainer, train, val heads.Dataset) (heads.Model, error) {
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

// evaluate computes the candidate's validation metrics: binary ones for
// the explicit positive class (at a threshold tuned for the target recall
// when asked), or multi-class ones. The threshold is tuned on the selection
// head's probabilities on the tuning split (tuneProbs, tuneY), never on
// the validation split it is then measured on.
func (r *run) evaluate(c *Candidate, probs [][]float64, y []int, tuneProbs [][]float64, tuneY []int) (*evaluation, error) {
	ev := &evaluation{}
	if len(r.res.Labels) > 2 {
		m, err := metrics.EvaluateMulticlass(probs, y)
		if err != nil {
			return nil, err
		}
		ev.multi, c.Metrics = &m, m.Map()
		ev.roc = oneVsRest(probs, y, r.res.Labels)
		return ev, nil
	}
	pos := r.labelIndex(r.res.Positive)
	at05, err := metrics.EvaluateProbs(probs, y, pos, 0.5)
	if err != nil {
		return nil, err
	}
	ev.binary = &at05
	if r.opts.TargetRecall > 0 {
		scores, positive := binaryScores(tuneProbs, tuneY, pos)
		ch, err := metrics.ThresholdForRecall(scores, positive, r.opts.TargetRecall)
		if err != nil {
			return nil, fmt.Errorf("threshold on the tuning split: %w", err)
		}
		tuned, err := metrics.EvaluateProbs(probs, y, pos, ch.Threshold)
		if err != nil {
			return nil, err
		}
		ev.binary, ev.atDefault, ev.choice = &tuned, &at05, &ch
		c.Threshold, c.Tuned = ch.Threshold, true
	}
	c.Metrics = ev.binary.Map()
	ev.roc = []rocCurve{{Label: r.res.Positive, AUC: ev.binary.AUC, Points: ev.binary.ROC}}
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
// except loss), then by loss, then in Options order.
func (r *run) rank() {
	key := r.res.RankedBy
	score := func(c Candidate, k string) float64 {
		v, ok := c.Metrics[k]
		if !ok || math.IsNaN(v) {
			return math.Inf(-1)
		}
		if k == metrics.KeyLoss {
			return -v
		}
		return v
	}
	order := make([]int, len(r.res.Candidates))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ca, cb := r.res.Candidates[a], r.res.Candidates[b]
		if d := cmpDesc(score(ca, key), score(cb, key)); d != 0 {
			return d
		}
		return cmpDesc(score(ca, metrics.KeyLoss), score(cb, metrics.KeyLoss))
	})
	for rank, i := range order {
		r.res.Candidates[i].Rank = rank + 1
	}
	r.res.Winner = order[0]
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
