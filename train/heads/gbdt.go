package heads

import (
	"math"
	"slices"

	"quarry/train/internal/rng"
)

// GBDTOptions configures gradient-boosted trees. Zero fields take defaults.
type GBDTOptions struct {
	NEstimators    int     // boosting rounds budget (default 300)
	LearningRate   float64 // shrinkage of each tree (default 0.1)
	MaxDepth       int     // tree depth limit (default 3)
	MinChildWeight float64 // minimum hessian sum of a child (default 1)
	Lambda         float64 // L2 penalty on leaf values (default 1)
	Gamma          float64 // minimum split gain (default 0)
	// Bins caps the histogram bins per feature, at most 256 (default 32);
	// thresholds are training-set quantiles of each feature.
	Bins int
	// ColSample is the share of features each round may split on
	// (default 0.5), drawn with Seed.
	ColSample float64
	// Patience stops boosting after this many rounds without a validation
	// loss improvement (default 20); the trees after the best round are
	// dropped. Without a validation split all rounds run.
	Patience int
	Seed     uint64
	// Rounds, when positive, boosts exactly this many rounds on the
	// training set alone and keeps every tree (NEstimators, Patience and the
	// validation set are ignored): the refit after selection (see Refit).
	Rounds int `json:",omitempty"`
}

func (o GBDTOptions) withDefaults() GBDTOptions {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.NEstimators <= 0 {
		o.NEstimators = 300
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 3
	}
	if o.Bins <= 1 || o.Bins > 256 {
		o.Bins = 32
	}
	if o.Patience <= 0 {
		o.Patience = 20
	}
	def(&o.LearningRate, 0.1)
	def(&o.MinChildWeight, 1)
	def(&o.Lambda, 1)
	if o.ColSample <= 0 || o.ColSample > 1 {
		o.ColSample = 0.5
	}
	return o
}

// Node is one node of a regression tree. An inner node sends x left when
// x[Feature] <= Threshold (ONNX-ML BRANCH_LEQ) and right otherwise; a leaf
// has Feature -1 and contributes Value (already multiplied by the learning
// rate) to its output's raw score.
type Node struct {
	Feature   int     `json:"feature"`
	Threshold float32 `json:"threshold"`
	Left      int     `json:"left"`
	Right     int     `json:"right"`
	Value     float64 `json:"value"`
}

// IsLeaf reports whether the node is a leaf.
func (n Node) IsLeaf() bool { return n.Feature < 0 }

// Tree is a regression tree; Nodes[0] is the root.
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// Eval returns the leaf value that x reaches.
func (t Tree) Eval(x []float32) float64 {
	n := t.Nodes[0]
	for !n.IsLeaf() {
		if x[n.Feature] <= n.Threshold {
			n = t.Nodes[n.Left]
		} else {
			n = t.Nodes[n.Right]
		}
	}
	return n.Value
}

// GBDT is a trained tree ensemble. It has one output for two classes (the
// log-odds of class 1) and one output per class otherwise; each output's raw
// score is Base[k] plus the sum of Trees[round][k] over rounds. Trees split
// on raw (unstandardised) features.
type GBDT struct {
	Classes int       `json:"classes"`
	Base    []float64 `json:"base"`
	Trees   [][]Tree  `json:"trees"`
	// Rounds is the number of rounds run before stopping; len(Trees) the
	// number kept (the best validation round), with loss BestLoss.
	Rounds   int     `json:"rounds"`
	BestLoss float64 `json:"best_loss"`
}

// Kind returns "gbdt".
func (m *GBDT) Kind() string { return "gbdt" }

// NumClasses returns the number of classes.
func (m *GBDT) NumClasses() int { return m.Classes }

// Outputs returns the number of raw scores per example (1 when binary).
func (m *GBDT) Outputs() int { return len(m.Base) }

// Raw returns the raw output scores of each row (see Outputs).
func (m *GBDT) Raw(x [][]float32) [][]float64 {
	out := make([][]float64, len(x))
	for i, row := range x {
		out[i] = slices.Clone(m.Base)
		for _, round := range m.Trees {
			for k, t := range round {
				out[i][k] += t.Eval(row)
			}
		}
	}
	return out
}

