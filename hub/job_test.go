package hub

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestCanMove checks every pair of states against the table written out
// by hand: forward only, terminal states final, no self moves.
func TestCanMove(t *testing.T) {
	q, st, r, ok, f, c := JobQueued, JobStarting, JobRunning, JobSucceeded, JobFailed, JobCancelled
	allowed := map[JobState][]JobState{
		q:  {st, r, ok, f, c},
		st: {r, ok, f, c},
		r:  {ok, f, c},
		ok: nil, f: nil, c: nil,
	}
	for _, from := range JobStates {
		for _, to := range JobStates {
			want := slices.Contains(allowed[from], to)
			if got := CanMove(from, to); got != want {
				t.Errorf("CanMove(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
		for _, bad := range []JobState{"", "RUNNING", "cancelling"} {
			if CanMove(from, bad) || CanMove(bad, from) {
				t.Errorf("CanMove accepts the unknown state %q with %s", bad, from)
			}
		}
	}
	for _, s := range JobStates {
		if got, want := s.Terminal(), s == ok || s == f || s == c; got != want {
			t.Errorf("%s.Terminal() = %v, want %v", s, got, want)
		}
	}
}

var tNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// TestApplyEventDuplicates delivers each event twice: the second delivery
// never changes the job.
func TestApplyEventDuplicates(t *testing.T) {
	p := &JobProgress{Phase: "features", Done: 10, Total: 100, ETA: time.Minute}
	events := []JobEvent{
		{State: JobStarting},
		{State: JobRunning},
		{Progress: p},
		{Metrics: map[string]float64{"loss": 0.5}},
		{State: JobRunning, Progress: p, Metrics: map[string]float64{"loss": 0.5}},
		{State: JobSucceeded, Metrics: map[string]float64{"f1": 0.9}},
		{State: JobFailed, Error: "boom", LogLines: []string{"a", "b"}},
		{State: JobCancelled},
	}
	for i, ev := range events {
		j := &Job{ID: "j", State: JobQueued}
		if !applyEvent(j, ev, tNow) {
			t.Fatalf("event %d: first delivery changed nothing", i)
		}
		before := j.Clone()
		if applyEvent(j, ev, tNow.Add(time.Hour)) {
			t.Fatalf("event %d: second delivery changed the job: %+v -> %+v", i, before, j)
		}
	}
}

// TestApplyEventOrders delivers the events of one run in every order: the
// job ends in the first terminal state delivered and nothing moves it
// after that.
func TestApplyEventOrders(t *testing.T) {
	events := []JobEvent{
		{State: JobStarting},
		{State: JobRunning, Progress: &JobProgress{Phase: "train"}},
		{State: JobSucceeded, Metrics: map[string]float64{"accuracy": 1}},
		{State: JobFailed, Error: "exit 2", LogLines: []string{"panic"}},
		{State: JobCancelled},
	}
	n := 0
	for perm := range permutations(len(events)) {
		n++
		j := &Job{ID: "j", State: JobQueued}
		var first JobState
		for step, k := range perm {
			ev := events[k]
			before := j.Clone()
			changed := applyEvent(j, ev, tNow.Add(time.Duration(step)*time.Second))
			if before.State.Terminal() && changed {
				t.Fatalf("order %v: event %d changed the finished job %+v", perm, k, j)
			}
			if first == "" && ev.State.Terminal() {
				first = ev.State
			}
		}
		if j.State != first {
			t.Fatalf("order %v: final state %s, want %s", perm, j.State, first)
		}
		if j.FinishedAt.IsZero() || (j.StartedAt.IsZero() && perm[0] != 4) {
			t.Fatalf("order %v: StartedAt %v FinishedAt %v", perm, j.StartedAt, j.FinishedAt)
		}
	}
	if n != 120 {
		t.Fatalf("tried %d orders, want 120", n)
	}
}

func permutations(n int) func(yield func([]int) bool) {
	return func(yield func([]int) bool) {
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		var gen func(k int) bool
		gen = func(k int) bool {
			if k == n {
				return yield(slices.Clone(p))
			}
			for i := k; i < n; i++ {
				p[k], p[i] = p[i], p[k]
				if !gen(k + 1) {
					return false
				}
				p[k], p[i] = p[i], p[k]
			}
			return true
		}
		gen(0)
	}
}

func TestApplyEventFields(t *testing.T) {
	j := &Job{ID: "j", State: JobStarting, StartedAt: tNow}
	applyEvent(j, JobEvent{Progress: &JobProgress{Phase: "features", Done: 5, Total: 50, ETA: time.Minute}}, tNow.Add(time.Second))
	if j.State != JobRunning || j.Progress.Done != 5 || !j.StartedAt.Equal(tNow) {
		t.Fatalf("progress on a starting job: %+v", j)
	}
	applyEvent(j, JobEvent{State: JobStarting}, tNow.Add(2*time.Second))
	if j.State != JobRunning {
		t.Fatalf("a late starting event moved the job back to %s", j.State)
	}
	applyEvent(j, JobEvent{State: JobFailed, LogLines: []string{"x"}}, tNow.Add(3*time.Second))
	if j.Error != "the job failed" || !j.FinishedAt.Equal(tNow.Add(3*time.Second)) || j.LastLogLines[0] != "x" {
		t.Fatalf("failed without a reason: %+v", j)
	}
	k := &Job{ID: "k", State: JobRunning}
	applyEvent(k, JobEvent{State: JobFailed, Error: "trainer: bad dataset"}, tNow)
	if !applyEvent(k, JobEvent{State: JobFailed, Error: "exit 1", LogLines: []string{"l1", "l2"}}, tNow) {
		t.Fatal("the exit watcher's log lines were not added to a failed job without lines")
	}
	if k.Error != "trainer: bad dataset" || len(k.LastLogLines) != 2 {
		t.Fatalf("failed job after the watcher's lines: %+v", k)
	}
	if applyEvent(k, JobEvent{State: JobFailed, LogLines: []string{"other"}}, tNow) {
		t.Fatal("log lines of a failed job were replaced")
	}
}

func TestEventValidate(t *testing.T) {
	long := make([]string, 101)
	many := map[string]float64{}
	for i := range 65 {
		many[fmt.Sprint(i)] = 1
	}
	for _, ev := range []JobEvent{
		{State: "done"},
		{Metrics: map[string]float64{"nan": nanValue()}},
		{Metrics: map[string]float64{"": 1}},
		{Metrics: many},
		{Progress: &JobProgress{Done: -1}},
		{LogLines: long},
	} {
		if err := ev.validate(); err == nil {
			t.Errorf("validate(%+v) accepted it", ev)
		}
	}
	if err := (JobEvent{State: JobRunning, Metrics: map[string]float64{"f1": 0.5}}).validate(); err != nil {
		t.Fatalf("validate of a good event: %v", err)
	}
}

func nanValue() float64 { var z float64; return z / z }
