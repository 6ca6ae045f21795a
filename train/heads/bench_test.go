package heads

import "testing"

// The brief's budget: 500 examples x 1792 features (the backbone's output)
// train in a few seconds on 2 cores. Run with
// go test -run - -bench Fit -benchtime 3x ./train/heads
func benchmarkFit(b *testing.B, tr Trainer, classes int) {
	spec := newBlobs(1792, 50, classes, 3)
	train, val := spec.sample(1, 500), spec.sample(2, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Fit(train, val); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitLogReg(b *testing.B)       { benchmarkFit(b, LogRegOptions{}, 2) }
func BenchmarkFitMLP(b *testing.B)          { benchmarkFit(b, MLPOptions{Seed: 1}, 2) }
func BenchmarkFitGBDT(b *testing.B)         { benchmarkFit(b, GBDTOptions{Seed: 1}, 2) }
func BenchmarkFitGBDT3Classes(b *testing.B) { benchmarkFit(b, GBDTOptions{Seed: 1}, 3) }

func BenchmarkPredictMLP(b *testing.B) {
	spec := newBlobs(1792, 50, 2, 3)
	train, val := spec.sample(1, 500), spec.sample(2, 100)
	m, err := MLPOptions{Seed: 1}.Fit(train, val)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Predict(val.X)
	}
}
