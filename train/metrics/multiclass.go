package metrics

import (
	"fmt"
	"math"
)

// Multi-class metric keys, as AutoTrain names them (plus KeyLoss and
// KeyAccuracy).
const (
	KeyF1Macro           = "f1_macro"
	KeyF1Micro           = "f1_micro"
	KeyF1Weighted        = "f1_weighted"
	KeyPrecisionMacro    = "precision_macro"
	KeyPrecisionMicro    = "precision_micro"
	KeyPrecisionWeighted = "precision_weighted"
	KeyRecallMacro       = "recall_macro"
	KeyRecallMicro       = "recall_micro"
	KeyRecallWeighted    = "recall_weighted"
)

// ClassStats are the one-vs-rest figures of one class.
type ClassStats struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// Support is the number of true examples of the class.
	Support int `json:"support"`
	// Predicted is the number of examples predicted as the class.
	Predicted int `json:"predicted"`
}

// Averages holds the macro, micro and weighted form of a metric.
type Averages struct {
	Macro, Micro, Weighted float64
}

// Multiclass holds the metrics of a multi-class classifier (prediction =
// argmax of the probability row, the first index on ties).
type Multiclass struct {
	Loss      float64
	Accuracy  float64
	Precision Averages
	Recall    Averages
	F1        Averages
	// Confusion[t][p] counts examples of true class t predicted as p.
	Confusion [][]int
	PerClass  []ClassStats
}

// Map returns the metrics under AutoTrain's keys.
func (m Multiclass) Map() map[string]float64 {
	return definedOnly(map[string]float64{
		KeyLoss: m.Loss, KeyAccuracy: m.Accuracy,
		KeyF1Macro: m.F1.Macro, KeyF1Micro: m.F1.Micro, KeyF1Weighted: m.F1.Weighted,
		KeyPrecisionMacro: m.Precision.Macro, KeyPrecisionMicro: m.Precision.Micro,
		KeyPrecisionWeighted: m.Precision.Weighted,
		KeyRecallMacro:       m.Recall.Macro, KeyRecallMicro: m.Recall.Micro, KeyRecallWeighted: m.Recall.Weighted,
	})
}

// EvaluateMulticlass scores probability rows (one column per class) against
// class-index labels. Macro averages run over the classes that occur among
// the labels or the predictions, as scikit-learn does without an explicit
// label list; weighted averages weight each class by its support. With one
// label per example the micro averages all equal the accuracy.
func EvaluateMulticlass(probs [][]float64, labels []int) (Multiclass, error) {
	k, err := checkRows(probs, labels)
	if err != nil {
		return Multiclass{}, err
	}
	m := Multiclass{Confusion: make([][]int, k)}
	for i := range m.Confusion {
		m.Confusion[i] = make([]int, k)
	}
	var loss float64
	correct := 0
	for i, row := range probs {
		p := argmax(row)
		m.Confusion[labels[i]][p]++
		if p == labels[i] {
			correct++
		}
		loss -= math.Log(clip(row[labels[i]]))
	}
	n := len(probs)
	m.Loss = loss / float64(n)
	m.Accuracy = ratio(correct, n)
	m.PerClass = perClass(m.Confusion)
	m.Precision, m.Recall, m.F1 = average(m.PerClass, m.Accuracy, n)
	return m, nil
}

func checkRows(probs [][]float64, labels []int) (int, error) {
	if len(probs) != len(labels) {
		return 0, fmt.Errorf("metrics: %d probability rows for %d labels", len(probs), len(labels))
	}
	if len(probs) == 0 {
		return 0, ErrEmpty
	}
	k := len(probs[0])
	if k < 2 {
		return 0, fmt.Errorf("metrics: %d classes, want at least 2", k)
	}
	for i, row := range probs {
		if len(row) != k {
			return 0, fmt.Errorf("metrics: row %d has %d classes, want %d", i, len(row), k)
		}
		if labels[i] < 0 || labels[i] >= k {
			return 0, fmt.Errorf("metrics: label %d of row %d outside 0..%d", labels[i], i, k-1)
		}
	}
	return k, nil
}

func argmax(row []float64) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// perClass derives one-vs-rest precision, recall and F1 from a confusion
// matrix.
func perClass(conf [][]int) []ClassStats {
	out := make([]ClassStats, len(conf))
	for c := range conf {
		tp := conf[c][c]
		for j := range conf {
			out[c].Support += conf[c][j]
			out[c].Predicted += conf[j][c]
		}
		fp, fn := out[c].Predicted-tp, out[c].Support-tp
		out[c].Precision = ratio(tp, tp+fp)
		out[c].Recall = ratio(tp, tp+fn)
		out[c].F1 = ratio(2*tp, 2*tp+fp+fn)
	}
	return out
}

// average forms the macro, micro and weighted averages.
func average(cs []ClassStats, accuracy float64, n int) (p, r, f Averages) {
	present := 0
	for _, c := range cs {
		if c.Support == 0 && c.Predicted == 0 {
			continue
		}
		present++
		p.Macro += c.Precision
		r.Macro += c.Recall
		f.Macro += c.F1
		w := float64(c.Support) / float64(n)
		p.Weighted += w * c.Precision
		r.Weighted += w * c.Recall
		f.Weighted += w * c.F1
	}
	p.Macro /= float64(present)
	r.Macro /= float64(present)
	f.Macro /= float64(present)
	p.Micro, r.Micro, f.Micro = accuracy, accuracy, accuracy
	return p, r, f
}
