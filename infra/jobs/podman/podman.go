// Package podman runs each job's task in a Podman container of the trainer
// image that scripts/podman-image.sh builds from scratch
// (localhost/quarry-trainer:<first 12 hex digits of the binary's sha256>):
//
//	podman run --rm --runtime runc --network host --name quarry-job-<id> -e NAME... IMAGE /quarry train-worker
//
// Nothing is built at run time. The job's variables reach the container by
// name only (`-e NAME`, values from podman's own environment), so the job
// token never shows on a command line. The output of `podman run` is the
// job's log; cancel is `podman stop` (SIGTERM, SIGKILL after the grace
// period); exit codes 129-192 are deaths by signal.
package podman

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"quarry/hub"
	"quarry/infra/jobs"
)

// ImageRepo is the trainer image's name without tag.
const ImageRepo = "localhost/quarry-trainer"

// Config configures the podman runner.
type Config struct {
	// Image is the trainer image; see ImageFor.
	Image string
	// Command runs in the container; default ["/quarry", "train-worker"].
	Command []string
	// Podman is the podman program; default "podman".
	Podman string
	// LogDir holds the jobs' log files.
	LogDir string
	// Env is added to every task's environment; the job's variables win.
	Env map[string]string
	// Grace is the time between SIGTERM and SIGKILL on cancel, rounded up
	// to whole seconds; default 3s.
	Grace time.Duration
}

// ContainerName is the name of job id's container.
func ContainerName(id string) string { return "quarry-job-" + id }

// ImageFor returns the image scripts/podman-image.sh builds from the
// trainer binary at path: ImageRepo tagged with the first 12 hex digits of
// the binary's sha256.
func ImageFor(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("podman: trainer image: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("podman: trainer image: %w", err)
	}
	return ImageRepo + ":" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// New returns the runner.
func New(cfg Config) (*jobs.Local, error) {
	if cfg.Image == "" {
		return nil, fmt.Errorf("podman: no trainer image configured")
	}
	if cfg.Podman == "" {
		cfg.Podman = "podman"
	}
	if cfg.Command == nil {
		cfg.Command = []string{"/quarry", "train-worker"}
	}
	return jobs.NewLocal(jobs.Config{Name: "podman", LogDir: cfg.LogDir, Grace: cfg.Grace,
		SignalExitCodes: true,
		Command:         func(job *hub.Job, env map[string]string) (*exec.Cmd, error) { return cfg.run(job, env), nil },
		Stop:            cfg.stop})
}

// RunArgs returns the arguments of `podman run` for job with the variable
// names of env.
func (cfg Config) RunArgs(job *hub.Job, env map[string]string) []string {
	args := []string{"run", "--rm", "--runtime", "runc", "--network", "host", "--name", ContainerName(job.ID),
		"--label", "quarry.job=" + job.ID, "--pull", "never", "--log-driver", "none"}
	all := mergeEnv(cfg.Env, env)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range all {
			if !yield(k) {
				return
			}
		}
	}) {
		args = append(args, "-e", k)
	}
	args = append(args, cfg.Image)
	return append(args, cfg.Command...)
}

func (cfg Config) run(job *hub.Job, env map[string]string) *exec.Cmd {
	cmd := exec.Command(cfg.Podman, cfg.RunArgs(job, env)...)
	cmd.Env = os.Environ() // podman needs its own (XDG_RUNTIME_DIR, CONTAINERS_CONF...)
	for k, v := range mergeEnv(cfg.Env, env) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func mergeEnv(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// stop stops the task's container: podman stop sends SIGTERM, then SIGKILL
// after the grace period. A container not created yet is retried until it
// exists or the runner's own deadline passes.
func (cfg Config) stop(ctx context.Context, handle string, grace time.Duration) error {
	name := ContainerName(handle)
	for {
		out, err := exec.CommandContext(ctx, cfg.Podman, "stop", "--ignore", "--time",
			strconv.Itoa(jobs.GraceSeconds(grace)), name).CombinedOutput()
		if err == nil && strings.TrimSpace(string(out)) != "" {
			return nil // stopped (podman prints the name)
		}
		select {
		case <-ctx.Done():
			_ = exec.Command(cfg.Podman, "rm", "--force", "--ignore", name).Run()
			return fmt.Errorf("podman stop %s: %w", name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
