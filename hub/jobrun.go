package hub

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// maxJobCAS bounds the compare-and-swap retries of one job update.
const maxJobCAS = 50

// Report applies an event the trainer sends about its own job. Only the
// job's token and site administrators may report; an event that the state
// machine refuses (duplicate, late) changes nothing and is not an error.
func (js *Jobs) Report(ctx context.Context, c *Caller, id string, ev JobEvent) (*Job, error) {
	job, err := js.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := js.authorize(c, job); err != nil {
		return nil, err
	}
	own := c.Token != nil && c.Token.Hash == job.TokenHash
	if !own && (!c.User.Admin || js.writer(c) != nil) {
		return nil, Errorf(ErrForbidden, "only the job's own token may report its events")
	}
	if err := ev.validate(); err != nil {
		return nil, err
	}
	return js.Apply(ctx, id, ev)
}

// Apply applies an event from a trusted source: a runner's exit watcher,
// or a cloud state event translated by its consumer. It returns the job as
// stored afterwards.
func (js *Jobs) Apply(ctx context.Context, id string, ev JobEvent) (*Job, error) {
	now := js.svc.now()
	job, _, err := js.update(ctx, id, func(j *Job) bool { return applyEvent(j, ev, now) })
	return job, err
}

// Cancel stops a job: the owner (with a write token or session) or a site
// administrator may. A queued job never starts; a launched one is marked
// cancelled and its task stopped. Cancelling a finished job changes
// nothing and returns it.
func (js *Jobs) Cancel(ctx context.Context, c *Caller, id string) (*Job, error) {
	job, err := js.Get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if c.Token != nil && c.Token.Hash == job.TokenHash {
		return nil, Errorf(ErrForbidden, "a job token cannot cancel jobs")
	}
	if err := js.writer(c); err != nil {
		return nil, err
	}
	now := js.svc.now()
	job, moved, err := js.update(ctx, id, func(j *Job) bool {
		if !CanMove(j.State, JobCancelled) {
			return false
		}
		moveJob(j, JobCancelled, JobEvent{}, now)
		return true
	})
	if err != nil || !moved {
		return job, err
	}
	if job.Handle != "" {
		if err := js.runner.Cancel(ctx, job.Handle); err != nil {
			return job, fmt.Errorf("cancel job %s: %w", id, err)
		}
	}
	return job, nil
}

// update reads job id, lets mutate change it (false: nothing to do) and
// writes it back with compare-and-swap, retrying on concurrent writes.
// It reports whether it wrote. When the job became terminal, its token is
// retired.
func (js *Jobs) update(ctx context.Context, id string, mutate func(*Job) bool) (*Job, bool, error) {
	for range maxJobCAS {
		job, err := js.load(ctx, id)
		if err != nil {
			return nil, false, err
		}
		was := job.State
		if !mutate(job) {
			return job, false, nil
		}
		err = js.store.UpdateJob(ctx, job)
		if errors.Is(err, ErrPrecondition) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("update job %s: %w", id, err)
		}
		if job.State.Terminal() && !was.Terminal() {
			js.retireToken(ctx, job)
		}
		return job, true, nil
	}
	return nil, false, Errorf(ErrConflict, "job %s is being updated concurrently; try again", id)
}

// dispatch queues job id; jobs are launched in submit order as slots free.
func (js *Jobs) dispatch(id string) {
	js.mu.Lock()
	js.queue = append(js.queue, id)
	js.mu.Unlock()
	js.pump()
}

// pump launches queued jobs while slots are free. After Close the queue
// stays: its jobs remain queued for Recover.
func (js *Jobs) pump() {
	js.mu.Lock()
	defer js.mu.Unlock()
	for !js.closed && js.running < js.cfg.MaxParallel && len(js.queue) > 0 {
		id := js.queue[0]
		js.queue = js.queue[1:]
		js.running++
		js.wg.Add(1)
		go js.run(id)
	}
}