// Logits returns per-class logits: the raw scores, or [0, raw] for a binary
// model so that softmax gives sigmoid(raw) for class 1.
func (m *GBDT) Logits(x [][]float32) [][]float64 {
	raw := m.Raw(x)
	if m.Outputs() == 1 {
		for i, r := range raw {
			raw[i] = []float64{0, r[0]}
		}
	}
	return raw
}

// Predict returns class probabilities.
func (m *GBDT) Predict(x [][]float32) [][]float64 { return softmaxRows(m.Logits(x)) }

// Fit trains the model; it implements Trainer.
func (o GBDTOptions) Fit(train, val Dataset) (Model, error) {
	m, err := o.FitGBDT(train, val)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// FitGBDT boosts trees on the training split with early stopping on val.
func (o GBDTOptions) FitGBDT(train, val Dataset) (*GBDT, error) {
	if err := checkPair(train, val); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	fixed := o.Rounds > 0
	if fixed {
		o.NEstimators, val = o.Rounds, Dataset{Classes: train.Classes}
	}
	m := &GBDT{Classes: train.Classes, Base: baseScores(train.Y, train.Classes)}
	gr := newGrower(train.X, o)
	f := newScores(train.Len(), m.Base)
	watch, watchF := val, newScores(val.Len(), m.Base)
	if val.Len() == 0 {
		watch, watchF = train, f
	}
	r := rng.New(o.Seed)
	bestLoss, bestRounds := math.Inf(1), 0
	for round := 1; round <= o.NEstimators && (fixed || round-bestRounds <= o.Patience); round++ {
		gr.sampleFeatures(r)
		trees := make([]Tree, m.Outputs())
		grads := gradients(f, train.Y)
		for k := range trees {
			trees[k] = gr.grow(grads[k], f, k)
		}
		m.Trees = append(m.Trees, trees)
		if val.Len() > 0 {
			addTrees(watchF, val.X, trees)
		}
		m.Rounds = round
		if loss := scoreLoss(watchF, watch.Y); loss < bestLoss-1e-9 || fixed && round == o.NEstimators {
			bestLoss, bestRounds = loss, round
		}
	}
	m.Trees, m.BestLoss = m.Trees[:bestRounds], bestLoss
	return m, nil
}

// baseScores returns the starting raw scores: the log-odds of class 1 for a
// binary task, the log class priors otherwise (each count smoothed by 1).
func baseScores(y []int, classes int) []float64 {
	counts := make([]float64, classes)
	for _, c := range y {
		counts[c]++
	}
	for k := range counts {
		counts[k]++
	}
	if classes == 2 {
		return []float64{math.Log(counts[1] / counts[0])}
	}
	total := float64(len(y) + classes)
	base := make([]float64, classes)
	for k, c := range counts {
		base[k] = math.Log(c / total)
	}
	return base
}

// scores is the raw-score matrix [example][output].
type scores [][]float64

func newScores(n int, base []float64) scores {
	s := make(scores, n)
	for i := range s {
		s[i] = slices.Clone(base)
	}
	return s
}

// probs turns one row of raw scores into class probabilities.
func probs(raw []float64) []float64 {
	if len(raw) == 1 {
		p := 1 / (1 + math.Exp(-raw[0]))
		return []float64{1 - p, p}
	}
	return Softmax(raw)
}

func scoreLoss(s scores, y []int) float64 {
	var loss float64
	for i, raw := range s {
		loss -= math.Log(math.Max(probs(raw)[y[i]], 1e-15))
	}
	return loss / float64(len(s))
}

// gradStat is the gradient and hessian of one example for one output.
type gradStat struct{ g, h float64 }

// gradients returns, per output, the per-example gradient and hessian of the
// logistic (binary) or softmax cross-entropy loss.
func gradients(s scores, y []int) [][]gradStat {
	out := make([][]gradStat, len(s[0]))
	for k := range out {
		out[k] = make([]gradStat, len(s))
	}
	for i, raw := range s {
		p := probs(raw)
		if len(raw) == 1 {
			p = p[1:]
		}
		for k, pk := range p {
			target := 0.0
			if (len(raw) == 1 && y[i] == 1) || (len(raw) > 1 && y[i] == k) {
				target = 1
			}
			out[k][i] = gradStat{g: pk - target, h: math.Max(pk*(1-pk), 1e-16)}
		}
	}
	return out
}

func addTrees(s scores, x [][]float32, trees []Tree) {
	for i, row := range x {
		for k, t := range trees {
			s[i][k] += t.Eval(row)
		}
	}
}
