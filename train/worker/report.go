package worker

import (
	"context"
	"sync"
	"time"

	"quarry/hub/hubclient"
)

// eventPoster posts job events (hubclient.Client in production).
type eventPoster interface {
	PostJobEvent(ctx context.Context, id string, ev hubclient.JobEvent) (*hubclient.Job, error)
}

// reporter sends the task's progress to the hub at most once per interval
// (the latest value wins) and its final state. When the hub answers that
// the job is over (cancelled), it calls onOver.
type reporter struct {
	api      eventPoster
	id       string
	interval time.Duration
	onOver   func()
	logf     func(string, ...any)

	mu      sync.Mutex
	latest  *hubclient.Progress
	sent    hubclient.Progress
	stopped bool

	stop chan struct{}
	done chan struct{}
}

func newReporter(api eventPoster, id string, interval time.Duration, onOver func(), logf func(string, ...any)) *reporter {
	r := &reporter{api: api, id: id, interval: interval, onOver: onOver, logf: logf,
		stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// progress records the latest progress; the loop sends it.
func (r *reporter) progress(p hubclient.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latest = &p
}

func (r *reporter) loop() {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	r.flush() // the first report moves the job to running
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.flush()
		}
	}
}

// flush sends the latest progress if it changed.
func (r *reporter) flush() {
	r.mu.Lock()
	p := r.latest
	if p == nil || *p == r.sent {
		r.mu.Unlock()
		return
	}
	r.sent = *p
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	j, err := r.api.PostJobEvent(ctx, r.id, hubclient.JobEvent{Progress: p})
	switch {
	case err != nil:
		r.logf("progress report: %v", err)
	case j.Terminal():
		r.logf("the hub says job %s is %s: stopping", r.id, j.State)
		r.onOver()
	}
}

// finish stops the progress loop and sends ev (the final state), retrying
// transient failures; it reports whether the hub took it.
func (r *reporter) finish(ev hubclient.JobEvent) bool {
	r.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var j *hubclient.Job
	err := hubclient.Retry(ctx, 5, 250*time.Millisecond, func() error {
		var err error
		j, err = r.api.PostJobEvent(ctx, r.id, ev)
		return err
	})
	if err != nil {
		r.logf("final report (%s): %v", ev.State, err)
		return false
	}
	if j.State != ev.State {
		r.logf("final report %s: the job is %s", ev.State, j.State)
	}
	return true
}

// close stops the loop (idempotent).
func (r *reporter) close() {
	r.mu.Lock()
	if !r.stopped {
		r.stopped = true
		close(r.stop)
	}
	r.mu.Unlock()
	<-r.done
}
