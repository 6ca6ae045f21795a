package classify

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Concurrent requests for one model are coalesced: a request queues its
// tensor on the model's runQueue and then either receives its logits or
// wins a run slot (Options.MaxConcurrent) and runs everything queued for
// the model with the same image size, up to Options.MaxBatch images, as
// one batch. Under load this turns N single-image runs into few batched
// ones (cheaper per image on CPU) without oversubscribing the cores; an
// idle server runs a lone request at once, as before.

// runJob is one queued tensor of n images, shape [n, 3, H, W].
type runJob struct {
	input []float32
	shape []int64
	done  chan runResult // buffered: the runner never blocks on delivery
}

type runResult struct {
	logits []float32
	err    error
}

// runQueue holds the jobs of one model waiting for a run.
type runQueue struct {
	mu      sync.Mutex
	pending []*runJob
}

func (q *runQueue) push(j *runJob) {
	q.mu.Lock()
	q.pending = append(q.pending, j)
	q.mu.Unlock()
}

// remove drops j if it is still waiting and reports whether it was.
func (q *runQueue) remove(j *runJob) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := slices.Index(q.pending, j)
	if i < 0 {
		return false
	}
	q.pending = slices.Delete(q.pending, i, i+1)
	return true
}

// take removes and returns the oldest job and the queued jobs of the same
// image size that fit with it in maxImages.
func (q *runQueue) take(maxImages int) []*runJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return nil
	}
	first := q.pending[0]
	batch, n := []*runJob{first}, first.shape[0]
	rest := q.pending[:0]
	for _, j := range q.pending[1:] {
		if slices.Equal(j.shape[1:], first.shape[1:]) && n+j.shape[0] <= int64(maxImages) {
			batch, n = append(batch, j), n+j.shape[0]
		} else {
			rest = append(rest, j)
		}
	}
	clear(q.pending[len(rest):])
	q.pending = rest
	return batch
}

// run returns the logits of input (shape [n, 3, H, W]) through m, sharing
// a session run with other requests for m when they overlap.
func (c *Classifier) run(ctx context.Context, m *model, input []float32, shape []int64) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	j := &runJob{input: input, shape: shape, done: make(chan runResult, 1)}
	m.queue.push(j)
	for {
		select {
		case r := <-j.done:
			return r.logits, r.err
		default:
		}
		select {
		case r := <-j.done:
			return r.logits, r.err
		case c.sem <- struct{}{}:
			if jobs := m.queue.take(c.opts.MaxBatch); len(jobs) > 0 {
				c.runJobs(m, jobs)
			}
			<-c.sem
		case <-ctx.Done():
			if m.queue.remove(j) {
				return nil, fmt.Errorf("classify: waiting to run: %w", ctx.Err())
			}
			r := <-j.done // already running in someone's batch
			return r.logits, r.err
		}
	}
}

// runJobs runs jobs as one batch and hands each its rows of the logits.
// The caller holds a run slot.
func (c *Classifier) runJobs(m *model, jobs []*runJob) {
	c.mu.Lock()
	c.stats.Running++
	c.stats.Runs++
	if len(jobs) > 1 {
		c.stats.Coalesced += len(jobs)
	}
	c.stats.PeakRunning = max(c.stats.PeakRunning, c.stats.Running)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.stats.Running--
		c.mu.Unlock()
	}()
	input, shape := jobs[0].input, slices.Clone(jobs[0].shape)
	if len(jobs) > 1 {
		parts := make([][]float32, len(jobs))
		shape[0] = 0
		for i, j := range jobs {
			parts[i], shape[0] = j.input, shape[0]+j.shape[0]
		}
		input = slices.Concat(parts...)
	}
	logits, _, err := m.session.Run(input, shape)
	if err == nil && len(logits)%int(shape[0]) != 0 {
		err = fmt.Errorf("%w: %d logits for %d images", ErrBadModel, len(logits), shape[0])
	}
	if err != nil {
		for _, j := range jobs {
			j.done <- runResult{err: fmt.Errorf("classify: %w", err)}
		}
		return
	}
	k := len(logits) / int(shape[0])
	off := 0
	for _, j := range jobs {
		n := int(j.shape[0])
		j.done <- runResult{logits: logits[off*k : (off+n)*k : (off+n)*k]}
		off += n
	}
}
