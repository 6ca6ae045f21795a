package heads

import "math"

// adam holds the optimiser state and the per-step scratch of MLP training.
type adam struct {
	lr, l2, b1, b2, eps float64
	t                   int
	m, v                [4][]float32 // moments of W1, B1, W2, B2
	g                   [4][]float32 // gradients of W1, B1, W2, B2
	hid, dh             []float32    // [batch][hidden] activations and their gradients
}

func newAdam(m *MLP, o MLPOptions) *adam {
	a := &adam{lr: o.LearningRate, l2: o.L2, b1: 0.9, b2: 0.999, eps: 1e-8}
	for i, n := range []int{len(m.W1), len(m.B1), len(m.W2), len(m.B2)} {
		a.m[i], a.v[i], a.g[i] = make([]float32, n), make([]float32, n), make([]float32, n)
	}
	a.hid = make([]float32, o.BatchSize*m.Hidden)
	a.dh = make([]float32, o.BatchSize*m.Hidden)
	return a
}

// step runs forward and backward passes on one batch and updates m. The
// forward pass is parallel over examples and the W1 gradient and update
// parallel over hidden units, so no partial sums are combined and results do
// not depend on the number of goroutines.
func (a *adam) step(m *MLP, x matrix, y []int, batch []int) {
	H, nb := m.Hidden, len(batch)
	forParts(parts, func(p int) {
		lo, hi := span(nb, parts, p)
		for b := lo; b < hi; b++ {
			m.hidden(x.row(batch[b]), a.hid[b*H:(b+1)*H])
		}
	})
	for i := 1; i < 4; i++ {
		clear(a.g[i])
	}
	inv := 1 / float32(nb)
	for b, i := range batch {
		h, dh := a.hid[b*H:(b+1)*H], a.dh[b*H:(b+1)*H]
		prob := Softmax(m.output(h))
		prob[y[i]]--
		clear(dh)
		for c, pc := range prob {
			d := float32(pc) * inv
			a.g[3][c] += d
			axpy32(d, h, a.g[2][c*H:(c+1)*H])
			for k, hv := range h {
				if hv > 0 {
					dh[k] += m.W2[c*H+k] * d
				}
			}
		}
		axpy32(1, dh, a.g[1])
	}
	a.t++
	forParts(parts, func(p int) {
		lo, hi := span(H, parts, p)
		for k := lo; k < hi; k++ {
			g := a.g[0][k*m.In : (k+1)*m.In]
			clear(g)
			for b, i := range batch {
				if d := a.dh[b*H+k]; d != 0 {
					axpy32(d, x.row(i), g)
				}
			}
			a.update(m.W1[k*m.In:(k+1)*m.In], g, a.m[0][k*m.In:(k+1)*m.In], a.v[0][k*m.In:(k+1)*m.In], a.l2)
		}
	})
	a.update(m.B1, a.g[1], a.m[1], a.v[1], 0)
	a.update(m.W2, a.g[2], a.m[2], a.v[2], a.l2)
	a.update(m.B2, a.g[3], a.m[3], a.v[3], 0)
}

// update applies one bias-corrected Adam step, with weight decay l2 added to
// the gradient.
func (a *adam) update(w, g, m, v []float32, l2 float64) {
	c1 := 1 - math.Pow(a.b1, float64(a.t))
	c2 := 1 - math.Pow(a.b2, float64(a.t))
	lr := float32(a.lr * math.Sqrt(c2) / c1)
	b1, b2, eps := float32(a.b1), float32(a.b2), float32(a.eps*math.Sqrt(c2))
	l := float32(l2)
	for i := range w {
		gi := g[i] + l*w[i]
		m[i] = b1*m[i] + (1-b1)*gi
		v[i] = b2*v[i] + (1-b2)*gi*gi
		w[i] -= lr * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
	}
}
