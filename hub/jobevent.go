package hub

import (
	"math"
	"time"
)

// JobEvent is a report about a job: from the trainer (its progress,
// metrics and final state, over the HTTP API), from a local runner's exit
// watcher, or translated from a cloud state event (EventBridge "Batch Job
// State Change", "ECS Task State Change"). Zero fields report nothing.
type JobEvent struct {
	State    JobState           // "" reports no state change
	Progress *JobProgress       // replaces the job's progress
	Metrics  map[string]float64 // merged into the job's metrics
	Error    string             // why the job failed (with State JobFailed)
	LogLines []string           // the task's last output lines (with State JobFailed)
}

// Limits of what an event may carry.
const (
	maxEventMetrics  = 64
	maxEventText     = 4096 // Error, Phase and each metric name
	maxEventLogLines = 100
	maxLogLineLen    = 2048
)

// validate checks what a task reported before it reaches the store.
func (ev JobEvent) validate() error {
	if ev.State != "" && !ev.State.Valid() {
		return Errorf(ErrInvalid, "unknown job state %q", ev.State)
	}
	if len(ev.Metrics) > maxEventMetrics {
		return Errorf(ErrInvalid, "too many metrics: %d (at most %d)", len(ev.Metrics), maxEventMetrics)
	}
	for k, v := range ev.Metrics {
		if k == "" || len(k) > 128 {
			return Errorf(ErrInvalid, "invalid metric name %q", k)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Errorf(ErrInvalid, "metric %q is not a finite number", k)
		}
	}
	if p := ev.Progress; p != nil && (p.Done < 0 || p.Total < 0 || p.ETA < 0 || len(p.Phase) > 128) {
		return Errorf(ErrInvalid, "invalid progress: phase at most 128 bytes, counts and eta not negative")
	}
	if len(ev.Error) > maxEventText || len(ev.LogLines) > maxEventLogLines {
		return Errorf(ErrInvalid, "error text at most %d bytes and at most %d log lines", maxEventText, maxEventLogLines)
	}
	return nil
}

// applyEvent applies ev to j as of now and reports whether j changed.
//
// A terminal job never changes, with one exception: a failed job that has
// no log lines yet takes those of a later event (the runner's exit watcher
// reports the output after the trainer reported its failure). A state
// that CanMove refuses (a duplicate, or an event delivered late) is
// ignored; progress and metrics of a job that is not terminal are applied,
// and move a queued or starting job to running: the task runs.
func applyEvent(j *Job, ev JobEvent, now time.Time) bool {
	if j.State.Terminal() {
		if j.State == JobFailed && len(j.LastLogLines) == 0 && len(ev.LogLines) > 0 {
			j.LastLogLines = trimLines(ev.LogLines)
			return true
		}
		return false
	}
	changed := false
	if ev.Progress != nil && *ev.Progress != j.Progress {
		j.Progress, changed = *ev.Progress, true
	}
	for k, v := range ev.Metrics {
		if old, ok := j.Metrics[k]; !ok || old != v {
			if j.Metrics == nil {
				j.Metrics = make(map[string]float64, len(ev.Metrics))
			}
			j.Metrics[k], changed = v, true
		}
	}
	to := ev.State
	if to == "" && changed {
		to = JobRunning
	}
	if CanMove(j.State, to) {
		moveJob(j, to, ev, now)
		changed = true
	}
	return changed
}

// moveJob sets j's state to to and the fields that go with it.
func moveJob(j *Job, to JobState, ev JobEvent, now time.Time) {
	j.State = to
	if to != JobCancelled && j.StartedAt.IsZero() { // a cancelled job may never have started
		j.StartedAt = now
	}
	if !to.Terminal() {
		return
	}
	j.FinishedAt = now
	if to == JobFailed {
		j.Error = ev.Error
		if j.Error == "" {
			j.Error = "the job failed"
		}
		j.LastLogLines = trimLines(ev.LogLines)
	}
	if to == JobSucceeded {
		j.Progress.ETA = 0
	}
}

// trimLines bounds the log lines kept on a job record.
func trimLines(lines []string) []string {
	if len(lines) > maxEventLogLines {
		lines = lines[len(lines)-maxEventLogLines:]
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		if len(l) > maxLogLineLen {
			l = l[:maxLogLineLen]
		}
		out[i] = l
	}
	return out
}
