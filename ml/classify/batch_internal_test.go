package classify

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"

	"quarry/internal/mltest"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
)

// meanModel is a model whose logits are the per-channel means of its
// input, any batch size and image size: enough to see which rows of a
// coalesced run went to which request.
func meanModel(t *testing.T) *model {
	t.Helper()
	m := onnxgraph.NewModel("mean", "test")
	g := m.Graph
	g.Inputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue(inputName, onnxgraph.Float,
		onnxgraph.Symbolic("n"), onnxgraph.Fixed(3), onnxgraph.Symbolic("h"), onnxgraph.Symbolic("w"))}
	g.AddNode("GlobalAveragePool", "pool", []string{inputName}, []string{"pooled"})
	g.AddNode("Flatten", "flat", []string{"pooled"}, []string{outputName}, onnxgraph.IntAttr("axis", 1))
	g.Outputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue(outputName, onnxgraph.Float,
		onnxgraph.Symbolic("n"), onnxgraph.Fixed(3))}
	data, err := onnxgraph.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := onnxrt.Open(mltest.ORTLibrary(t), onnxrt.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	s, err := rt.NewSession(data, []string{inputName}, []string{outputName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &model{session: s}
}

// images returns n images of side x side whose channel c is constant
// base+10*i+c for image i, and the logits the mean model gives them.
func images(n, side int, base float32) ([]float32, []int64, []float32) {
	plane := side * side
	var in, want []float32
	for i := range n {
		for c := range 3 {
			v := base + float32(10*i+c)
			in = append(in, slices.Repeat([]float32{v}, plane)...)
			want = append(want, v)
		}
	}
	return in, []int64{int64(n), 3, int64(side), int64(side)}, want
}

func TestRunQueueTake(t *testing.T) {
	job := func(n, side int64) *runJob { return &runJob{shape: []int64{n, 3, side, side}} }
	a, b, c, d, e := job(1, 2), job(2, 4), job(3, 2), job(20, 2), job(1, 2)
	q := &runQueue{pending: []*runJob{a, b, c, d, e}}
	if got := q.take(4); !slices.Equal(got, []*runJob{a, c}) {
		t.Fatalf("first take = %v, want a and c (same size, 4 images)", got)
	}
	if got := q.take(4); !slices.Equal(got, []*runJob{b}) {
		t.Fatalf("second take = %v, want b alone (other size)", got)
	}
	if got := q.take(4); !slices.Equal(got, []*runJob{d}) {
		t.Fatalf("third take = %v, want d alone although over the bound", got)
	}
	if got := q.take(4); !slices.Equal(got, []*runJob{e}) || q.take(4) != nil {
		t.Fatalf("last take = %v, then the queue should be empty", got)
	}
}

// queued runs fn in n goroutines while the run slot is held, waits until
// all n requests wait in m's queue, then frees the slot.
func queued(t *testing.T, c *Classifier, m *model, n int, fn func(i int)) {
	t.Helper()
	c.sem <- struct{}{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); fn(i) }()
	}
	for {
		m.queue.mu.Lock()
		k := len(m.queue.pending)
		m.queue.mu.Unlock()
		if k == n {
			break
		}
		runtime.Gosched()
	}
	<-c.sem
	wg.Wait()
}

func TestConcurrentRunsAreCoalesced(t *testing.T) {
	m := meanModel(t)
	c := New(nil, Options{})
	const n = 5
	got := make([][]float32, n)
	errs := make([]error, n)
	queued(t, c, m, n, func(i int) {
		in, shape, _ := images(1+i%2, 4, float32(100*i))
		got[i], errs[i] = c.run(context.Background(), m, in, shape)
	})
	for i := range n {
		_, _, want := images(1+i%2, 4, float32(100*i))
		if errs[i] != nil || !slices.Equal(got[i], want) {
			t.Fatalf("request %d: logits %v, err %v; want %v", i, got[i], errs[i], want)
		}
	}
	if st := c.Stats(); st.Runs != 1 || st.Coalesced != n {
		t.Fatalf("stats %+v: want the %d waiting requests in one run", st, n)
	}
}

func TestCoalescingKeepsImageSizesApart(t *testing.T) {
	m := meanModel(t)
	c := New(nil, Options{MaxBatch: 3})
	sides := []int{2, 4, 2, 2, 4}
	got := make([][]float32, len(sides))
	queued(t, c, m, len(sides), func(i int) {
		in, shape, _ := images(1, sides[i], float32(i))
		got[i], _ = c.run(context.Background(), m, in, shape)
	})
	for i, side := range sides {
		if _, _, want := images(1, side, float32(i)); !slices.Equal(got[i], want) {
			t.Fatalf("request %d: logits %v, want %v", i, got[i], want)
		}
	}
	// One run per size: the three 2 px images fill MaxBatch exactly.
	if st := c.Stats(); st.Runs != 2 {
		t.Fatalf("stats %+v: want 2 runs", st)
	}
}

func TestCancelWhileQueued(t *testing.T) {
	m := meanModel(t)
	c := New(nil, Options{})
	c.sem <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		in, shape, _ := images(1, 2, 0)
		_, err := c.run(ctx, m, in, shape)
		errc <- err
	}()
	for {
		m.queue.mu.Lock()
		k := len(m.queue.pending)
		m.queue.mu.Unlock()
		if k == 1 {
			break
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	<-c.sem
	if len(m.queue.pending) != 0 || c.Stats().Runs != 0 {
		t.Fatalf("cancelled request left %d queued, %d runs", len(m.queue.pending), c.Stats().Runs)
	}
}
