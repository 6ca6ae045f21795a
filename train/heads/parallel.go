package heads

import (
	"runtime"
	"sync"
)

// parts is the fixed number of pieces a data-parallel computation is cut
// into. It does not depend on the number of cores, so partial sums are
// always added in the same order and results are bit-identical everywhere.
const parts = 8

// span returns the half-open range of piece p of n items cut into k pieces.
func span(n, k, p int) (int, int) {
	return n * p / k, n * (p + 1) / k
}

// forParts runs fn(p) for p in 0..k-1 on at most GOMAXPROCS goroutines.
func forParts(k int, fn func(p int)) {
	workers := min(runtime.GOMAXPROCS(0), k)
	if workers <= 1 {
		for p := 0; p < k; p++ {
			fn(p)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, k)
	for p := 0; p < k; p++ {
		next <- p
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				fn(p)
			}
		}()
	}
	wg.Wait()
}
