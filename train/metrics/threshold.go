package metrics

import (
	"errors"
	"fmt"
	"math"
)

// ThresholdChoice is a decision threshold picked for a target recall.
type ThresholdChoice struct {
	Threshold float64 `json:"threshold"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// ErrNoPositives is returned by threshold tuning when the labels hold no
// positive example, so recall is undefined.
var ErrNoPositives = errors.New("metrics: no positive examples, recall is undefined")

// ThresholdForRecall picks the decision threshold (score >= threshold is
// positive) among the distinct scores whose recall reaches target and whose
// precision is the best there; among equal precisions the highest threshold
// wins. It reports precision and recall at the chosen threshold. A target in
// [0, 1] is always reached: at the lowest score every positive is found.
func ThresholdForRecall(scores []float64, positive []bool, target float64) (ThresholdChoice, error) {
	if err := checkBinary(scores, positive); err != nil {
		return ThresholdChoice{}, err
	}
	if target < 0 || target > 1 || math.IsNaN(target) {
		return ThresholdChoice{}, fmt.Errorf("metrics: target recall %v outside [0, 1]", target)
	}
	nPos, _ := countPos(positive)
	if nPos == 0 {
		return ThresholdChoice{}, ErrNoPositives
	}
	idx := sortedByScore(scores, true)
	best := ThresholdChoice{Precision: -1}
	tp, fp := 0, 0
	for i := 0; i < len(idx); {
		s := scores[idx[i]]
		for ; i < len(idx) && scores[idx[i]] == s; i++ {
			if positive[idx[i]] {
				tp++
			} else {
				fp++
			}
		}
		rec, prec := ratio(tp, nPos), ratio(tp, tp+fp)
		if rec >= target && prec > best.Precision {
			best = ThresholdChoice{Threshold: s, Precision: prec, Recall: rec}
		}
	}
	return best, nil
}
