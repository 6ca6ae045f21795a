package metrics

import (
	"math"
	"sort"
)

// ROCPoint is one point of a ROC curve: predicting positive when
// score >= Threshold gives false-positive rate FPR and true-positive rate TPR.
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// ROCAUC is the area under the ROC curve of the positive class, computed from
// ranks (the Mann-Whitney statistic) with tied scores given their average
// rank; this equals the trapezoidal area under ROCCurve. It is NaN when the
// labels hold only one class.
func ROCAUC(scores []float64, positive []bool) float64 {
	nPos, nNeg := countPos(positive)
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	idx := sortedByScore(scores, false)
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+1+j) / 2 // mean of ranks i+1..j
		for _, k := range idx[i:j] {
			if positive[k] {
				rankSum += avg
			}
		}
		i = j
	}
	p, n := float64(nPos), float64(nNeg)
	return (rankSum - p*(p+1)/2) / (p * n)
}

// ROCCurve returns the ROC curve with one point per distinct score, from
// (0, 0) at threshold +Inf to (1, 1) at the lowest score, like
// scikit-learn's roc_curve with drop_intermediate=False. It returns nil when
// the labels hold only one class.
func ROCCurve(scores []float64, positive []bool) []ROCPoint {
	nPos, nNeg := countPos(positive)
	if nPos == 0 || nNeg == 0 {
		return nil
	}
	idx := sortedByScore(scores, true)
	pts := []ROCPoint{{Threshold: math.Inf(1)}}
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
		pts = append(pts, ROCPoint{Threshold: s, FPR: float64(fp) / float64(nNeg), TPR: float64(tp) / float64(nPos)})
	}
	return pts
}

// TrapezoidArea is the area under a curve of (FPR, TPR) points sorted by FPR.
func TrapezoidArea(pts []ROCPoint) float64 {
	var a float64
	for i := 1; i < len(pts); i++ {
		a += (pts[i].FPR - pts[i-1].FPR) * (pts[i].TPR + pts[i-1].TPR) / 2
	}
	return a
}

func countPos(positive []bool) (nPos, nNeg int) {
	for _, p := range positive {
		if p {
			nPos++
		} else {
			nNeg++
		}
	}
	return nPos, nNeg
}

// sortedByScore returns indices ordered by score (stable on ties).
func sortedByScore(scores []float64, desc bool) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if desc {
			return scores[idx[a]] > scores[idx[b]]
		}
		return scores[idx[a]] < scores[idx[b]]
	})
	return idx
}
