package pipeline

import (
	"fmt"
	"math"
	"strings"

	"quarry/train/metrics"
)

// writeCVMetrics writes the results table of a cross-validated candidate:
// the cross-validated estimate beside the validation split's figures, and
// what each is.
func (r *run) writeCVMetrics(b *strings.Builder, c *Candidate) {
	cv, nVal := c.CV, len(r.res.Validation)
	fmt.Fprintf(b, "## Results\n\n| metric | expected (%d-fold cross-validation, %d images) | validation split (%d images) |\n"+
		"|---|---:|---:|\n", cv.Folds, cv.Images, nVal)
	for _, k := range metricOrder[r.task()] {
		v, ok := c.Metrics[k]
		m, okCV := cv.Metrics[k]
		if !ok && !okCV {
			continue
		}
		_, _, name := metricInfo(k)
		expected, measured := "–", "–"
		if okCV {
			expected = fmt.Sprintf("%.4f ± %.4f", m, cv.StdErr[k])
		}
		if ok {
			measured = fmt.Sprintf("%.4f", v)
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, expected, measured)
	}
	acc := cv.Metrics[metrics.KeyAccuracy]
	valAcc := c.Metrics[metrics.KeyAccuracy]
	fmt.Fprintf(b, "\n**Expected accuracy on new images like these: %.4f ± %.4f** (mean ± standard error over %d folds). "+
		"This is the best estimate of how the model does on new images from the same source: each of %d stratified folds "+
		"of all %d images was predicted by a head fitted and tuned the same way as this one on the other folds (about %d "+
		"images; this model was fitted on %d), whereas the validation column measures this very model but on %d images "+
		"only, so it is the noisier figure (its accuracy's own standard error is about %.3f).\n\n",
		acc, cv.StdErr[metrics.KeyAccuracy], cv.Folds, cv.Folds, cv.Images, meanTrain(cv), len(r.res.Train), nVal,
		binomialSE(valAcc, nVal))
}

// meanTrain is the mean number of images the fold heads were fitted on.
func meanTrain(cv *CrossValidation) int {
	if len(cv.PerFold) == 0 {
		return 0
	}
	n := 0
	for _, f := range cv.PerFold {
		n += f.Train
	}
	return int(math.Round(float64(n) / float64(len(cv.PerFold))))
}

// binomialSE is the standard error of a proportion p measured on n items.
func binomialSE(p float64, n int) float64 {
	if n == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	return math.Sqrt(p * (1 - p) / float64(n))
}

// writeRanking says what the candidates were ranked on, and what that
// does to the winner's figures.
func (r *run) writeRanking(b *strings.Builder) {
	n := len(r.res.Candidates)
	switch {
	case n > 1 && r.res.RankedOn == RankedOnCV:
		fmt.Fprintf(b, " The %d candidates were ranked by their cross-validated `%s` (see Results), so the best "+
			"candidate's cross-validated figures carry a small optimism from being the best of %d; the validation split "+
			"took no part in the ranking.", n, r.res.RankedBy, n)
	case n > 1:
		fmt.Fprintf(b, " The validation split did rank the %d candidates (AutoTrain's convention), so the best candidate's "+
			"figures carry a small optimism from being the best of %d.", n, n)
	default:
		b.WriteString(" When Quarry trains several candidates it ranks them by their cross-validated figures (on the " +
			"validation split when there are none), so a published winner's figures carry a small optimism from being " +
			"the best of several.")
	}
}
