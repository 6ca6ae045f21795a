package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"quarry/hub"
	"quarry/hub/hubhttp"
	"quarry/infra"
	"quarry/infra/jobs/podman"
	"quarry/infra/jobs/process"
	"quarry/web"
)

// shutdownTimeout bounds how long Close waits for requests in flight.
const shutdownTimeout = 10 * time.Second

// server is a running hub server and what it holds open.
type server struct {
	http   *hubhttp.Server
	demo   *demoService
	jobs   *hub.Jobs // training jobs; closed before the HTTP server
	stores io.Closer
	done   chan error // receives Serve's result
	url    string
}

// runServe starts the hub server and returns once it accepts requests.
func (m *Main) runServe(ctx context.Context, args []string) error {
	if m.srv != nil {
		return errors.New("serve: already serving")
	}
	fs := newFlagSet("serve", "serve [--addr HOST:PORT] [--data DIR] [--public-url URL] [--ort-lib PATH] [--threads N] [--runner process|podman] [--max-parallel-jobs N]", m.Stderr)
	addr := fs.String("addr", envOr(m.Getenv, "QUARRY_ADDR", "127.0.0.1:8080"), "address to listen on (QUARRY_ADDR)")
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	public := fs.String("public-url", m.Getenv("QUARRY_PUBLIC_URL"), "base URL of emitted links (QUARRY_PUBLIC_URL)")
	demoFlags, err := addDemoFlags(fs, m.Getenv)
	if err != nil {
		return err
	}
	jobFlags, err := addJobFlags(fs, m.Getenv)
	if err != nil {
		return err
	}
	if _, err := parseFlags(fs, args, 0, ""); err != nil {
		return err
	}
	cfg := m.storeConfig(*data)
	secret, err := infra.LoadSecret(cfg)
	if err != nil {
		return err
	}
	blobs, meta, stores, err := infra.Open(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		stores.Close()
		return fmt.Errorf("serve: %w", err)
	}
	url := strings.TrimRight(*public, "/")
	if url == "" {
		url = "http://" + ln.Addr().String()
	}
	logger := slog.New(slog.NewTextHandler(m.Stderr, nil))
	svc := hub.NewService(blobs, meta, secret)
	srv := &server{
		http:   hubhttp.NewServer(svc, hubhttp.Config{PublicURL: url, Logger: logger}),
		stores: stores,
		done:   make(chan error, 1),
		url:    url,
	}
	logf := func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) }
	// The demo goes before the web pages: /spaces/NS/NAME is a space's
	// demo when its card names a model, else the web's space page.
	if srv.demo, err = registerDemo(srv.http.App(), svc, demoFlags, url, logf); err != nil {
		ln.Close()
		stores.Close()
		return err
	}
	var training *hub.Training
	if srv.jobs, training, err = startTraining(ctx, svc, meta, srv.http, jobFlags, jobsConfig{logDir: filepath.Join(cfg.DataDir, "jobs"),
		endpoint: url, ortLib: demoFlags.ortLibPath(), logger: logger}); err != nil {
		srv.demo.close()
		ln.Close()
		stores.Close()
		return err
	}
	web.Register(srv.http.App(), svc, web.Config{PublicURL: url, Logger: logger, Training: training})
	go func() { srv.done <- srv.http.Serve(ln) }()
	m.srv = srv
	fmt.Fprintf(m.Stdout, "Quarry hub listening on http://%s (data in %s)\n%s\n", ln.Addr(), cfg.DataDir, url)

	m.startDemoContent(ctx, svc, url, logf) // U3: demo content on first start (QUARRY_DEMO_CONTENT=1), democontent.go
	return nil
}

// URL returns the public URL of the running server, or "".
func (m *Main) URL() string {
	if m.srv == nil {
		return ""
	}
	return m.srv.url
}

// close shuts the server down gracefully, then closes the stores.
func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	s.demo.stopStreams()
	err := s.jobs.Close(ctx)
	if herr := s.http.Shutdown(ctx); err == nil {
		err = herr
	}
	if serr := <-s.done; err == nil && serr != nil {
		err = fmt.Errorf("serve: %w", serr)
	}
	s.demo.close()
	if cerr := s.stores.Close(); err == nil {
		err = cerr
	}
	return err
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// jobFlags are the serve flags of training jobs.
type jobFlags struct {
	runner      *string
	maxParallel *int
}

