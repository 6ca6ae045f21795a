package heads

import (
	"slices"
	"sort"

	"quarry/train/internal/rng"
)

// grower builds regression trees on quantile-binned training features.
type grower struct {
	o     GBDTOptions
	n     int
	bins  []uint8     // feature-major: bins[j*n+i] is example i's bin of feature j
	edges [][]float32 // per feature: x <= edges[b] exactly when bin(x) <= b
	feats []int       // features of the current round, ascending
}

func newGrower(x [][]float32, o GBDTOptions) *grower {
	n, d := len(x), len(x[0])
	gr := &grower{o: o, n: n, bins: make([]uint8, n*d), edges: make([][]float32, d)}
	forParts(parts, func(p int) {
		col := make([]float32, n)
		lo, hi := span(d, parts, p)
		for j := lo; j < hi; j++ {
			for i, row := range x {
				col[i] = row[j]
			}
			gr.edges[j] = quantileEdges(col, o.Bins)
			for i, v := range col {
				gr.bins[j*n+i] = uint8(sort.Search(len(gr.edges[j]), func(b int) bool { return gr.edges[j][b] >= v }))
			}
		}
	})
	return gr
}

// quantileEdges returns at most bins-1 ascending distinct cut values taken
// from the column itself, never its maximum (a split must leave something
// on the right).
func quantileEdges(col []float32, bins int) []float32 {
	s := slices.Clone(col)
	slices.Sort(s)
	s = slices.Compact(s)
	if len(s) <= bins {
		return s[:len(s)-1]
	}
	var edges []float32
	for b := 1; b < bins; b++ {
		v := s[b*len(s)/bins-1]
		if len(edges) == 0 || v > edges[len(edges)-1] {
			edges = append(edges, v)
		}
	}
	return edges
}

// sampleFeatures draws the round's features (ColSample of all, at least 1).
func (gr *grower) sampleFeatures(r *rng.Source) {
	d := len(gr.edges)
	k := max(1, int(float64(d)*gr.o.ColSample+0.5))
	perm := r.Perm(d)
	gr.feats = slices.Clone(perm[:k])
	slices.Sort(gr.feats)
}

// grow builds one tree for output k from the examples' gradients and adds
// its leaf values to f[i][k] for every training example i.
func (gr *grower) grow(stats []gradStat, f scores, k int) Tree {
	var t Tree
	all := make([]int, gr.n)
	for i := range all {
		all[i] = i
	}
	gr.node(&t, stats, all, 0, f, k)
	return t
}

// node appends the subtree over the given examples and returns its index.
func (gr *grower) node(t *Tree, stats []gradStat, idx []int, depth int, f scores, k int) int {
	var g, h float64
	for _, i := range idx {
		g, h = g+stats[i].g, h+stats[i].h
	}
	me := len(t.Nodes)
	t.Nodes = append(t.Nodes, Node{Feature: -1})
	best := split{feature: -1}
	if depth < gr.o.MaxDepth && len(idx) >= 2 {
		best = gr.bestSplit(stats, idx, g, h)
	}
	if best.feature < 0 {
		v := -g / (h + gr.o.Lambda) * gr.o.LearningRate
		t.Nodes[me].Value = v
		for _, i := range idx {
			f[i][k] += v
		}
		return me
	}
	var left, right []int
	col := gr.bins[best.feature*gr.n : (best.feature+1)*gr.n]
	for _, i := range idx {
		if int(col[i]) <= best.bin {
			left = append(left, i)
		} else {
			right = append(right, i)
		}
	}
	l := gr.node(t, stats, left, depth+1, f, k)
	r := gr.node(t, stats, right, depth+1, f, k)
	t.Nodes[me] = Node{Feature: best.feature, Threshold: gr.edges[best.feature][best.bin], Left: l, Right: r}
	return me
}

// split is a candidate split: examples with bin <= bin go left.
type split struct {
	feature, bin int
	gain         float64
}

// bestSplit scans the histograms of the round's features, in parallel over
// fixed feature ranges; ties keep the lowest feature and bin.
func (gr *grower) bestSplit(stats []gradStat, idx []int, g, h float64) split {
	var found [parts]split
	forParts(parts, func(p int) {
		found[p] = split{feature: -1, gain: gr.o.Gamma}
		hist := make([]gradStat, gr.o.Bins)
		lo, hi := span(len(gr.feats), parts, p)
		for _, j := range gr.feats[lo:hi] {
			clear(hist)
			col := gr.bins[j*gr.n : (j+1)*gr.n]
			for _, i := range idx {
				b := &hist[col[i]]
				b.g, b.h = b.g+stats[i].g, b.h+stats[i].h
			}
			if s := gr.scan(hist[:len(gr.edges[j])+1], j, g, h); s.gain > found[p].gain {
				found[p] = s
			}
		}
	})
	best := split{feature: -1, gain: gr.o.Gamma}
	for _, s := range found {
		if s.feature >= 0 && s.gain > best.gain {
			best = s
		}
	}
	return best
}

// scan finds the best cut of one feature's histogram (XGBoost gain).
func (gr *grower) scan(hist []gradStat, j int, g, h float64) split {
	lam, mcw := gr.o.Lambda, gr.o.MinChildWeight
	parent := g * g / (h + lam)
	best := split{feature: -1}
	var gl, hl float64
	for b := 0; b < len(hist)-1; b++ {
		gl, hl = gl+hist[b].g, hl+hist[b].h
		gr2, hr := g-gl, h-hl
		if hl < mcw || hr < mcw {
			continue
		}
		gain := 0.5 * (gl*gl/(hl+lam) + gr2*gr2/(hr+lam) - parent)
		if best.feature < 0 || gain > best.gain {
			best = split{feature: j, bin: b, gain: gain}
		}
	}
	return best
}
