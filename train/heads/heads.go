// Package heads trains classification heads on frozen backbone features
// (float32 vectors, 1792-d for Quarry's MobileNetV2 backbone), in pure Go and
// deterministically (same data and seed, same model, on any number of cores):
//
//   - LogReg: multinomial logistic regression with L2, fitted by L-BFGS, the
//     L2 strength picked on the validation set given to Fit from a small grid;
//   - MLP: one hidden ReLU layer trained by Adam with early stopping on the
//     validation loss;
//   - GBDT: gradient-boosted depth-limited trees (binary logistic or
//     multi-class softmax) on histogram splits, with early stopping.
//
// The validation set given to Fit is used for selection, so metrics
// measured on it are optimistic. Quarry's pipeline passes an inner tuning
// split of its training data, then fits again on the whole training split
// with what was chosen (Refit), and reports metrics on a split no head saw.
//
// The linear and MLP heads standardise features with statistics kept in the
// model; Folded folds them back into the first layer so the export is a
// plain Gemm (+Relu+Gemm) on raw backbone features. Trees split on raw
// feature values and keep an explicit node structure for ONNX-ML
// TreeEnsemble export.
package heads

import (
	"errors"
	"fmt"
	"math"
)

// Dataset is a labelled feature matrix: X[i] has label Y[i] in 0..Classes-1.
type Dataset struct {
	X       [][]float32
	Y       []int
	Classes int
}

// Len returns the number of examples.
func (d Dataset) Len() int { return len(d.X) }

// Dim returns the feature dimension (0 for an empty dataset).
func (d Dataset) Dim() int {
	if len(d.X) == 0 {
		return 0
	}
	return len(d.X[0])
}

// Check validates shapes and labels. An empty dataset is valid when
// allowEmpty is set (an absent validation split).
func (d Dataset) Check(allowEmpty bool) error {
	if d.Classes < 2 {
		return fmt.Errorf("heads: %d classes, want at least 2", d.Classes)
	}
	if len(d.X) != len(d.Y) {
		return fmt.Errorf("heads: %d feature rows for %d labels", len(d.X), len(d.Y))
	}
	if len(d.X) == 0 {
		if allowEmpty {
			return nil
		}
		return errors.New("heads: empty training set")
	}
	dim := len(d.X[0])
	for i, row := range d.X {
		if len(row) != dim || dim == 0 {
			return fmt.Errorf("heads: row %d has %d features, want %d", i, len(row), dim)
		}
		if d.Y[i] < 0 || d.Y[i] >= d.Classes {
			return fmt.Errorf("heads: label %d of row %d outside 0..%d", d.Y[i], i, d.Classes-1)
		}
	}
	return nil
}

// checkPair validates a training and a validation set together.
func checkPair(train, val Dataset) error {
	if err := train.Check(false); err != nil {
		return err
	}
	if err := val.Check(true); err != nil {
		return fmt.Errorf("validation: %w", err)
	}
	if val.Len() > 0 && (val.Dim() != train.Dim() || val.Classes != train.Classes) {
		return fmt.Errorf("heads: validation has %d features and %d classes, training %d and %d",
			val.Dim(), val.Classes, train.Dim(), train.Classes)
	}
	return nil
}

// Model is a trained head.
type Model interface {
	// Kind names the head: "logreg", "mlp" or "gbdt".
	Kind() string
	// NumClasses returns the number of classes.
	NumClasses() int
	// Logits returns raw class scores, one row per input row; Predict is
	// their softmax.
	Logits(x [][]float32) [][]float64
	// Predict returns class probabilities, one row per input row.
	Predict(x [][]float32) [][]float64
}

// Trainer fits a head; the option structs of each head implement it.
type Trainer interface {
	Fit(train, val Dataset) (Model, error)
}

// Kinds lists the head names accepted by Default.
var Kinds = []string{"logreg", "mlp", "gbdt"}

// Default returns the trainer of a head with default options and the given
// seed.
func Default(kind string, seed uint64) (Trainer, error) {
	switch kind {
	case "logreg":
		return LogRegOptions{}, nil
	case "mlp":
		return MLPOptions{Seed: seed}, nil
	case "gbdt":
		return GBDTOptions{Seed: seed}, nil
	}
	return nil, fmt.Errorf("heads: unknown head %q (want one of %v)", kind, Kinds)
}

// Softmax returns the softmax of logits, computed stably.
func Softmax(logits []float64) []float64 {
	out := make([]float64, len(logits))
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, v)
	}
	var sum float64
	for i, v := range logits {
		out[i] = math.Exp(v - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// softmaxRows applies Softmax to every row.
func softmaxRows(logits [][]float64) [][]float64 {
	out := make([][]float64, len(logits))
	for i, l := range logits {
		out[i] = Softmax(l)
	}
	return out
}

// LogLoss is the mean cross-entropy of probability rows (clipped at 1e-15).
func LogLoss(probs [][]float64, y []int) float64 {
	if len(probs) == 0 {
		return math.NaN()
	}
	var s float64
	for i, p := range probs {
		s -= math.Log(math.Max(p[y[i]], 1e-15))
	}
	return s / float64(len(probs))
}

// Accuracy is the share of rows whose argmax is the label.
func Accuracy(probs [][]float64, y []int) float64 {
	if len(probs) == 0 {
		return math.NaN()
	}
	ok := 0
	for i, p := range probs {
		best := 0
		for j := range p {
			if p[j] > p[best] {
				best = j
			}
		}
		if best == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(probs))
}
