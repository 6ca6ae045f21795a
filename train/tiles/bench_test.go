package tiles

import "testing"

func BenchmarkGenerate224(b *testing.B) {
	for i := 0; i < b.N; i++ {
		GenerateMeta(int64(i), i%2 == 0, DefaultSize)
	}
}
