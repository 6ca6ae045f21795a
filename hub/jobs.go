package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Environment variables the hub gives every task, besides its Spec.
const (
	EnvJobID    = "QUARRY_JOB_ID"    // the job's id
	EnvJobKind  = "QUARRY_JOB_KIND"  // the job's kind ("train")
	EnvEndpoint = "QUARRY_ENDPOINT"  // the hub's base URL
	EnvJobToken = "QUARRY_JOB_TOKEN" // the job token (Bearer), short-lived and scoped
)

// JobsConfig configures Jobs.
type JobsConfig struct {
	// Endpoint is the base URL at which tasks reach the hub API.
	Endpoint string
	// MaxParallel bounds the jobs launched and not yet ended at once
	// (local runners); default 2.
	MaxParallel int
	// TokenTTL is the lifetime of a job token; default DefaultJobTokenTTL.
	TokenTTL time.Duration
	// Logger receives errors of the background work; nil: slog.Default().
	Logger *slog.Logger
	// LaunchInline makes Submit launch a job on a remote runner (one that
	// is not a JobWaiter, such as AWS Batch) before it returns, instead of
	// from a goroutine afterwards. Serverless hosts need it: Lambda may
	// freeze the instance as soon as the answer is sent.
	LaunchInline bool
}

// DefaultJobTokenTTL is the default lifetime of a job token.
const DefaultJobTokenTTL = 6 * time.Hour

// JobTokenGrace is how long a job token stays valid after its job ended,
// so that a final event delivered twice is answered, not refused.
const JobTokenGrace = 2 * time.Minute

// Jobs runs jobs: it records them, launches them on a JobRunner with a
// job token, applies the events they report under the state machine of
// CanMove, and cancels them. Its methods take the Caller and check access.
type Jobs struct {
	svc    *Service
	store  JobStore
	runner JobRunner
	cfg    JobsConfig
	log    *slog.Logger

	mu      sync.Mutex
	queue   []string // ids of jobs waiting for a slot, in submit order
	running int      // jobs launched and not ended
	closed  bool
	wg      sync.WaitGroup // launches and exit watchers
}

// NewJobs returns a Jobs that keeps records in store (usually svc.Meta)
// and runs them on runner.
func NewJobs(svc *Service, store JobStore, runner JobRunner, cfg JobsConfig) *Jobs {
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = 2
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultJobTokenTTL
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Jobs{svc: svc, store: store, runner: runner, cfg: cfg, log: log}
}

// JobInput describes a job to submit.
type JobInput struct {
	Kind    string   // default "train"
	Project string   // "ns/name" of the project, or ""
	Reads   []RepoID // repos the job token may read
	Writes  []RepoID // repos the job token may write
	// Spec is passed to the task as environment variables; names are
	// upper-case shell names outside QUARRY_JOB_* and QUARRY_ENDPOINT. No
	// secrets: it is stored and shown.
	Spec map[string]string
}

