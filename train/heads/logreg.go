package heads

import (
	"math"
	"slices"
)

// LogRegOptions configures logistic regression. Zero fields take defaults.
type LogRegOptions struct {
	// L2 lists the candidate L2 strengths λ of the objective
	// mean cross-entropy + λ/2·‖W‖² (biases are not penalised). Each is
	// fitted, strongest first and warm-started from the previous one; the
	// one with the lowest validation loss wins (the stronger on ties).
	// Without a validation split the middle value is used.
	// Default: 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.
	L2 []float64
	// MaxIter bounds the L-BFGS iterations per candidate (default 200).
	MaxIter int
	// Tol stops L-BFGS when no gradient component exceeds it (default 1e-5).
	Tol float64
}

// DefaultL2Grid is the default list of L2 strengths.
var DefaultL2Grid = []float64{1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1}

func (o LogRegOptions) withDefaults() LogRegOptions {
	if len(o.L2) == 0 {
		o.L2 = DefaultL2Grid
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 200
	}
	if o.Tol <= 0 {
		o.Tol = 1e-5
	}
	return o
}

// GridPoint records one candidate L2 strength and how it scored.
type GridPoint struct {
	L2          float64 `json:"l2"`
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	Iterations  int     `json:"iterations"`
}

// LogReg is a trained multinomial logistic regression on standardised
// features: logits = W·((x-Mean)/Std) + B.
type LogReg struct {
	Std Standardizer `json:"standardizer"`
	// W is [classes][features], B is [classes].
	W  [][]float64 `json:"w"`
	B  []float64   `json:"b"`
	L2 float64     `json:"l2"`
	// Grid is the tuning record, in the order tried.
	Grid []GridPoint `json:"grid"`
}

// Fit trains the model; it implements Trainer.
func (o LogRegOptions) Fit(train, val Dataset) (Model, error) {
	m, err := o.FitLogReg(train, val)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// FitLogReg trains logistic regression, tuning L2 on val.
func (o LogRegOptions) FitLogReg(train, val Dataset) (*LogReg, error) {
	if err := checkPair(train, val); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	std := FitStandardizer(train.X)
	p := newSoftmaxProblem(std.Apply(train.X), train.Y, train.Classes)
	grid := slices.Clone(o.L2)
	slices.SortFunc(grid, func(a, b float64) int { return -cmpFloat(a, b) }) // strongest first
	theta := make([]float64, p.size())
	best := &LogReg{Std: std}
	bestLoss := math.Inf(1)
	for i, l2 := range grid {
		p.l2 = l2
		r := minimizeLBFGS(p.eval, theta, o.MaxIter, o.Tol)
		theta = r.X
		cand := &LogReg{Std: std, L2: l2}
		cand.W, cand.B = p.unpack(theta)
		gp := GridPoint{L2: l2, Iterations: r.Iter, ValLoss: math.NaN(), ValAccuracy: math.NaN()}
		if val.Len() > 0 {
			probs := cand.Predict(val.X)
			gp.ValLoss, gp.ValAccuracy = LogLoss(probs, val.Y), Accuracy(probs, val.Y)
		}
		best.Grid = append(best.Grid, gp)
		better := gp.ValLoss < bestLoss
		if val.Len() == 0 {
			better = i == len(grid)/2
		}
		if better {
			bestLoss = gp.ValLoss
			best.W, best.B, best.L2 = cand.W, cand.B, l2
		}
	}
	return best, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Kind returns "logreg".
func (m *LogReg) Kind() string { return "logreg" }

// NumClasses returns the number of classes.
func (m *LogReg) NumClasses() int { return len(m.W) }

// Logits returns W·standardise(x) + B for each row.
func (m *LogReg) Logits(x [][]float32) [][]float64 {
	z := m.Std.Apply(x)
	out := make([][]float64, len(x))
	for i := range out {
		out[i] = make([]float64, len(m.W))
		for k, w := range m.W {
			out[i][k] = dot(z.row(i), w) + m.B[k]
		}
	}
	return out
}

// Predict returns class probabilities.
func (m *LogReg) Predict(x [][]float32) [][]float64 { return softmaxRows(m.Logits(x)) }

// Folded returns the Gemm weights ([classes][features]) and biases that
// give the same logits from raw, unstandardised features, as
// onnxgraph.AppendHead expects them.
func (m *LogReg) Folded() ([][]float32, []float32) { return m.Std.Fold(m.W, m.B) }

// softmaxProblem is the L2-penalised softmax cross-entropy objective over a
// parameter vector laid out as W (classes x dim, row-major) then B.
type softmaxProblem struct {
	x       matrix
	y       []int
	classes int
	l2      float64
	grads   [parts][]float64
	losses  [parts]float64
}

func newSoftmaxProblem(x matrix, y []int, classes int) *softmaxProblem {
	p := &softmaxProblem{x: x, y: y, classes: classes}
	for i := range p.grads {
		p.grads[i] = make([]float64, p.size())
	}
	return p
}

func (p *softmaxProblem) size() int { return p.classes * (p.x.cols + 1) }

// unpack copies θ into W and B.
func (p *softmaxProblem) unpack(theta []float64) ([][]float64, []float64) {
	d := p.x.cols
	w := make([][]float64, p.classes)
	for k := range w {
		w[k] = slices.Clone(theta[k*d : (k+1)*d])
	}
	return w, slices.Clone(theta[p.classes*d:])
}

// eval computes the objective and its gradient; pieces of the data are
// processed in parallel and summed in a fixed order.
func (p *softmaxProblem) eval(theta, grad []float64) float64 {
	forParts(parts, func(part int) { p.evalPart(part, theta) })
	d, n := p.x.cols, float64(p.x.rows)
	clear(grad)
	var loss float64
	for part := range p.grads {
		loss += p.losses[part]
		for j, v := range p.grads[part] {
			grad[j] += v
		}
	}
	loss /= n
	var pen float64
	for j := range grad {
		grad[j] /= n
		if j < p.classes*d {
			pen += theta[j] * theta[j]
			grad[j] += p.l2 * theta[j]
		}
	}
	return loss + p.l2/2*pen
}

// evalPart accumulates the unnormalised loss and gradient of one piece.
func (p *softmaxProblem) evalPart(part int, theta []float64) {
	d := p.x.cols
	g := p.grads[part]
	clear(g)
	var loss float64
	z := make([]float64, p.classes)
	lo, hi := span(p.x.rows, parts, part)
	for i := lo; i < hi; i++ {
		row := p.x.row(i)
		for k := range z {
			z[k] = dot(row, theta[k*d:(k+1)*d]) + theta[p.classes*d+k]
		}
		prob := Softmax(z)
		loss -= math.Log(math.Max(prob[p.y[i]], 1e-300))
		for k, pk := range prob {
			if k == p.y[i] {
				pk--
			}
			axpy(pk, row, g[k*d:(k+1)*d])
			g[p.classes*d+k] += pk
		}
	}
	p.losses[part] = loss
}