func addJobFlags(fs *flag.FlagSet, getenv func(string) string) (*jobFlags, error) {
	n, err := envInt(getenv, "QUARRY_MAX_PARALLEL_JOBS", 2)
	if err != nil {
		return nil, err
	}
	return &jobFlags{
		runner: fs.String("runner", envOr(getenv, "QUARRY_RUNNER", "process"),
			"default runner of training jobs: process or podman; projects may choose either when available (QUARRY_RUNNER)"),
		maxParallel: fs.Int("max-parallel-jobs", n, "training jobs running at once (QUARRY_MAX_PARALLEL_JOBS)"),
	}, nil
}

// jobsConfig is what the job runners need from serve.
type jobsConfig struct {
	logDir, endpoint, ortLib string
	logger                   *slog.Logger
}

// startTraining wires the job runners, the jobs and the training service
// into the server and resumes the jobs left by a previous run. It returns
// the training service too: the web pages must share its runner defaults.
func startTraining(ctx context.Context, svc *hub.Service, meta hub.MetaStore, srv *hubhttp.Server, f *jobFlags, cfg jobsConfig) (*hub.Jobs, *hub.Training, error) {
	if *f.maxParallel < 1 {
		return nil, nil, usagef("--max-parallel-jobs must be at least 1")
	}
	rs, err := newRunnerSet(*f.runner, cfg)
	if err != nil {
		return nil, nil, err
	}
	jobs := hub.NewJobs(svc, meta, rs, hub.JobsConfig{Endpoint: cfg.endpoint, MaxParallel: *f.maxParallel, Logger: cfg.logger})
	tr := hub.NewTraining(svc, jobs, meta, hub.TrainingConfig{DefaultRunner: rs.Default(), CheckRunner: rs.Check, Logger: cfg.logger})
	srv.RegisterJobs(jobs)
	srv.RegisterTraining(tr)
	if err := jobs.Recover(ctx); err != nil {
		return nil, nil, fmt.Errorf("serve: %w", err)
	}
	cfg.logger.Info(fmt.Sprintf("training: runners %s (default %s), %d jobs at once", strings.Join(rs.Names(), ", "),
		rs.Default(), *f.maxParallel))
	return jobs, tr, nil
}

// newRunnerSet returns the process runner and, when Podman and the trainer
// image are there, the podman runner; def is the default.
func newRunnerSet(def string, cfg jobsConfig) (*hub.RunnerSet, error) {
	ort, err := filepath.Abs(cfg.ortLib) // tasks run in another directory
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	proc, err := process.New(process.Config{LogDir: cfg.logDir, Env: map[string]string{"QUARRY_ORT_LIB": ort}})
	if err != nil {
		return nil, fmt.Errorf("serve: process runner: %w", err)
	}
	pod, why := podmanRunner(cfg.logDir)
	var runners []hub.JobRunner
	switch def {
	case "process":
		runners = []hub.JobRunner{proc}
		if pod != nil {
			runners = append(runners, pod)
		}
	case "podman":
		if pod == nil {
			return nil, fmt.Errorf("serve: the podman runner is not available: %s", why)
		}
		runners = []hub.JobRunner{pod, proc}
	default:
		return nil, usagef("unknown runner %q: process or podman", def)
	}
	rs, err := hub.NewRunnerSet(runners...)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if pod == nil {
		rs.SetUnavailable("podman", why)
	}
	return rs, nil
}

// podmanRunner returns the podman runner, or nil and why it cannot run:
// podman missing, or the trainer image of this binary not built.
func podmanRunner(logDir string) (hub.JobRunner, string) {
	if _, err := exec.LookPath("podman"); err != nil {
		return nil, "podman is not installed (run make setup)"
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err.Error()
	}
	img, err := podman.ImageFor(exe)
	if err != nil {
		return nil, err.Error()
	}
	if err := exec.Command("podman", "image", "exists", img).Run(); err != nil {
		return nil, fmt.Sprintf("the trainer image %s of this binary is not built (run make podman-image)", img)
	}
	r, err := podman.New(podman.Config{Image: img, LogDir: logDir})
	if err != nil {
		return nil, err.Error()
	}
	return r, ""
}