var (
	envNameRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,127}$`)
	kindRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	jobIDRE   = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

const maxSpecBytes = 16 << 10 // fits Batch and ECS container overrides

// Submit records a queued job owned by the caller and launches it when a
// runner slot is free. The caller must be able to read every repo of Reads
// and write every repo of Writes, which must exist.
func (js *Jobs) Submit(ctx context.Context, c *Caller, in JobInput) (*Job, error) {
	if c.Anonymous() {
		return nil, Errorf(ErrUnauthorized, "You must be authenticated to run jobs")
	}
	if err := js.writer(c); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	if err := js.checkRepos(ctx, c, in); err != nil {
		return nil, err
	}
	id, err := newJobID()
	if err != nil {
		return nil, fmt.Errorf("submit job: %w", err)
	}
	job := &Job{ID: id, Kind: in.Kind, Owner: c.User.Name, Project: in.Project, Reads: in.Reads,
		Writes: in.Writes, State: JobQueued, Spec: in.Spec, Runner: js.runner.Name(), CreatedAt: js.svc.now()}
	if job.Kind == "" {
		job.Kind = "train"
	}
	if err := js.store.CreateJob(ctx, job); err != nil {
		return nil, fmt.Errorf("submit job: %w", err)
	}
	if _, waits := js.runner.(JobWaiter); js.cfg.LaunchInline && !waits {
		return js.launchInline(ctx, job)
	}
	js.dispatch(job.ID)
	return job.Clone(), nil
}

// launchInline launches job now and returns its record after the launch
// (starting, or failed with the runner's error).
func (js *Jobs) launchInline(ctx context.Context, job *Job) (*Job, error) {
	js.wg.Add(1)
	js.launch(job.ID)
	js.wg.Done()
	after, err := js.load(ctx, job.ID)
	if err != nil {
		return nil, fmt.Errorf("submit job: %w", err)
	}
	return after, nil
}

func (in JobInput) validate() error {
	if in.Kind != "" && !kindRE.MatchString(in.Kind) {
		return Errorf(ErrInvalid, "invalid job kind %q", in.Kind)
	}
	if len(in.Project) > 200 {
		return Errorf(ErrInvalid, "project name too long")
	}
	size := 0
	for k, v := range in.Spec {
		if !envNameRE.MatchString(k) || strings.HasPrefix(k, "QUARRY_JOB_") || k == EnvEndpoint {
			return Errorf(ErrInvalid, "invalid job spec variable %q: upper-case name, not QUARRY_JOB_* or %s", k, EnvEndpoint)
		}
		if strings.ContainsRune(v, 0) {
			return Errorf(ErrInvalid, "job spec variable %s contains a NUL byte", k)
		}
		size += len(k) + len(v) + 2
	}
	if size > maxSpecBytes {
		return Errorf(ErrTooLarge, "job spec is %d bytes, at most %d", size, maxSpecBytes)
	}
	return nil
}

// checkRepos checks the caller's rights on the repos the job token will
// be scoped to.
func (js *Jobs) checkRepos(ctx context.Context, c *Caller, in JobInput) error {
	for _, id := range in.Reads {
		if _, err := js.svc.FindRepo(ctx, c, id, ActionRead); err != nil {
			return err
		}
	}
	for _, id := range in.Writes {
		if _, err := js.svc.FindRepo(ctx, c, id, ActionWrite); err != nil {
			return err
		}
	}
	return nil
}

// Get returns a job; its owner, a site administrator or the job's own
// token may read it.
func (js *Jobs) Get(ctx context.Context, c *Caller, id string) (*Job, error) {
	job, err := js.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := js.authorize(c, job); err != nil {
		return nil, err
	}
	return job, nil
}

// List returns the caller's jobs matching f (every owner's for a site
// administrator whose filter names none), oldest first.
func (js *Jobs) List(ctx context.Context, c *Caller, f JobFilter) ([]*Job, error) {
	if c.Anonymous() {
		return nil, Errorf(ErrUnauthorized, "You must be authenticated to list jobs")
	}
	if c.Token != nil && c.Token.Role == RoleFineGrained {
		return nil, Errorf(ErrForbidden, "fine-grained tokens cannot list jobs")
	}
	if !c.User.Admin {
		f.Owner = c.User.Name
	}
	jobs, err := js.store.ListJobs(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

// load reads a job; ids of the wrong form are simply not found.
func (js *Jobs) load(ctx context.Context, id string) (*Job, error) {
	if !jobIDRE.MatchString(id) {
		return nil, jobNotFound(id)
	}
	job, err := js.store.GetJob(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, jobNotFound(id)
	} else if err != nil {
		return nil, fmt.Errorf("get job: %w", err)
	}
	return job, nil
}

func jobNotFound(id string) error { return Errorf(ErrNotFound, "job %s not found", id) }

// authorize lets the job's owner, site administrators and the job's own
// token see a job. Fine-grained tokens reach no other job; to others the
// job does not exist.
func (js *Jobs) authorize(c *Caller, job *Job) error {
	switch {
	case c.Anonymous():
		return Errorf(ErrUnauthorized, "You must be authenticated to see jobs")
	case c.Token != nil && job.TokenHash != "" && c.Token.Hash == job.TokenHash:
		return nil
	case c.Token != nil && c.Token.Role == RoleFineGrained:
		return jobNotFound(job.ID)
	case c.User.Admin || equalFold(c.User.Name, job.Owner):
		return nil
	}
	return jobNotFound(job.ID)
}

// writer refuses read-only tokens.
func (js *Jobs) writer(c *Caller) error {
	if c.Token != nil && c.Token.Role == RoleRead {
		return Errorf(ErrForbidden, "a read token cannot run or cancel jobs")
	}
	return nil
}

// newJobID returns 16 random lower-case hex characters.
func newJobID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
