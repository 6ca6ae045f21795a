// Package jobs holds the local job runners' common part: Local runs each
// job's task as a child process (the trainer itself, or `podman run`),
// writes its output to one log file per job, keeps its last lines, streams
// the log while it runs, stops it with SIGTERM then SIGKILL, and reports
// how it ended (hub.JobWaiter). Packages process and podman configure it.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"

	"quarry/hub"
)

// Config configures a Local runner.
type Config struct {
	// Name is the runner's name in job records ("process", "podman").
	Name string
	// LogDir holds one <job id>.log file a job; created if needed.
	LogDir string
	// Grace is the time between SIGTERM and SIGKILL when cancelling;
	// default 3s (cancel must stop a task within 5s).
	Grace time.Duration
	// LastLines is how many output lines a failed job keeps; default 20.
	LastLines int
	// Command returns the (not yet started) command running job's task
	// with env. Local sets its output and process group.
	Command func(job *hub.Job, env map[string]string) (*exec.Cmd, error)
	// Stop, when set, stops a task instead of signalling its process
	// group (podman stop); it may block until the task ended.
	Stop func(ctx context.Context, handle string, grace time.Duration) error
	// SignalExitCodes reads exit codes 129-192 as death by signal
	// code-128, as container runtimes report it.
	SignalExitCodes bool
}

// Local is a hub.JobRunner and hub.JobWaiter running tasks as child
// processes. The handle of a task is its job's id.
type Local struct {
	cfg Config

	mu    sync.Mutex
	tasks map[string]*task
}

var (
	_ hub.JobRunner = (*Local)(nil)
	_ hub.JobWaiter = (*Local)(nil)
)

// task is one running or finished child.
type task struct {
	cmd       *exec.Cmd
	log       *logFile
	exit      hub.JobExit // set before log.done closes
	mu        sync.Mutex
	cancelled bool
}

// NewLocal returns a runner for cfg.
func NewLocal(cfg Config) (*Local, error) {
	if cfg.Name == "" || cfg.LogDir == "" || cfg.Command == nil {
		return nil, errors.New("jobs: a runner needs a name, a log directory and a command")
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 3 * time.Second
	}
	if cfg.LastLines <= 0 {
		cfg.LastLines = 20
	}
	if err := os.MkdirAll(cfg.LogDir, 0o700); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Local{cfg: cfg, tasks: make(map[string]*task)}, nil
}

// Name implements hub.JobRunner.
func (r *Local) Name() string { return r.cfg.Name }

var handleRE = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// logPath is where the output of the task with handle goes.
func (r *Local) logPath(handle string) (string, error) {
	if !handleRE.MatchString(handle) {
		return "", hub.Errorf(hub.ErrNotFound, "no task %q", handle)
	}
	return filepath.Join(r.cfg.LogDir, handle+".log"), nil
}

// Start implements hub.JobRunner: it starts the child and a goroutine
// that reaps it.
func (r *Local) Start(ctx context.Context, job *hub.Job, env map[string]string) (string, error) {
	path, err := r.logPath(job.ID)
	if err != nil {
		return "", err
	}
	cmd, err := r.cfg.Command(job, env)
	if err != nil {
		return "", fmt.Errorf("%s runner: %w", r.cfg.Name, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("%s runner: %w", r.cfg.Name, err)
	}
	t := &task{cmd: cmd, log: newLogFile(f, r.cfg.LastLines)}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, t.log, t.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second // grandchildren holding the output open
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.tasks[job.ID]; dup {
		f.Close()
		return "", hub.Errorf(hub.ErrConflict, "job %s already has a task", job.ID)
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return "", fmt.Errorf("%s runner: start: %w", r.cfg.Name, err)
	}
	r.tasks[job.ID] = t
	go r.reap(t)
	return job.ID, nil
}

// reap waits for the child and records how it ended.
func (r *Local) reap(t *task) {
	err := t.cmd.Wait()
	st := t.cmd.ProcessState
	exit := hub.JobExit{Code: -1}
	if st != nil {
		exit.Code = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			exit.Signal = ws.Signal().String()
		}
	}
	if r.cfg.SignalExitCodes && exit.Code > 128 && exit.Code <= 128+64 {
		exit.Signal = syscall.Signal(exit.Code - 128).String()
	}
	if st == nil && err != nil {
		exit.Signal = "lost: " + err.Error()
	}
	t.mu.Lock()
	exit.Cancelled = t.cancelled
	t.mu.Unlock()
	exit.LastLines = t.log.lastLines()
	t.exit = exit
	t.log.finish()
}

func (r *Local) task(handle string) *task {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tasks[handle]
}

// Wait implements hub.JobWaiter. A handle this runner did not start (the
// server restarted) gives ErrNotFound.
func (r *Local) Wait(ctx context.Context, handle string) (hub.JobExit, error) {
	t := r.task(handle)
	if t == nil {
		return hub.JobExit{}, hub.Errorf(hub.ErrNotFound, "no task %q", handle)
	}
	select {
	case <-t.log.done:
		return t.exit, nil
	case <-ctx.Done():
		return hub.JobExit{}, ctx.Err()
	}
}

// Cancel implements hub.JobRunner: SIGTERM to the task's process group
// (or Config.Stop), SIGKILL after the grace period. It does not wait.
func (r *Local) Cancel(ctx context.Context, handle string) error {
	t := r.task(handle)
	if t == nil {
		return nil
	}
	select {
	case <-t.log.done:
		return nil
	default:
	}
	t.mu.Lock()
	t.cancelled = true
	t.mu.Unlock()
	if r.cfg.Stop != nil {
		go r.stop(handle, t)
		return nil
	}
	pgid := t.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	go func() {
		select {
		case <-t.log.done:
		case <-time.After(r.cfg.Grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}()
	return nil
}

// stop runs Config.Stop; if the task still runs after it (or it failed)
// and one more grace period, the child's group is killed.
func (r *Local) stop(handle string, t *task) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Grace+10*time.Second)
	defer cancel()
	go func() {
		select {
		case <-t.log.done: // ended: Stop need not retry
			cancel()
		case <-ctx.Done():
		}
	}()
	_ = r.cfg.Stop(ctx, handle, r.cfg.Grace)
	select {
	case <-t.log.done:
	case <-time.After(r.cfg.Grace):
		_ = syscall.Kill(-t.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// Logs implements hub.JobRunner: the task's log file; with follow, until
// the task ends. The log of a task from before a restart is read as is.
func (r *Local) Logs(ctx context.Context, handle string, follow bool) (io.ReadCloser, error) {
	path, err := r.logPath(handle)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, hub.Errorf(hub.ErrNotFound, "no log for task %s", handle)
	} else if err != nil {
		return nil, fmt.Errorf("%s runner: logs: %w", r.cfg.Name, err)
	}
	t := r.task(handle)
	if !follow || t == nil {
		return f, nil
	}
	return &follower{ctx: ctx, f: f, log: t.log}, nil
}

// GraceSeconds rounds a grace period up to whole seconds, at least 1.
func GraceSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
