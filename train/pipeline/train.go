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

// trainOne fits a candidate's head on the training features and evaluates
// it on the validation features.
func (r *run) trainOne(spec CandidateSpec, fs featureSet) (Candidate, *evaluation, error) {
	train, err := r.dataset(fs, spec.BackboneDir, r.res.Train)
	if err != nil {
		return Candidate{}, nil, err
	}
	val, err := r.dataset(fs, spec.BackboneDir, r.res.Validation)
	if err != nil {
		return Candidate{}, nil, err
	}
	model, err := spec.Trainer.Fit(train, val)
	if err != nil {
		return Candidate{}, nil, err
	}
	if model.Kind() != spec.Head {
		return Candidate{}, nil, fmt.Errorf("trainer made a %s head, want %s", model.Kind(), spec.Head)
	}
	probs := model.Predict(val.X)
	c := Candidate{Name: spec.Name, BaseModel: spec.BaseModel, Head: spec.Head, Model: model,
		ValidationProbs: probs, Threshold: 0.5}
	ev, err := r.evaluate(&c, probs, val.Y)
	return c, ev, err
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

// evaluate computes the candidate's metrics: binary ones for the explicit
// positive class (at a threshold tuned for the target recall when asked),
// or multi-class ones.
func (r *run) evaluate(c *Candidate, probs [][]float64, y []int) (*evaluation, error) {
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
		scores, positive := binaryScores(probs, y, pos)
		ch, err := metrics.ThresholdForRecall(scores, positive, r.opts.TargetRecall)
		if err != nil {
			return nil, err
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
