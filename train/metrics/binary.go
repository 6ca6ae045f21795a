// Package metrics computes the evaluation metrics of an image-classification
// candidate on its validation split, with the definitions and key names of
// Hugging Face AutoTrain (which uses scikit-learn):
//
//   - binary: loss, accuracy, precision, recall, f1, auc (ROC AUC of the
//     positive class), plus the confusion matrix and the ROC curve;
//   - multi-class: loss, accuracy and the macro, micro and weighted forms of
//     precision, recall and f1, plus the confusion matrix.
//
// Conventions (all as in scikit-learn):
//   - loss is the mean cross-entropy of the predicted probabilities, with
//     probabilities clipped to [Eps, 1-Eps];
//   - a score is predicted positive when score >= threshold (AutoTrain takes
//     the argmax, i.e. threshold 0.5 up to the tie at exactly 0.5);
//   - a ratio whose denominator is zero is 0 (zero_division=0): precision is 0
//     when nothing is predicted positive, recall is 0 when a class has no
//     examples, F1 is 0 when both are 0;
//   - ROC AUC is undefined when the labels hold only one class: it is
//     reported as NaN, and Map leaves the key out.
package metrics

import (
	"errors"
	"fmt"
	"math"
)

// Eps is the probability clip used by the log loss (scikit-learn's historic
// default).
const Eps = 1e-15

// Binary metric keys, as AutoTrain names them.
const (
	KeyLoss      = "loss"
	KeyAccuracy  = "accuracy"
	KeyPrecision = "precision"
	KeyRecall    = "recall"
	KeyAUC       = "auc"
	KeyF1        = "f1"
)

// Confusion2 is a binary confusion matrix.
type Confusion2 struct {
	TN, FP, FN, TP int
}

// Matrix returns the matrix in scikit-learn's layout: rows are true classes,
// columns predicted classes, index 0 negative and 1 positive.
func (c Confusion2) Matrix() [][]int {
	return [][]int{{c.TN, c.FP}, {c.FN, c.TP}}
}

// Binary holds the metrics of a binary classifier at one threshold.
type Binary struct {
	Loss      float64
	Accuracy  float64
	Precision float64
	Recall    float64
	F1        float64
	// AUC is the ROC AUC of the positive class; NaN when the labels hold only
	// one class (undefined).
	AUC       float64
	Threshold float64
	Confusion Confusion2
	// ROC is the ROC curve (nil when AUC is undefined).
	ROC []ROCPoint
}

// Map returns the metrics under AutoTrain's keys, leaving out undefined
// (NaN) values so the map encodes as JSON.
func (b Binary) Map() map[string]float64 {
	return definedOnly(map[string]float64{
		KeyLoss: b.Loss, KeyAccuracy: b.Accuracy, KeyPrecision: b.Precision,
		KeyRecall: b.Recall, KeyAUC: b.AUC, KeyF1: b.F1,
	})
}

func definedOnly(m map[string]float64) map[string]float64 {
	for k, v := range m {
		if math.IsNaN(v) {
			delete(m, k)
		}
	}
	return m
}

// ErrEmpty is returned when there are no predictions to score.
var ErrEmpty = errors.New("metrics: no predictions")

// EvaluateBinary scores positive-class probabilities against the true labels
// (true = positive) at the given threshold.
func EvaluateBinary(scores []float64, positive []bool, threshold float64) (Binary, error) {
	if err := checkBinary(scores, positive); err != nil {
		return Binary{}, err
	}
	c := ConfusionAt(scores, positive, threshold)
	b := Binary{
		Loss:      LogLoss(scores, positive),
		Accuracy:  ratio(c.TP+c.TN, len(scores)),
		Precision: ratio(c.TP, c.TP+c.FP),
		Recall:    ratio(c.TP, c.TP+c.FN),
		F1:        ratio(2*c.TP, 2*c.TP+c.FP+c.FN),
		AUC:       ROCAUC(scores, positive),
		Threshold: threshold,
		Confusion: c,
	}
	if !math.IsNaN(b.AUC) {
		b.ROC = ROCCurve(scores, positive)
	}
	return b, nil
}

// EvaluateProbs scores probability rows (one column per class) for a binary
// task whose positive class is column pos; labels are class indices.
func EvaluateProbs(probs [][]float64, labels []int, pos int, threshold float64) (Binary, error) {
	if len(probs) != len(labels) {
		return Binary{}, fmt.Errorf("metrics: %d probability rows for %d labels", len(probs), len(labels))
	}
	scores := make([]float64, len(probs))
	positive := make([]bool, len(probs))
	for i, row := range probs {
		if pos < 0 || pos >= len(row) {
			return Binary{}, fmt.Errorf("metrics: positive class %d outside row %d of width %d", pos, i, len(row))
		}
		scores[i] = row[pos]
		positive[i] = labels[i] == pos
	}
	return EvaluateBinary(scores, positive, threshold)
}

func checkBinary(scores []float64, positive []bool) error {
	if len(scores) != len(positive) {
		return fmt.Errorf("metrics: %d scores for %d labels", len(scores), len(positive))
	}
	if len(scores) == 0 {
		return ErrEmpty
	}
	for i, s := range scores {
		if math.IsNaN(s) {
			return fmt.Errorf("metrics: score %d is NaN", i)
		}
	}
	return nil
}

// ConfusionAt counts the binary outcomes when score >= threshold predicts
// positive.
func ConfusionAt(scores []float64, positive []bool, threshold float64) Confusion2 {
	var c Confusion2
	for i, s := range scores {
		switch pred := s >= threshold; {
		case pred && positive[i]:
			c.TP++
		case pred:
			c.FP++
		case positive[i]:
			c.FN++
		default:
			c.TN++
		}
	}
	return c
}

// LogLoss is the mean binary cross-entropy of positive-class probabilities,
// clipped to [Eps, 1-Eps].
func LogLoss(scores []float64, positive []bool) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	var sum float64
	for i, s := range scores {
		p := clip(s)
		if positive[i] {
			sum -= math.Log(p)
		} else {
			sum -= math.Log(1 - p)
		}
	}
	return sum / float64(len(scores))
}

func clip(p float64) float64 {
	return math.Min(math.Max(p, Eps), 1-Eps)
}

// ratio is num/den, or 0 when den is 0 (scikit-learn's zero_division=0).
func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}
