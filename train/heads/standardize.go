package heads

import "math"

// minStd is the floor of a feature's standard deviation: constant features
// are left unscaled instead of blowing up.
const minStd = 1e-6

// Standardizer maps a feature vector x to (x - Mean) / Std, feature by
// feature. It is fitted on the training split and kept with the model.
type Standardizer struct {
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
}

// FitStandardizer computes per-feature means and standard deviations
// (population form); deviations below 1e-6 become 1.
func FitStandardizer(x [][]float32) Standardizer {
	d := len(x[0])
	mean := make([]float64, d)
	sq := make([]float64, d)
	for _, row := range x {
		for j, v := range row {
			mean[j] += float64(v)
		}
	}
	n := float64(len(x))
	for j := range mean {
		mean[j] /= n
	}
	for _, row := range x {
		for j, v := range row {
			dv := float64(v) - mean[j]
			sq[j] += dv * dv
		}
	}
	s := Standardizer{Mean: make([]float32, d), Std: make([]float32, d)}
	for j := range mean {
		s.Mean[j] = float32(mean[j])
		sd := math.Sqrt(sq[j] / n)
		if sd < minStd {
			sd = 1
		}
		s.Std[j] = float32(sd)
	}
	return s
}

// Apply returns the standardised rows as one row-major matrix.
func (s Standardizer) Apply(x [][]float32) matrix {
	d := len(s.Mean)
	m := matrix{rows: len(x), cols: d, data: make([]float32, len(x)*d)}
	for i, row := range x {
		out := m.row(i)
		for j, v := range row[:d] {
			out[j] = (v - s.Mean[j]) / s.Std[j]
		}
	}
	return m
}

// Fold rewrites a first layer that acts on standardised features,
// z = W·((x-Mean)/Std) + b with W given as [out][in], into one acting on
// raw features: W'[o][j] = W[o][j]/Std[j], b'[o] = b[o] - Σ_j W'[o][j]·Mean[j].
func (s Standardizer) Fold(w [][]float64, b []float64) ([][]float32, []float32) {
	wf := make([][]float32, len(w))
	bf := make([]float32, len(b))
	for o, row := range w {
		wf[o] = make([]float32, len(row))
		acc := b[o]
		for j, v := range row {
			scaled := v / float64(s.Std[j])
			wf[o][j] = float32(scaled)
			acc -= scaled * float64(s.Mean[j])
		}
		bf[o] = float32(acc)
	}
	return wf, bf
}

// matrix is a dense row-major float32 matrix.
type matrix struct {
	rows, cols int
	data       []float32
}

func (m matrix) row(i int) []float32 { return m.data[i*m.cols : (i+1)*m.cols] }

// dot returns Σ a[i]*b[i] in float64 over float32 inputs, unrolled by 4.
func dot(a []float32, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * b[i]
		s1 += float64(a[i+1]) * b[i+1]
		s2 += float64(a[i+2]) * b[i+2]
		s3 += float64(a[i+3]) * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds alpha*x to y, unrolled by 4.
func axpy(alpha float64, x []float32, y []float64) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += alpha * float64(x[i])
		y[i+1] += alpha * float64(x[i+1])
		y[i+2] += alpha * float64(x[i+2])
		y[i+3] += alpha * float64(x[i+3])
	}
	for ; i < len(x); i++ {
		y[i] += alpha * float64(x[i])
	}
}
