package heads

import (
	"math"
	"slices"

	"quarry/train/internal/rng"
)

// MLPOptions configures the one-hidden-layer perceptron. Zero fields take
// defaults.
type MLPOptions struct {
	Hidden       int     // hidden units (default 128)
	LearningRate float64 // Adam step size (default 3e-3)
	BatchSize    int     // examples per step (default 32)
	MaxEpochs    int     // epoch budget (default 100)
	// Patience stops training after this many epochs without a validation
	// loss improvement (default 10); the best epoch's weights are kept.
	// Without a validation split the training loss is watched instead.
	Patience int
	// L2 is the weight decay added to the gradients of W1 and W2 (default
	// 3e-2: with 1792 inputs and a few hundred examples the network
	// overfits within an epoch or two without it; a negative value turns
	// weight decay off).
	L2   float64
	Seed uint64 // initialisation and shuffling seed
	// Epochs, when positive, trains exactly this many epochs on the
	// training set alone, with no early stopping, and keeps the last
	// epoch's weights (MaxEpochs, Patience and the validation set are
	// ignored): the refit after selection (see Refit).
	Epochs int `json:",omitempty"`
}

func (o MLPOptions) withDefaults() MLPOptions {
	if o.Hidden <= 0 {
		o.Hidden = 128
	}
	if o.LearningRate <= 0 {
		o.LearningRate = 3e-3
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	if o.MaxEpochs <= 0 {
		o.MaxEpochs = 100
	}
	if o.Patience <= 0 {
		o.Patience = 10
	}
	if o.L2 < 0 {
		o.L2 = 0
	} else if o.L2 == 0 {
		o.L2 = 3e-2
	}
	return o
}

// MLP is a trained network logits = W2·relu(W1·z + B1) + B2 on
// standardised features z. W1 is [hidden][in] and W2 [classes][hidden],
// both flattened row-major (the ONNX Gemm transB=1 layout).
type MLP struct {
	Std     Standardizer `json:"standardizer"`
	In      int          `json:"in"`
	Hidden  int          `json:"hidden"`
	Classes int          `json:"classes"`
	W1      []float32    `json:"w1"`
	B1      []float32    `json:"b1"`
	W2      []float32    `json:"w2"`
	B2      []float32    `json:"b2"`
	// Epochs is the number of epochs run; BestEpoch (1-based) the one kept,
	// with validation (or training) loss BestLoss.
	Epochs    int     `json:"epochs"`
	BestEpoch int     `json:"best_epoch"`
	BestLoss  float64 `json:"best_loss"`
}

// Fit trains the model; it implements Trainer.
func (o MLPOptions) Fit(train, val Dataset) (Model, error) {
	m, err := o.FitMLP(train, val)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// FitMLP trains the perceptron with Adam and early stopping.
func (o MLPOptions) FitMLP(train, val Dataset) (*MLP, error) {
	if err := checkPair(train, val); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	fixed := o.Epochs > 0
	if fixed {
		o.MaxEpochs, val = o.Epochs, Dataset{Classes: train.Classes}
	}
	r := rng.New(o.Seed)
	m := newMLP(FitStandardizer(train.X), train.Dim(), o.Hidden, train.Classes, r)
	x := m.Std.Apply(train.X)
	watch := Dataset{X: train.X, Y: train.Y, Classes: train.Classes}
	if val.Len() > 0 {
		watch = val
	}
	watchZ := m.Std.Apply(watch.X)
	opt := newAdam(m, o)
	best, bestLoss, stale := m.clone(), math.Inf(1), 0
	order := make([]int, x.rows)
	for i := range order {
		order[i] = i
	}
	for epoch := 1; epoch <= o.MaxEpochs && (fixed || stale < o.Patience); epoch++ {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for b := 0; b < len(order); b += o.BatchSize {
			batch := order[b:min(b+o.BatchSize, len(order))]
			opt.step(m, x, train.Y, batch)
		}
		m.Epochs = epoch
		loss := LogLoss(softmaxRows(m.logits(watchZ)), watch.Y)
		if fixed && epoch == o.MaxEpochs {
			best, bestLoss = m.clone(), loss
			best.BestEpoch = epoch
		} else if !fixed && loss < bestLoss-1e-6 {
			best, bestLoss, stale = m.clone(), loss, 0
			best.BestEpoch = epoch
		} else if !fixed {
			stale++
		}
	}
	best.Epochs, best.BestLoss = m.Epochs, bestLoss
	return best, nil
}

// newMLP initialises weights with He-normal (W1) and Glorot-normal (W2)
// scales and zero biases.
func newMLP(std Standardizer, in, hidden, classes int, r *rng.Source) *MLP {
	m := &MLP{Std: std, In: in, Hidden: hidden, Classes: classes,
		W1: make([]float32, in*hidden), B1: make([]float32, hidden),
		W2: make([]float32, hidden*classes), B2: make([]float32, classes)}
	s1 := math.Sqrt(2 / float64(in)) // W1 is [hidden][in], W2 [classes][hidden]
	for i := range m.W1 {
		m.W1[i] = float32(r.Norm() * s1)
	}
	s2 := math.Sqrt(2 / float64(hidden+classes))
	for i := range m.W2 {
		m.W2[i] = float32(r.Norm() * s2)
	}
	return m
}

func (m *MLP) clone() *MLP {
	c := *m
	c.W1, c.B1 = slices.Clone(m.W1), slices.Clone(m.B1)
	c.W2, c.B2 = slices.Clone(m.W2), slices.Clone(m.B2)
	return &c
}

// Kind returns "mlp".
func (m *MLP) Kind() string { return "mlp" }

// NumClasses returns the number of classes.
func (m *MLP) NumClasses() int { return m.Classes }

// Logits returns the network's raw scores for raw feature rows.
func (m *MLP) Logits(x [][]float32) [][]float64 { return m.logits(m.Std.Apply(x)) }

// Predict returns class probabilities.
func (m *MLP) Predict(x [][]float32) [][]float64 { return softmaxRows(m.Logits(x)) }

// logits runs the network on standardised rows, rows in parallel.
func (m *MLP) logits(z matrix) [][]float64 {
	out := make([][]float64, z.rows)
	forParts(parts, func(p int) {
		h := make([]float32, m.Hidden)
		lo, hi := span(z.rows, parts, p)
		for i := lo; i < hi; i++ {
			m.hidden(z.row(i), h)
			out[i] = m.output(h)
		}
	})
	return out
}

// hidden writes relu(W1·z + B1) into h.
func (m *MLP) hidden(z []float32, h []float32) {
	for k := range h {
		v := m.B1[k] + dot32(m.W1[k*m.In:(k+1)*m.In], z)
		h[k] = max(v, 0)
	}
}

// output returns W2·h + B2.
func (m *MLP) output(h []float32) []float64 {
	o := make([]float64, m.Classes)
	for c := range o {
		o[c] = float64(m.B2[c] + dot32(m.W2[c*m.Hidden:(c+1)*m.Hidden], h))
	}
	return o
}

// Folded returns the two Gemm layers on raw features in ONNX Gemm
// (transB=1) layout: W1 [hidden][features], B1 [hidden], W2
// [classes][hidden], B2 [classes]; the graph is Gemm, Relu, Gemm.
func (m *MLP) Folded() (w1 [][]float32, b1 []float32, w2 [][]float32, b2 []float32) {
	t := make([][]float64, m.Hidden)
	bb := make([]float64, m.Hidden)
	for k := range t {
		t[k] = make([]float64, m.In)
		for j, v := range m.W1[k*m.In : (k+1)*m.In] {
			t[k][j] = float64(v)
		}
		bb[k] = float64(m.B1[k])
	}
	w1, b1 = m.Std.Fold(t, bb)
	w2 = make([][]float32, m.Classes)
	for c := range w2 {
		w2[c] = slices.Clone(m.W2[c*m.Hidden : (c+1)*m.Hidden])
	}
	return w1, b1, w2, slices.Clone(m.B2)
}

// dot32 returns Σ a[i]*b[i] in float32 with four accumulators.
func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy32 adds a*x to y in float32, unrolled by 4.
func axpy32(a float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}
