// Package handler is the logic of the jobevents Lambda function: it turns
// EventBridge "Batch Job State Change" and "ECS Task State Change" events
// into hub.JobEvents and applies them to the job records with the hub's
// compare-and-swap updates, so that duplicate, late and out-of-order
// deliveries (EventBridge is at-least-once, unordered) change nothing
// they must not. A scheduled event reconciles: jobs still starting or
// running are described to their runner, and a task that vanished fails
// its job.
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"quarry/hub"
	"quarry/infra/jobs/batch"
	"quarry/infra/jobs/ecs"
)

// Event is an EventBridge event (the fields read here).
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// Describer reports the state of a runner's tasks (batch.Runner and
// ecs.Runner are ones), for reconciliation.
type Describer interface {
	Describe(ctx context.Context, handles []string) (map[string]hub.JobEvent, error)
}

// Jobs applies trusted events to job records (*hub.Jobs).
type Jobs interface {
	Apply(ctx context.Context, id string, ev hub.JobEvent) (*hub.Job, error)
}

// Handler handles the events.
type Handler struct {
	Jobs  Jobs
	Store hub.JobStore
	// ECSContainer is the trainer container's name in the task definition.
	ECSContainer string
	// Runners describe tasks by runner name ("batch", "ecs") when
	// reconciling; a runner missing here is not reconciled.
	Runners map[string]Describer
	Log     *slog.Logger
}

// Handle processes one event. It returns an error only for failures
// worth a retry (the store); events about unknown jobs or other systems'
// tasks are logged and dropped.
func (h *Handler) Handle(ctx context.Context, ev Event) error {
	var (
		id, handle string
		jev        hub.JobEvent
		ours       bool
		err        error
	)
	switch {
	case ev.Source == batch.EventSource && ev.DetailType == batch.EventDetailType:
		id, handle, jev, ours, err = batch.ParseEvent(ev.Detail)
	case ev.Source == ecs.EventSource && ev.DetailType == ecs.EventDetailType:
		id, handle, jev, ours, err = ecs.ParseEvent(ev.Detail, h.ECSContainer)
	case ev.DetailType == "Scheduled Event":
		return h.Reconcile(ctx)
	default:
		h.log().Warn("jobevents: ignored event", "source", ev.Source, "detail-type", ev.DetailType)
		return nil
	}
	if err != nil {
		h.log().Error("jobevents: bad event", "err", err)
		return nil // a malformed event never gets better
	}
	if !ours || jev.State == "" {
		return nil
	}
	return h.apply(ctx, id, handle, jev)
}

// apply applies jev to job id unless the record names another task.
func (h *Handler) apply(ctx context.Context, id, handle string, jev hub.JobEvent) error {
	job, err := h.Store.GetJob(ctx, id)
	if errors.Is(err, hub.ErrNotFound) {
		h.log().Warn("jobevents: event for an unknown job", "job", id, "task", handle)
		return nil
	} else if err != nil {
		return fmt.Errorf("jobevents: job %s: %w", id, err)
	}
	if job.Handle != "" && handle != "" && job.Handle != handle {
		h.log().Warn("jobevents: event for another task of the job", "job", id, "task", handle, "recorded", job.Handle)
		return nil
	}
	after, err := h.Jobs.Apply(ctx, id, jev)
	if err != nil {
		return fmt.Errorf("jobevents: apply to job %s: %w", id, err)
	}
	h.log().Info("jobevents: applied", "job", id, "event", jev.State, "state", after.State)
	return nil
}

// Reconcile describes the tasks of the jobs still starting or running and
// applies what their runners report; a task that vanished fails its job.
func (h *Handler) Reconcile(ctx context.Context) error {
	jobs, err := h.Store.ListJobs(ctx, hub.JobFilter{States: []hub.JobState{hub.JobStarting, hub.JobRunning}})
	if err != nil {
		return fmt.Errorf("jobevents: reconcile: %w", err)
	}
	byRunner := map[string][]*hub.Job{}
	for _, j := range jobs {
		if j.Handle != "" && h.Runners[j.Runner] != nil {
			byRunner[j.Runner] = append(byRunner[j.Runner], j)
		}
	}
	var errs []error
	for name, js := range byRunner {
		handles := make([]string, len(js))
		for i, j := range js {
			handles[i] = j.Handle
		}
		evs, err := h.Runners[name].Describe(ctx, handles)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, j := range js {
			if ev := evs[j.Handle]; ev.State != "" {
				if _, err := h.Jobs.Apply(ctx, j.ID, ev); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

func (h *Handler) log() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}