// run launches job id, waits for its end (local runners) and frees its slot.
func (js *Jobs) run(id string) {
	defer js.wg.Done()
	if wait := js.launch(id); wait != nil {
		wait()
	}
	js.mu.Lock()
	js.running--
	js.mu.Unlock()
	js.pump()
}

// launch starts a queued job on the runner. It returns the function that
// waits for the task's end (local runners), or nil.
func (js *Jobs) launch(id string) func() {
	ctx := context.Background()
	job, err := js.load(ctx, id)
	if err != nil || job.State != JobQueued {
		js.logErr("launch job", id, err)
		return nil
	}
	plain, tok, err := js.newJobToken(ctx, job)
	if err != nil {
		js.failLaunch(ctx, id, err)
		return nil
	}
	if job, err = js.markStarting(ctx, id, tok.Hash); err != nil || job.State != JobStarting {
		js.revokeToken(ctx, id, tok)
		js.failLaunch(ctx, id, err)
		return nil
	}
	handle, err := js.runner.Start(ctx, job, js.taskEnv(job, plain))
	if err != nil {
		js.failLaunch(ctx, id, err)
		return nil
	}
	job, err = js.recordHandle(ctx, id, handle)
	if err != nil {
		js.logErr("record job handle", id, err)
	} else if job.State == JobCancelled {
		js.logErr("cancel job", id, js.runner.Cancel(ctx, handle)) // cancelled while launching
	}
	w, ok := js.runner.(JobWaiter)
	if !ok {
		return nil
	}
	if js.isClosed() { // Close's stopRunning may have missed it
		_, err := js.Apply(ctx, id, JobEvent{State: JobFailed, Error: "the hub stopped while the job ran"})
		js.logErr("stop job", id, err)
		js.logErr("stop job", id, js.runner.Cancel(ctx, handle))
	}
	return func() { js.watch(id, handle, w) }
}

// markStarting moves a queued job to starting with its token.
func (js *Jobs) markStarting(ctx context.Context, id, tokenHash string) (*Job, error) {
	now := js.svc.now()
	job, _, err := js.update(ctx, id, func(j *Job) bool {
		if !CanMove(j.State, JobStarting) {
			return false
		}
		j.TokenHash = tokenHash
		moveJob(j, JobStarting, JobEvent{}, now)
		return true
	})
	return job, err
}

// recordHandle stores the runner's handle, whatever the state: a job
// cancelled while it was launched still needs its task found and stopped.
func (js *Jobs) recordHandle(ctx context.Context, id, handle string) (*Job, error) {
	job, _, err := js.update(ctx, id, func(j *Job) bool {
		if j.Handle == handle {
			return false
		}
		j.Handle = handle
		return true
	})
	return job, err
}

// failLaunch marks a job that could not be launched failed.
func (js *Jobs) failLaunch(ctx context.Context, id string, cause error) {
	if cause == nil {
		return // cancelled before it was launched
	}
	js.logErr("launch job", id, cause)
	_, err := js.Apply(ctx, id, JobEvent{State: JobFailed, Error: "the job could not be started: " + ErrorMessage(cause)})
	js.logErr("fail job", id, err)
}

// watch waits for a local task's end and reconciles the job record.
func (js *Jobs) watch(id, handle string, w JobWaiter) {
	exit, err := w.Wait(context.Background(), handle)
	if err != nil {
		js.logErr("wait for job", id, err)
		exit = JobExit{Code: -1, Signal: "lost"}
	}
	_, err = js.Apply(context.Background(), id, exitEvent(exit))
	js.logErr("record job exit", id, err)
}

