package dataset

import (
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strings"

	"quarry/train/internal/rng"
)

// Default split parameters, as in AutoTrain: 20 % validation, seed 42.
const (
	DefaultValidationFraction = 0.2
	DefaultSeed               = 42
)

// StratifiedSplit splits files into training and validation sets class by
// class: each class keeps round(n·fraction) files for validation, at least 1
// when it has 2 or more files and never all of them. The result depends only
// on the set of files, the fraction and the seed (not on the input order),
// and is returned sorted by label, then path.
func StratifiedSplit(files []File, fraction float64, seed uint64) (train, val []File) {
	byLabel := map[string][]File{}
	for _, f := range files {
		byLabel[f.Label] = append(byLabel[f.Label], f)
	}
	for _, label := range slices.Sorted(maps.Keys(byLabel)) {
		group := byLabel[label]
		slices.SortFunc(group, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
		n := len(group)
		k := valCount(n, fraction)
		r := rng.New(rng.Derive(seed, labelHash(label)))
		perm := r.Perm(n)
		isVal := make([]bool, n)
		for _, i := range perm[:k] {
			isVal[i] = true
		}
		for i, f := range group {
			if isVal[i] {
				val = append(val, f)
			} else {
				train = append(train, f)
			}
		}
	}
	return train, val
}

// StratifiedFolds assigns files to k folds for cross-validation, class by
// class: a class's files are shuffled and dealt to the folds in turn, so
// each fold gets floor(n/k) or ceil(n/k) files of a class of n, and the
// deal of each class starts where the previous class's ended, so that fold
// sizes differ by at most one. It returns the fold (0..k-1) of each file,
// in the order of files. The assignment depends only on the set of files,
// k and the seed (not on the input order). Paths must be unique. k < 1 is
// taken as 1.
func StratifiedFolds(files []File, k int, seed uint64) []int {
	k = max(k, 1)
	byLabel := map[string][]int{}
	for i, f := range files {
		byLabel[f.Label] = append(byLabel[f.Label], i)
	}
	fold := make([]int, len(files))
	next := 0
	for _, label := range slices.Sorted(maps.Keys(byLabel)) {
		group := byLabel[label]
		slices.SortFunc(group, func(a, b int) int { return strings.Compare(files[a].Path, files[b].Path) })
		r := rng.New(rng.Derive(seed, labelHash(label)))
		for _, j := range r.Perm(len(group)) {
			fold[group[j]] = next
			next = (next + 1) % k
		}
	}
	return fold
}

// valCount is the number of validation files of a class of n files.
func valCount(n int, fraction float64) int {
	if n < 2 {
		return 0
	}
	k := int(math.Round(float64(n) * fraction))
	return min(max(k, 1), n-1)
}

func labelHash(label string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(label))
	return h.Sum64()
}
