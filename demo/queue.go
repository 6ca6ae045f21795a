package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sync"
	"time"
)

// Event retention: finished events stay readable by call/predict GET for
// eventTTL, and at most maxEvents are kept (Gradio keeps 2,000).
const (
	eventTTL    = 10 * time.Minute
	maxEvents   = 2000
	workTimeout = 2 * time.Minute
)

// work computes one prediction's output data (the Gradio `data` array).
type work func(ctx context.Context) ([]any, error)

// event is one queued prediction.
type event struct {
	id       string
	created  time.Time
	done     chan struct{}
	started  bool    // guarded by queue.mu
	finished bool    // guarded by queue.mu
	output   []any   // set before done is closed
	err      error   // set before done is closed
	duration float64 // seconds
}

// session groups the events a client joined with one session_hash; its
// queue/data stream delivers them.
type session struct {
	pending []*event
	wake    chan struct{} // closed and replaced on every change
	touched time.Time
}

// queue bounds running and waiting predictions and tracks events.
type queue struct {
	sem      chan struct{}
	maxQueue int
	now      func() time.Time
	mu       sync.Mutex
	waiting  int // admitted, not finished
	sessions map[string]*session
	events   map[string]*event
	order    []*event // by creation, for pruning
}

func newQueue(maxConcurrent, maxQueue int, now func() time.Time) *queue {
	return &queue{sem: make(chan struct{}, maxConcurrent), maxQueue: maxQueue, now: now,
		sessions: map[string]*session{}, events: map[string]*event{}}
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// admit reserves a queue slot or reports the queue full.
func (q *queue) admit() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.waiting >= q.maxQueue {
		return errQueueFull
	}
	q.waiting++
	return nil
}

// runSync runs fn now (the caller waits), within the bounds.
func (q *queue) runSync(ctx context.Context, fn work) ([]any, error) {
	if err := q.admit(); err != nil {
		return nil, err
	}
	defer func() {
		q.mu.Lock()
		q.waiting--
		q.mu.Unlock()
	}()
	select {
	case q.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-q.sem }()
	return fn(ctx)
}

// submit queues fn as a new event, attached to sessionHash's session when
// given, and runs it in the background.
func (q *queue) submit(sessionHash string, fn work) (*event, error) {
	if err := q.admit(); err != nil {
		return nil, err
	}
	ev := &event{id: newID(), created: q.now(), done: make(chan struct{})}
	q.mu.Lock()
	q.prune(ev.created)
	q.events[ev.id] = ev
	q.order = append(q.order, ev)
	if sessionHash != "" {
		s := q.session(sessionHash)
		s.pending = append(s.pending, ev)
		q.notify(s)
	}
	q.mu.Unlock()
	go q.execute(ev, sessionHash, fn)
	return ev, nil
}

func (q *queue) execute(ev *event, sessionHash string, fn work) {
	q.sem <- struct{}{}
	q.mu.Lock()
	ev.started = true
	q.notifyHash(sessionHash)
	q.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
	start := time.Now()
	out, err := fn(ctx)
	cancel()
	<-q.sem
	q.mu.Lock()
	ev.output, ev.err, ev.duration = out, err, time.Since(start).Seconds()
	ev.finished = true
	q.waiting--
	close(ev.done)
	q.notifyHash(sessionHash)
	q.mu.Unlock()
}

// event returns the event with id, if known.
func (q *queue) event(id string) (*event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ev, ok := q.events[id]
	return ev, ok
}

// session returns (creating) the session for hash. q.mu must be held.
func (q *queue) session(hash string) *session {
	s := q.sessions[hash]
	if s == nil {
		s = &session{wake: make(chan struct{})}
		q.sessions[hash] = s
	}
	s.touched = q.now()
	return s
}

// notify wakes s's stream. q.mu must be held.
func (q *queue) notify(s *session) {
	close(s.wake)
	s.wake = make(chan struct{})
}

func (q *queue) notifyHash(hash string) {
	if s := q.sessions[hash]; s != nil {
		q.notify(s)
	}
}

// prune forgets old finished events and idle sessions. q.mu must be held.
func (q *queue) prune(now time.Time) {
	cut := 0
	for cut < len(q.order) {
		ev := q.order[cut]
		if !ev.finished || (now.Sub(ev.created) < eventTTL && len(q.order)-cut < maxEvents) {
			break
		}
		delete(q.events, ev.id)
		cut++
	}
	q.order = slices.Delete(q.order, 0, cut)
	for hash, s := range q.sessions {
		if len(s.pending) == 0 && now.Sub(s.touched) > eventTTL {
			delete(q.sessions, hash)
		}
	}
}