// exitEvent is the event a task's end stands for: a clean exit succeeds,
// a stop on request cancels, anything else fails with the last lines of
// its output.
func exitEvent(e JobExit) JobEvent {
	switch {
	case e.Cancelled:
		return JobEvent{State: JobCancelled}
	case e.Code == 0 && e.Signal == "":
		return JobEvent{State: JobSucceeded}
	case e.Signal != "":
		return JobEvent{State: JobFailed, LogLines: e.LastLines,
			Error: "the task died (signal " + e.Signal + ") without reporting a result"}
	}
	return JobEvent{State: JobFailed, LogLines: e.LastLines,
		Error: fmt.Sprintf("the task exited with status %d", e.Code)}
}

// taskEnv is the task's environment: its spec and the hub's variables.
func (js *Jobs) taskEnv(job *Job, token string) map[string]string {
	env := make(map[string]string, len(job.Spec)+4)
	for k, v := range job.Spec {
		env[k] = v
	}
	env[EnvJobID], env[EnvJobKind], env[EnvEndpoint], env[EnvJobToken] = job.ID, job.Kind, js.cfg.Endpoint, token
	return env
}

// Recover resumes after a restart: queued jobs are dispatched again, and
// with a local runner (whose tasks died with the previous process) jobs
// left starting or running are marked failed.
func (js *Jobs) Recover(ctx context.Context) error {
	jobs, err := js.store.ListJobs(ctx, JobFilter{States: []JobState{JobQueued, JobStarting, JobRunning}})
	if err != nil {
		return fmt.Errorf("recover jobs: %w", err)
	}
	_, local := js.runner.(JobWaiter)
	for _, j := range jobs {
		switch {
		case j.State == JobQueued:
			js.dispatch(j.ID)
		case local && j.Runner == js.runner.Name():
			_, err := js.Apply(ctx, j.ID, JobEvent{State: JobFailed, Error: "the hub restarted while the job ran"})
			js.logErr("recover job", j.ID, err)
		}
	}
	return nil
}

// Close stops launching jobs and waits, until ctx is done, for the
// background work to end. Tasks still running are failed and stopped
// first when the runner is local: nothing would watch them any more.
func (js *Jobs) Close(ctx context.Context) error {
	js.mu.Lock()
	js.closed = true
	js.mu.Unlock()
	if _, local := js.runner.(JobWaiter); local {
		js.stopRunning(ctx)
	}
	done := make(chan struct{})
	go func() { js.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close jobs: %w", ctx.Err())
	}
}

// stopRunning fails and stops the launched jobs of this runner.
func (js *Jobs) stopRunning(ctx context.Context) {
	jobs, err := js.store.ListJobs(ctx, JobFilter{States: []JobState{JobStarting, JobRunning}})
	js.logErr("list running jobs", "", err)
	for _, j := range jobs {
		if j.Runner != js.runner.Name() {
			continue
		}
		_, err := js.Apply(ctx, j.ID, JobEvent{State: JobFailed, Error: "the hub stopped while the job ran"})
		js.logErr("stop job", j.ID, err)
		if j.Handle != "" {
			js.logErr("stop job", j.ID, js.runner.Cancel(ctx, j.Handle))
		}
	}
}

func (js *Jobs) isClosed() bool {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.closed
}

func (js *Jobs) logErr(op, id string, err error) {
	if err != nil {
		js.log.Error(op, "job", id, "err", err)
	}
}

// retireToken shortens a finished job's token to JobTokenGrace from now.
func (js *Jobs) retireToken(ctx context.Context, job *Job) {
	if job.TokenHash == "" {
		return
	}
	t, err := js.svc.Meta.GetToken(ctx, job.TokenHash)
	if err != nil {
		js.logErr("retire job token", job.ID, err)
		return
	}
	end := js.svc.now().Add(JobTokenGrace)
	if !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(end) {
		return
	}
	t.ExpiresAt = end
	js.logErr("retire job token", job.ID, js.svc.Meta.UpdateToken(ctx, t))
}

// waitPoll is how often Logs re-reads a job waiting for its task.
const waitPoll = 250 * time.Millisecond
