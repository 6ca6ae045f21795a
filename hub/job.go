package hub

import (
	"context"
	"io"
	"maps"
	"slices"
	"time"
)

// JobState is where a job is in its life. A job moves forward only:
// queued -> starting -> running -> one of the terminal states succeeded,
// failed or cancelled. Steps may be skipped (state events may be lost or
// arrive out of order), a terminal state never changes, and an event that
// would move a job backwards or to the state it is in does nothing.
type JobState string

// Job states. The local runners, AWS Batch and ECS map onto them as in
// spec/gradio-autotrain-aws.md §C3.1.
const (
	JobQueued    JobState = "queued"    // recorded, waiting for a runner slot
	JobStarting  JobState = "starting"  // task being launched (process spawned, container or instance starting)
	JobRunning   JobState = "running"   // the trainer reported that it runs
	JobSucceeded JobState = "succeeded" // finished with its result pushed
	JobFailed    JobState = "failed"    // the task reported an error, exited non-zero or died
	JobCancelled JobState = "cancelled" // stopped on request
)

// JobStates lists every state in life order.
var JobStates = []JobState{JobQueued, JobStarting, JobRunning, JobSucceeded, JobFailed, JobCancelled}

// stage orders the states: equal stages never move to each other.
func (s JobState) stage() int {
	switch s {
	case JobQueued:
		return 1
	case JobStarting:
		return 2
	case JobRunning:
		return 3
	case JobSucceeded, JobFailed, JobCancelled:
		return 4
	}
	return 0
}

// Valid reports whether s is one of the job states.
func (s JobState) Valid() bool { return s.stage() > 0 }

// Terminal reports whether s is final: succeeded, failed or cancelled.
func (s JobState) Terminal() bool { return s.stage() == 4 }

// CanMove reports whether a job in state from may move to state to: only
// forward, never out of a terminal state, never to an unknown state.
// Anything else is a duplicate or late event and must change nothing.
func CanMove(from, to JobState) bool {
	return from.Valid() && to.Valid() && !from.Terminal() && to.stage() > from.stage()
}

// JobProgress is what a running job reports about its work.
type JobProgress struct {
	Phase string        // "download", "features", "train", "evaluate", "export", "push"...
	Done  int64         // units done in this phase (images, iterations)
	Total int64         // units in this phase; 0 when unknown
	ETA   time.Duration // estimated time left in the job; 0 when unknown
}

// Job is one task run by a JobRunner: a training candidate, for instance.
type Job struct {
	ID      string   // random, lower-case hex
	Kind    string   // "train"
	Owner   string   // user who submitted it; its token acts for this user
	Project string   // project the job belongs to ("ns/name"), "" when none
	Reads   []RepoID // repos the job token may read (dataset, base model)
	Writes  []RepoID // repos the job token may write (the output repo)
	State   JobState
	// Spec is the task's parameters, passed to it as environment
	// variables. It never holds secrets: the job token is handed to the
	// runner at start and only its hash is kept (TokenHash).
	Spec         map[string]string
	Progress     JobProgress
	Metrics      map[string]float64
	Error        string   // why it failed, for failed jobs
	LastLogLines []string // the task's last output lines, kept when it fails
	Runner       string   // name of the runner that runs it
	Handle       string   // the runner's id of the task (pid key, container, Batch job id)
	TokenHash    string   // Token.Hash of the job token
	CreatedAt    time.Time
	StartedAt    time.Time // zero until the runner launched it
	FinishedAt   time.Time // zero until terminal
	Version      int64     // incremented by every store update (compare-and-swap)
}

// Clone returns a deep copy of j.
func (j *Job) Clone() *Job {
	c := *j
	c.Reads = slices.Clone(j.Reads)
	c.Writes = slices.Clone(j.Writes)
	c.Spec = maps.Clone(j.Spec)
	c.Metrics = maps.Clone(j.Metrics)
	c.LastLogLines = slices.Clone(j.LastLogLines)
	return &c
}

// JobFilter selects jobs for JobStore.ListJobs. Empty fields match all.
type JobFilter struct {
	Owner   string     // exact, case-insensitive
	Project string     // exact
	States  []JobState // any of them
	Limit   int        // at most this many; <= 0: no limit
}

// JobStore keeps job records. Every change is a compare-and-swap on
// Version, so concurrent writers (the trainer's events, a runner's exit
// watcher, a cancel request, a cloud state event) never lose an update and
// the state machine of CanMove holds whatever order they arrive in.
type JobStore interface {
	// CreateJob stores a new job; ErrConflict when the id exists. The
	// store sets Version to 1.
	CreateJob(ctx context.Context, j *Job) error
	// GetJob returns a job by id; ErrNotFound when missing.
	GetJob(ctx context.Context, id string) (*Job, error)
	// UpdateJob overwrites the job with id j.ID if its stored Version
	// equals j.Version, then sets j.Version to the next value. A stale
	// version gives ErrPrecondition and changes nothing; a missing job
	// ErrNotFound.
	UpdateJob(ctx context.Context, j *Job) error
	// ListJobs returns the jobs matching f, oldest first (CreatedAt, then
	// ID).
	ListJobs(ctx context.Context, f JobFilter) ([]*Job, error)
}

// JobRunner launches job tasks: a local process, a Podman container, an
// AWS Batch job or an ECS task. The task receives its whole spec in its
// environment (for AWS: container overrides) and talks to the hub over the
// public HTTP API with the job token.
type JobRunner interface {
	// Name identifies the runner in job records: "process", "podman",
	// "batch", "ecs".
	Name() string
	// Start launches the task of job with env as its environment and
	// returns the handle that Cancel and Logs take. It returns once the
	// task is launched, not when it ends.
	Start(ctx context.Context, job *Job, env map[string]string) (handle string, err error)
	// Cancel stops the task: SIGTERM, then SIGKILL after a grace period
	// (StopTask, TerminateJob). Stopping a finished task is not an error.
	Cancel(ctx context.Context, handle string) error
	// Logs returns the task's output. With follow the reader streams new
	// output until the task ends (then io.EOF) or ctx is done.
	Logs(ctx context.Context, handle string, follow bool) (io.ReadCloser, error)
}

// JobExit is how a task ended, as a local runner saw it.
type JobExit struct {
	Code      int      // exit status; -1 when killed by a signal
	Signal    string   // the signal that killed it ("killed", "terminated"), or ""
	Cancelled bool     // stopped by Cancel
	LastLines []string // the last lines of its output
}

// JobWaiter is the optional JobRunner capability of local runners: Wait
// blocks until the task ends. Runners without it (AWS) report the end
// through state events that their consumer hands to Jobs.Apply.
type JobWaiter interface {
	Wait(ctx context.Context, handle string) (JobExit, error)
}
