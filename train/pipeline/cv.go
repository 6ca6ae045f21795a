package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"quarry/train/dataset"
	"quarry/train/heads"
	"quarry/train/internal/rng"
)

// DefaultFolds is the number of cross-validation folds.
const DefaultFolds = 5

// CrossValidation is a candidate's k-fold cross-validated estimate: each
// fold of the whole dataset (training and validation splits together) was
// predicted by a head fitted the candidate's way (inner tuning split,
// selection, refit, threshold) on the other folds.
type CrossValidation struct {
	// Folds is k; Images the number of images over all folds.
	Folds  int
	Images int
	// Seed drew the folds and the folds' inner tuning splits.
	Seed uint64
	// Metrics are the means over the folds of each metric defined on every
	// fold; StdErr their standard errors (the folds' sample standard
	// deviation over the square root of k).
	Metrics map[string]float64
	StdErr  map[string]float64
	// PerFold are the folds' own outcomes, in fold order.
	PerFold []FoldResult
}

// FoldResult is one fold's outcome.
type FoldResult struct {
	// Size is the number of images of the fold; Train the number the fold's
	// head was fitted on (the other folds).
	Size, Train int
	// Threshold is the fold head's decision threshold (binary task).
	Threshold float64
	Metrics   map[string]float64
}

// CVData is a labelled feature set to cross-validate on.
type CVData struct {
	// Items are the images; Path (unique), Label and Class are used.
	Items []Item
	// X holds the features of Items, row by row.
	X [][]float32
	// Labels are the class labels in class-id order.
	Labels []string
	// Positive is the class id of a binary task's positive class.
	Positive int
}

// CVOptions configures CrossValidate.
type CVOptions struct {
	// Seed drives the folds' inner tuning splits.
	Seed uint64
	// TuningFraction is the share of each fold's training images held out
	// for selection (default DefaultTuningFraction).
	TuningFraction float64
	// TargetRecall, when in (0, 1], tunes each fold head's threshold on its
	// tuning split, as the pipeline does for the published head.
	TargetRecall float64
	// OnFold, when set, is called after each fold with the folds done.
	OnFold func(done, total int)
}

// ErrTooFewForFolds is returned when a class has fewer than two images.
var ErrTooFewForFolds = errors.New("too few images of a class for cross-validation")

// StratifiedFolds assigns items to k stratified folds (dataset.StratifiedFolds)
// and returns each item's fold. k is lowered to the size of the smallest
// class, so that every fold has every class; with fewer than two images in
// a class it returns ErrTooFewForFolds.
func StratifiedFolds(items []Item, k int, seed uint64) ([]int, error) {
	perClass := map[string]int{}
	files := make([]dataset.File, len(items))
	for i, it := range items {
		files[i] = dataset.File{Path: it.Path, Label: it.Label}
		perClass[it.Label]++
	}
	k = min(k, slices.Min(append(slices.Collect(maps.Values(perClass)), k)))
	if k < 2 {
		return nil, ErrTooFewForFolds
	}
	return dataset.StratifiedFolds(files, k, seed), nil
}

// CrossValidate estimates how the head of spec (Head and Trainer set),
// fitted the pipeline's way, does on images it did not see: for each fold
// f of fold (fold[i] is the fold of data.Items[i], 0..k-1), it holds out a
// stratified TuningFraction of the other folds' images, fits the head on
// the rest with its hyper-parameters and early stopping (and the decision
// threshold, with TargetRecall) chosen on that tuning split, refits it on
// all the other folds' images, and measures it on fold f. The estimate is
// the mean of each metric over the folds.
func CrossValidate(ctx context.Context, spec CandidateSpec, data CVData, fold []int, o CVOptions) (*CrossValidation, error) {
	if len(fold) != len(data.Items) || len(data.X) != len(data.Items) {
		return nil, fmt.Errorf("cross-validation: %d items, %d feature rows, %d fold numbers", len(data.Items), len(data.X), len(fold))
	}
	if o.TuningFraction == 0 {
		o.TuningFraction = DefaultTuningFraction
	}
	k := slices.Max(append(slices.Clone(fold), -1)) + 1
	cv := &CrossValidation{Folds: k, Images: len(data.Items), Seed: o.Seed}
	sc := scorer{labels: data.Labels, pos: data.Positive, targetRecall: o.TargetRecall}
	for f := range k {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := crossValidateFold(spec, data, fold, f, sc, rng.Derive(o.Seed, uint64(f)), o.TuningFraction)
		if err != nil {
			return nil, fmt.Errorf("cross-validation fold %d of %d: %w", f+1, k, err)
		}
		cv.PerFold = append(cv.PerFold, res)
		if o.OnFold != nil {
			o.OnFold(f+1, k)
		}
	}
	cv.Metrics, cv.StdErr = meanAndStdErr(cv.PerFold)
	return cv, nil
}

