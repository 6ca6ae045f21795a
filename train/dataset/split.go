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
