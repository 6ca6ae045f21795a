package web

import (
	"strconv"
	"strings"
)

// Limits of line diffs: beyond them a page says the diff is too large.
const (
	maxDiffLines = 20000 // lines of both sides together
	maxDiffEdits = 1000  // Myers edit distance (the trace grows with its square)
	diffContext  = 3     // unchanged lines kept around each change
)

// diffLine is one line of a unified diff.
type diffLine struct {
	Op    byte // ' ' unchanged, '+' added, '-' removed, '~' skipped lines
	Old   int  // line number in the old text (0 when added or skipped)
	New   int  // line number in the new text (0 when removed or skipped)
	Text  string
	Class string // CSS class: "add", "del", "ctx" or "skip"
}

// lineDiff returns the unified diff of a and b with diffContext lines of
// context (nil when they are equal), and false when the texts are too
// large or too different.
func lineDiff(a, b string) ([]diffLine, bool) {
	if a == b {
		return nil, true
	}
	x, y := splitLines(a), splitLines(b)
	if len(x)+len(y) > maxDiffLines {
		return nil, false
	}
	ops, ok := myers(x, y)
	if !ok {
		return nil, false
	}
	return withContext(ops), true
}

// splitLines splits text into lines without their newlines.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// myers computes a shortest edit script of x into y (Myers 1986, greedy
// forward search with a trace), giving every line of both texts in order.
func myers(x, y []string) ([]diffLine, bool) {
	n, m := len(x), len(y)
	max := n + m
	if max == 0 {
		return nil, true
	}
	offset := max + 1
	v := make([]int, 2*max+3)
	var trace [][]int
	for d := 0; d <= max; d++ {
		if d > maxDiffEdits {
			return nil, false
		}
		// v[k] for k in [-d-1, d+1], all that step d reads, kept for backtrack.
		trace = append(trace, append([]int(nil), v[offset-d-1:offset+d+2]...))
		for k := -d; k <= d; k += 2 {
			var i int
			if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
				i = v[offset+k+1]
			} else {
				i = v[offset+k-1] + 1
			}
			j := i - k
			for i < n && j < m && x[i] == y[j] {
				i++
				j++
			}
			v[offset+k] = i
			if i >= n && j >= m {
				return backtrack(x, y, trace, d), true
			}
		}
	}
	return nil, false
}

// backtrack walks the trace back from (len(x), len(y)) to build the script.
func backtrack(x, y []string, trace [][]int, d int) []diffLine {
	i, j := len(x), len(y)
	var rev []diffLine
	for ; d >= 0; d-- {
		w, base := trace[d], d+1 // w[k+base] is v[k] before step d
		k := i - j
		var prevK int
		if k == -d || (k != d && w[base+k-1] < w[base+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevI := w[base+prevK]
		prevJ := prevI - prevK
		for i > prevI && j > prevJ {
			rev = append(rev, diffLine{Op: ' ', Old: i, New: j, Text: x[i-1], Class: "ctx"})
			i--
			j--
		}
		if d > 0 {
			if i == prevI {
				rev = append(rev, diffLine{Op: '+', New: j, Text: y[j-1], Class: "add"})
			} else {
				rev = append(rev, diffLine{Op: '-', Old: i, Text: x[i-1], Class: "del"})
			}
		}
		i, j = prevI, prevJ
	}
	for l, r := 0, len(rev)-1; l < r; l, r = l+1, r-1 {
		rev[l], rev[r] = rev[r], rev[l]
	}
	return rev
}

// withContext keeps changed lines and diffContext unchanged lines around
// them; longer unchanged runs become one "skip" line.
func withContext(all []diffLine) []diffLine {
	keep := make([]bool, len(all))
	for i, l := range all {
		if l.Op == ' ' {
			continue
		}
		for j := max(0, i-diffContext); j <= min(len(all)-1, i+diffContext); j++ {
			keep[j] = true
		}
	}
	var out []diffLine
	for i := 0; i < len(all); {
		if keep[i] {
			out = append(out, all[i])
			i++
			continue
		}
		j := i
		for j < len(all) && !keep[j] {
			j++
		}
		out = append(out, diffLine{Op: '~', Text: skipped(j - i), Class: "skip"})
		i = j
	}
	return out
}

// skipped describes a run of n unchanged lines.
func skipped(n int) string {
	if n == 1 {
		return "1 unchanged line"
	}
	return strconv.Itoa(n) + " unchanged lines"
}
