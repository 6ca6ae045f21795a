package heads

import (
	"math"
	"testing"

	"quarry/train/internal/rng"
)

// blobSpec describes `classes` Gaussian blobs in dim dimensions: the class
// means differ on the first `informative` features by about sep standard
// deviations, every feature has unit noise, and features then get arbitrary
// scales and offsets (the heads must standardise).
type blobSpec struct {
	classes, informative int
	means                [][]float64
	scale, offset        []float64
}

func newBlobs(dim, informative, classes int, sep float64) *blobSpec {
	r := rng.New(12345)
	b := &blobSpec{classes: classes, informative: informative,
		means: make([][]float64, classes), scale: make([]float64, dim), offset: make([]float64, dim)}
	for k := range b.means {
		b.means[k] = make([]float64, informative)
		for j := range b.means[k] {
			b.means[k][j] = r.Norm() * sep / math.Sqrt(2*float64(informative))
		}
	}
	for j := range b.scale {
		b.scale[j] = math.Exp(r.Range(-2, 2))
		b.offset[j] = r.Range(-5, 5)
	}
	return b
}

// sample draws n examples, classes in turn.
func (b *blobSpec) sample(seed uint64, n int) Dataset {
	r := rng.New(seed)
	d := Dataset{Classes: b.classes}
	for i := 0; i < n; i++ {
		k := i % b.classes
		row := make([]float32, len(b.scale))
		for j := range row {
			v := r.Norm()
			if j < b.informative {
				v += b.means[k][j]
			}
			row[j] = float32(v*b.scale[j] + b.offset[j])
		}
		d.X = append(d.X, row)
		d.Y = append(d.Y, k)
	}
	return d
}

// disc draws a 2-class problem that no linear head can solve: class 1 is
// the disc x0²+x1² < 1.386 (half of the mass); other features are noise.
func disc(seed uint64, n, dim int) Dataset {
	r := rng.New(seed)
	d := Dataset{Classes: 2}
	for i := 0; i < n; i++ {
		row := make([]float32, dim)
		for j := range row {
			row[j] = float32(r.Norm())
		}
		y := 0
		if row[0]*row[0]+row[1]*row[1] < 1.386 {
			y = 1
		}
		d.X = append(d.X, row)
		d.Y = append(d.Y, y)
	}
	return d
}

func accuracy(t testing.TB, m Model, d Dataset) float64 {
	t.Helper()
	p := m.Predict(d.X)
	if len(p) != d.Len() {
		t.Fatalf("%d predictions for %d rows", len(p), d.Len())
	}
	for i, row := range p {
		var s float64
		for _, v := range row {
			s += v
		}
		if len(row) != d.Classes || math.Abs(s-1) > 1e-9 {
			t.Fatalf("row %d: %v is not a distribution over %d classes", i, row, d.Classes)
		}
	}
	return Accuracy(p, d.Y)
}
