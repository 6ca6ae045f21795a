package heads

import "math"

// objective returns f(x) and writes its gradient into grad.
type objective func(x, grad []float64) float64

// lbfgsResult is the outcome of a minimisation.
type lbfgsResult struct {
	X     []float64
	F     float64
	Iter  int
	Evals int
}

// lbfgsHistory is the number of correction pairs kept.
const lbfgsHistory = 10

// minimizeLBFGS minimises f from x0 with limited-memory BFGS and a
// backtracking (Armijo) line search, for at most maxIter iterations or until
// the largest gradient component falls below tol or f stops decreasing.
func minimizeLBFGS(f objective, x0 []float64, maxIter int, tol float64) lbfgsResult {
	n := len(x0)
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	fx := f(x, g)
	res := lbfgsResult{Evals: 1}
	var ss, ys [][]float64
	var rhos []float64
	xn, gn, d := make([]float64, n), make([]float64, n), make([]float64, n)
	for res.Iter = 0; res.Iter < maxIter && normInf(g) > tol; res.Iter++ {
		direction(d, g, ss, ys, rhos)
		gtd := vdot(g, d)
		if gtd >= 0 { // not a descent direction: restart from steepest descent
			ss, ys, rhos = nil, nil, nil
			for i := range d {
				d[i] = -g[i]
			}
			gtd = -vdot(g, g)
		}
		step := 1.0
		if len(ss) == 0 {
			step = 1 / math.Max(1, math.Sqrt(-gtd))
		}
		fn, ok := 0.0, false
		for ls := 0; ls < 40 && !ok; ls++ {
			for i := range x {
				xn[i] = x[i] + step*d[i]
			}
			fn = f(xn, gn)
			res.Evals++
			ok = fn <= fx+1e-4*step*gtd
			step /= 2
		}
		if !ok {
			break
		}
		s, y := make([]float64, n), make([]float64, n)
		for i := range s {
			s[i], y[i] = xn[i]-x[i], gn[i]-g[i]
		}
		if sy := vdot(s, y); sy > 1e-12 {
			ss, ys, rhos = push(ss, s), push(ys, y), append(rhos, 1/sy)
			if len(rhos) > lbfgsHistory {
				rhos = rhos[1:]
			}
		}
		done := fx-fn <= 1e-12*math.Max(1, math.Abs(fx))
		copy(x, xn)
		copy(g, gn)
		fx = fn
		if done {
			res.Iter++
			break
		}
	}
	res.X, res.F = x, fx
	return res
}

// direction writes the quasi-Newton step -H·g into d (two-loop recursion).
func direction(d, g []float64, ss, ys [][]float64, rhos []float64) {
	copy(d, g)
	alpha := make([]float64, len(ss))
	for i := len(ss) - 1; i >= 0; i-- {
		alpha[i] = rhos[i] * vdot(ss[i], d)
		for j := range d {
			d[j] -= alpha[i] * ys[i][j]
		}
	}
	if k := len(ss) - 1; k >= 0 {
		gamma := vdot(ss[k], ys[k]) / vdot(ys[k], ys[k])
		for j := range d {
			d[j] *= gamma
		}
	}
	for i := range ss {
		beta := rhos[i] * vdot(ys[i], d)
		for j := range d {
			d[j] += ss[i][j] * (alpha[i] - beta)
		}
	}
	for j := range d {
		d[j] = -d[j]
	}
}

func push(h [][]float64, v []float64) [][]float64 {
	h = append(h, v)
	if len(h) > lbfgsHistory {
		h = h[1:]
	}
	return h
}

func vdot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func normInf(a []float64) float64 {
	var m float64
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}