// crossValidateFold fits on every fold but f and measures on f.
func crossValidateFold(spec CandidateSpec, data CVData, fold []int, f int, sc scorer, seed uint64,
	tuningFraction float64) (FoldResult, error) {
	index := map[string]int{}
	var rest []dataset.File
	var test []int
	for i, it := range data.Items {
		if fold[i] == f {
			test = append(test, i)
			continue
		}
		index[it.Path] = i
		rest = append(rest, dataset.File{Path: it.Path, Label: it.Label})
	}
	if len(test) == 0 || len(rest) == 0 {
		return FoldResult{}, fmt.Errorf("%d held-out and %d training images", len(test), len(rest))
	}
	fitFiles, tuneFiles := dataset.StratifiedSplit(rest, tuningFraction, seed)
	rows := func(files []dataset.File) []int {
		out := make([]int, len(files))
		for j, file := range files {
			out[j] = index[file.Path]
		}
		return out
	}
	fitIdx, tuneIdx := rows(fitFiles), rows(tuneFiles)
	fit, tune := data.subset(fitIdx), data.subset(tuneIdx)
	train, held := data.subset(append(slices.Clone(fitIdx), tuneIdx...)), data.subset(test)
	h, err := fitTheWay(spec, fit, tune, train)
	if err != nil {
		return FoldResult{}, err
	}
	ev, err := sc.score(h.model.Predict(held.X), held.Y, h.sel.Predict(tune.X), tune.Y)
	if err != nil {
		return FoldResult{}, err
	}
	return FoldResult{Size: len(test), Train: train.Len(), Threshold: ev.threshold, Metrics: ev.metrics}, nil
}

// subset is the heads.Dataset of the rows idx of d.
func (d CVData) subset(idx []int) heads.Dataset {
	out := heads.Dataset{X: make([][]float32, len(idx)), Y: make([]int, len(idx)), Classes: len(d.Labels)}
	for j, i := range idx {
		out.X[j], out.Y[j] = d.X[i], d.Items[i].Class
	}
	return out
}

// meanAndStdErr averages each metric defined (finite) on every fold and
// gives the standard error of that mean: the sample standard deviation of
// the fold values over the square root of the number of folds.
func meanAndStdErr(folds []FoldResult) (mean, se map[string]float64) {
	mean, se = map[string]float64{}, map[string]float64{}
	if len(folds) == 0 {
		return mean, se
	}
	k := float64(len(folds))
keys:
	for key := range folds[0].Metrics {
		var sum float64
		for _, f := range folds {
			v, ok := f.Metrics[key]
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				continue keys
			}
			sum += v
		}
		m := sum / k
		var ss float64
		for _, f := range folds {
			ss += (f.Metrics[key] - m) * (f.Metrics[key] - m)
		}
		mean[key], se[key] = m, 0
		if len(folds) > 1 {
			se[key] = math.Sqrt(ss/(k-1)) / math.Sqrt(k)
		}
	}
	return mean, se
}

// cvSalt distinguishes the cross-validation seed ("xvalid" in ASCII).
const cvSalt = 0x7876616c6964

// cvSeed is the seed of the folds and their inner splits, derived from
// Options.Seed so that it does not repeat the split's draws.
func (r *run) cvSeed() uint64 { return rng.Derive(r.opts.Seed, cvSalt) }

// crossValidateAll cross-validates every candidate over all the images of
// the split (training and validation), unless Options.Folds is negative or
// a class has fewer than two images.
func (r *run) crossValidateAll(ctx context.Context, fs featureSet) error {
	if r.opts.Folds < 0 {
		return nil
	}
	start, done := r.phase(PhaseCrossValidate)
	defer done()
	all := append(slices.Clone(r.res.Train), r.res.Validation...)
	slices.SortFunc(all, func(a, b Item) int {
		return cmp.Or(strings.Compare(a.Label, b.Label), strings.Compare(a.Path, b.Path))
	})
	fold, err := StratifiedFolds(all, r.opts.Folds, r.cvSeed())
	if errors.Is(err, ErrTooFewForFolds) {
		r.emit(Event{Phase: PhaseCrossValidate, Message: "skipped: " + err.Error()})
		return nil
	}
	r.res.CVItems, r.res.Folds = all, fold
	k := slices.Max(fold) + 1
	total := k * len(r.res.Candidates)
	for i := range r.res.Candidates {
		c, spec := &r.res.Candidates[i], r.opts.Candidates[i]
		x, err := fs.rows(spec.BackboneDir, all)
		if err != nil {
			return err
		}
		data := CVData{Items: all, X: x, Labels: r.res.Labels, Positive: max(r.labelIndex(r.res.Positive), 0)}
		onFold := func(d, _ int) {
			el := r.opts.Now().Sub(start)
			r.emit(Event{Phase: PhaseCrossValidate, Candidate: c.Name, Done: i*k + d, Total: total, Elapsed: el,
				ETA: eta(el, i*k+d, total)})
		}
		if c.CV, err = CrossValidate(ctx, spec, data, fold, CVOptions{Seed: r.cvSeed(), TuningFraction: r.opts.TuningFraction,
			TargetRecall: r.opts.TargetRecall, OnFold: onFold}); err != nil {
			return fmt.Errorf("candidate %s: %w", c.Name, err)
		}
	}
	return nil
}
