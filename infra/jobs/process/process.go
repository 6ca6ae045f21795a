// Package process is the default job runner: each job's task is the
// trainer binary (`quarry train-worker`) run as a child process of the hub,
// with the job's environment and nothing else of the hub's (no secrets leak
// into tasks), its output in one log file per job.
package process

import (
	"maps"
	"os"
	"os/exec"
	"slices"
	"time"

	"quarry/hub"
	"quarry/infra/jobs"
)

// Config configures the process runner.
type Config struct {
	// Binary is the trainer program; default the running executable.
	Binary string
	// Args are its arguments; default ["train-worker"].
	Args []string
	// LogDir holds the jobs' log files.
	LogDir string
	// Env is added to every task's environment (library paths and the
	// like); the job's own variables win.
	Env map[string]string
	// Grace is the time between SIGTERM and SIGKILL on cancel; default 3s.
	Grace time.Duration
}

// passEnv are the variables of the hub's environment that tasks inherit.
var passEnv = []string{"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "LD_LIBRARY_PATH"}

// New returns the runner.
func New(cfg Config) (*jobs.Local, error) {
	if cfg.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cfg.Binary = exe
	}
	if cfg.Args == nil {
		cfg.Args = []string{"train-worker"}
	}
	return jobs.NewLocal(jobs.Config{Name: "process", LogDir: cfg.LogDir, Grace: cfg.Grace,
		Command: func(job *hub.Job, env map[string]string) (*exec.Cmd, error) {
			cmd := exec.Command(cfg.Binary, cfg.Args...)
			cmd.Env = Environ(cfg.Env, env)
			cmd.Dir = os.TempDir()
			return cmd, nil
		}})
}

// Environ builds a task's environment: passEnv from the hub's, then extra,
// then env (sorted, later sources win).
func Environ(extra, env map[string]string) []string {
	all := map[string]string{}
	for _, k := range passEnv {
		if v, ok := os.LookupEnv(k); ok {
			all[k] = v
		}
	}
	maps.Copy(all, extra)
	maps.Copy(all, env)
	out := make([]string, 0, len(all))
	for _, k := range slices.Sorted(maps.Keys(all)) {
		out = append(out, k+"="+all[k])
	}
	return out
}
