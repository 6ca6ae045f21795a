package dataset

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func files(label string, n int) []File {
	out := make([]File, n)
	for i := range out {
		out[i] = File{Path: fmt.Sprintf("%s/%03d.png", label, i), Label: label}
	}
	return out
}

func TestStratifiedSplitCounts(t *testing.T) {
	cases := []struct {
		sizes   map[string]int
		frac    float64
		wantVal map[string]int
	}{
		{map[string]int{"mine": 250, "no_mine": 250}, 0.2, map[string]int{"mine": 50, "no_mine": 50}},
		{map[string]int{"a": 10, "b": 3, "c": 2, "d": 1}, 0.2, map[string]int{"a": 2, "b": 1, "c": 1}},
		{map[string]int{"a": 7, "b": 33}, 0.25, map[string]int{"a": 2, "b": 8}},
		{map[string]int{"a": 5}, 1, map[string]int{"a": 4}}, // never the whole class
	}
	for _, c := range cases {
		var all []File
		for label, n := range c.sizes {
			all = append(all, files(label, n)...)
		}
		train, val := StratifiedSplit(all, c.frac, DefaultSeed)
		got := map[string]int{}
		for _, f := range val {
			got[f.Label]++
		}
		if diff := cmp.Diff(c.wantVal, got); diff != "" {
			t.Errorf("sizes %v (-want +got):\n%s", c.sizes, diff)
		}
		if len(train)+len(val) != len(all) {
			t.Errorf("lost files: %d + %d != %d", len(train), len(val), len(all))
		}
		seen := map[string]bool{}
		for _, f := range append(slices.Clone(train), val...) {
			if seen[f.Path] {
				t.Fatalf("%s on both sides", f.Path)
			}
			seen[f.Path] = true
		}
	}
}

func TestStratifiedSplitDeterministic(t *testing.T) {
	all := append(files("mine", 40), files("no_mine", 60)...)
	tr1, v1 := StratifiedSplit(all, 0.2, 42)
	rev := slices.Clone(all)
	slices.Reverse(rev)
	tr2, v2 := StratifiedSplit(rev, 0.2, 42)
	if !cmp.Equal(tr1, tr2) || !cmp.Equal(v1, v2) {
		t.Fatal("input order changed the split")
	}
	_, v3 := StratifiedSplit(all, 0.2, 43)
	if cmp.Equal(v1, v3) {
		t.Fatal("seeds 42 and 43 gave the same split")
	}
	// Pinned: the split of seed 42 must not change between releases.
	want := []string{"mine/006.png", "mine/008.png", "mine/009.png"}
	if got := []string{v1[0].Path, v1[1].Path, v1[2].Path}; !cmp.Equal(want, got) {
		t.Fatalf("first validation files %v, want %v", got, want)
	}
}

func TestStratifiedFolds(t *testing.T) {
	cases := []struct {
		sizes     map[string]int
		k         int
		wantSizes []int // sorted fold sizes
	}{
		{map[string]int{"mine": 250, "no_mine": 250}, 5, []int{100, 100, 100, 100, 100}},
		{map[string]int{"a": 7, "b": 8}, 5, []int{3, 3, 3, 3, 3}},
		{map[string]int{"a": 6, "b": 6, "c": 5}, 4, []int{4, 4, 4, 5}},
		{map[string]int{"a": 3, "b": 2}, 2, []int{2, 3}},
	}
	for _, c := range cases {
		var all []File
		for _, label := range slices.Sorted(maps.Keys(c.sizes)) {
			all = append(all, files(label, c.sizes[label])...)
		}
		fold := StratifiedFolds(all, c.k, DefaultSeed)
		if len(fold) != len(all) {
			t.Fatalf("sizes %v: %d folds for %d files", c.sizes, len(fold), len(all))
		}
		sizes := make([]int, c.k)
		perClass := map[string][]int{}
		for i, f := range fold {
			if f < 0 || f >= c.k {
				t.Fatalf("sizes %v: file %s in fold %d of %d", c.sizes, all[i].Path, f, c.k)
			}
			sizes[f]++
			if perClass[all[i].Label] == nil {
				perClass[all[i].Label] = make([]int, c.k)
			}
			perClass[all[i].Label][f]++
		}
		slices.Sort(sizes)
		if !cmp.Equal(sizes, c.wantSizes) {
			t.Errorf("sizes %v, k %d: fold sizes %v, want %v", c.sizes, c.k, sizes, c.wantSizes)
		}
		for label, counts := range perClass {
			n := c.sizes[label]
			for f, got := range counts {
				if got != n/c.k && got != (n+c.k-1)/c.k {
					t.Errorf("sizes %v: class %s has %d files in fold %d, want %d or %d", c.sizes, label, got, f, n/c.k, (n+c.k-1)/c.k)
				}
			}
		}
	}
}

func TestStratifiedFoldsDeterministic(t *testing.T) {
	all := append(files("mine", 23), files("no_mine", 31)...)
	byPath := func(fs []File, fold []int) map[string]int {
		m := map[string]int{}
		for i, f := range fs {
			m[f.Path] = fold[i]
		}
		return m
	}
	a := byPath(all, StratifiedFolds(all, 5, 42))
	rev := slices.Clone(all)
	slices.Reverse(rev)
	if b := byPath(rev, StratifiedFolds(rev, 5, 42)); !cmp.Equal(a, b) {
		t.Fatal("input order changed the folds")
	}
	if b := byPath(all, StratifiedFolds(all, 5, 42)); !cmp.Equal(a, b) {
		t.Fatal("the same seed gave different folds")
	}
	if c := byPath(all, StratifiedFolds(all, 5, 43)); cmp.Equal(a, c) {
		t.Fatal("seeds 42 and 43 gave the same folds")
	}
}
