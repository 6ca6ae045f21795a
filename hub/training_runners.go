package hub

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// RunnerSetName is the name a RunnerSet gives its jobs' records.
const RunnerSetName = "local"

// RunnerSet is a JobRunner over several local runners (JobWaiters): each
// job runs on the runner its Spec names under SpecTrainRunner (the first
// runner when it names none), so that one server runs a project with the
// process runner and another with Podman. Handles are
// "<runner>:<handle>". Runners known but unusable on this machine are
// listed with the reason, so that choosing them fails clearly.
type RunnerSet struct {
	order       []string
	runners     map[string]JobRunner
	unavailable map[string]string // runner name -> why it cannot be used
}

var (
	_ JobRunner = (*RunnerSet)(nil)
	_ JobWaiter = (*RunnerSet)(nil)
)

// NewRunnerSet returns a set of runners; the first is the default. Every
// runner must implement JobWaiter and have a distinct name.
func NewRunnerSet(runners ...JobRunner) (*RunnerSet, error) {
	rs := &RunnerSet{runners: map[string]JobRunner{}, unavailable: map[string]string{}}
	for _, r := range runners {
		name := r.Name()
		if _, ok := r.(JobWaiter); !ok {
			return nil, fmt.Errorf("runner set: runner %q does not wait for its tasks", name)
		}
		if _, dup := rs.runners[name]; dup || name == "" || strings.Contains(name, ":") {
			return nil, fmt.Errorf("runner set: invalid or duplicate runner name %q", name)
		}
		rs.order = append(rs.order, name)
		rs.runners[name] = r
	}
	if len(rs.order) == 0 {
		return nil, fmt.Errorf("runner set: no runner")
	}
	return rs, nil
}

// SetUnavailable records that runner name exists but cannot be used here,
// and why.
func (rs *RunnerSet) SetUnavailable(name, reason string) { rs.unavailable[name] = reason }

// Default returns the default runner's name.
func (rs *RunnerSet) Default() string { return rs.order[0] }

// Names returns the usable runners' names, default first.
func (rs *RunnerSet) Names() []string { return slices.Clone(rs.order) }

// Check reports whether runner name may be chosen (TrainingConfig.CheckRunner).
func (rs *RunnerSet) Check(name string) error {
	if _, ok := rs.runners[name]; ok {
		return nil
	}
	if why, ok := rs.unavailable[name]; ok {
		return Errorf(ErrInvalid, "the %s runner is not available on this server: %s", name, why)
	}
	return Errorf(ErrInvalid, "unknown runner %q: one of %s", name, strings.Join(rs.order, ", "))
}

// Name implements JobRunner.
func (rs *RunnerSet) Name() string { return RunnerSetName }

// Start implements JobRunner: the job's runner starts it.
func (rs *RunnerSet) Start(ctx context.Context, job *Job, env map[string]string) (string, error) {
	name := job.Spec[SpecTrainRunner]
	if name == "" {
		name = rs.Default()
	}
	if err := rs.Check(name); err != nil {
		return "", err
	}
	h, err := rs.runners[name].Start(ctx, job, env)
	if err != nil {
		return "", err
	}
	return name + ":" + h, nil
}

// split returns the runner and inner handle of a set handle.
func (rs *RunnerSet) split(handle string) (JobRunner, string, error) {
	name, h, ok := strings.Cut(handle, ":")
	r := rs.runners[name]
	if !ok || r == nil {
		return nil, "", Errorf(ErrNotFound, "no task %q", handle)
	}
	return r, h, nil
}

// Cancel implements JobRunner.
func (rs *RunnerSet) Cancel(ctx context.Context, handle string) error {
	r, h, err := rs.split(handle)
	if err != nil {
		return nil // not started here: nothing to stop
	}
	return r.Cancel(ctx, h)
}

// Logs implements JobRunner.
func (rs *RunnerSet) Logs(ctx context.Context, handle string, follow bool) (io.ReadCloser, error) {
	r, h, err := rs.split(handle)
	if err != nil {
		return nil, err
	}
	return r.Logs(ctx, h, follow)
}

// Wait implements JobWaiter.
func (rs *RunnerSet) Wait(ctx context.Context, handle string) (JobExit, error) {
	r, h, err := rs.split(handle)
	if err != nil {
		return JobExit{}, err
	}
	return r.(JobWaiter).Wait(ctx, h)
}
