package worker_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubclient"
	"quarry/hub/hubhttp"
	"quarry/hub/hubtest"
	"quarry/ml/modelrepo"
	"quarry/train/tiles"
	"quarry/train/worker"
)

// fakeRunner starts nothing: it hands each job's environment to the test,
// which runs the worker in-process.
type fakeRunner struct {
	mu   sync.Mutex
	envs map[string]map[string]string
}

func (r *fakeRunner) Name() string { return "fake" }
func (r *fakeRunner) Start(_ context.Context, job *hub.Job, env map[string]string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.envs[job.ID] = env
	return job.ID, nil
}
func (r *fakeRunner) Cancel(context.Context, string) error { return nil }
func (r *fakeRunner) Logs(context.Context, string, bool) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("")), nil
}

// env waits until the job was started and returns its environment.
func (r *fakeRunner) env(t *testing.T, id string) map[string]string {
	t.Helper()
	for range 200 {
		r.mu.Lock()
		e := r.envs[id]
		r.mu.Unlock()
		if e != nil {
			return e
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %s never started", id)
	return nil
}

// world is a hub with jobs, user alice, the base model and a dataset.
type world struct {
	svc    *hub.Service
	jobs   *hub.Jobs
	runner *fakeRunner
	api    *hubclient.Client
	ortLib string
}

// repoRoot returns the directory holding go.mod.
func repoRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		dir = filepath.Dir(dir)
	}
}

// require skips when make setup did not run, except under CI.
func require(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing (run make setup): %v", path, err)
		}
		t.Skipf("%s missing: run make setup", path)
	}
	return path
}

func newWorld(t *testing.T) *world {
	t.Helper()
	root := repoRoot(t)
	w := &world{runner: &fakeRunner{envs: map[string]map[string]string{}},
		ortLib: require(t, filepath.Join(root, "third_party", "onnxruntime", "lib", "libonnxruntime.so.1"))}
	models := filepath.Join(root, "third_party", "models")
	require(t, filepath.Join(models, "mobilenet-v2-140-224", "onnx", "model.onnx"))
	meta := hubtest.NewMemMeta()
	w.svc = hub.NewService(hubtest.NewMemBlobStore(), meta, bytes.Repeat([]byte("s"), 32))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w.jobs = hub.NewJobs(w.svc, meta, w.runner, hub.JobsConfig{Endpoint: url, Logger: log})
	srv := hubhttp.NewServer(w.svc, hubhttp.Config{PublicURL: url, Logger: log})
	srv.RegisterJobs(w.jobs)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = w.jobs.Close(ctx)
		_ = srv.Shutdown(ctx)
		<-done
	})
	ctx := context.Background()
	for _, u := range []string{"alice", modelrepo.BaseNamespace} {
		if _, err := w.svc.CreateUser(ctx, u, "", "", false); err != nil {
			t.Fatal(err)
		}
	}
	tok, _, err := w.svc.CreateToken(ctx, "alice", hub.RoleWrite, "test")
	if err != nil {
		t.Fatal(err)
	}
	w.api = hubclient.New(url, tok)
	base := modelrepo.BaseModels()[0]
	files, err := base.Files(models)
	if err != nil {
		t.Fatal(err)
	}
	qtok, _, err := w.svc.CreateToken(ctx, modelrepo.BaseNamespace, hub.RoleWrite, "test")
	if err != nil {
		t.Fatal(err)
	}
	upload(t, hubclient.New(url, qtok), hubclient.Model, base.ID(), false, files)
	return w
}

// upload creates repo id and commits files to it.
func upload(t *testing.T, api *hubclient.Client, typ hubclient.RepoType, id string, private bool, files map[string][]byte) string {
	t.Helper()
	ctx := context.Background()
	if _, err := api.CreateRepo(ctx, typ, id, private); err != nil {
		t.Fatal(err)
	}
	var up []hubclient.UploadFile
	for p, d := range files {
		up = append(up, hubclient.UploadFile{Path: p, Data: d})
	}
	info, err := api.UploadFiles(ctx, typ, id, "main", "upload", up, nil)
	if err != nil {
		t.Fatal(err)
	}
	return info.OID
}

// tileFiles generates n+n tiles and returns them by repo path.
func tileFiles(t *testing.T, seed int64, n int) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	items, err := tiles.GenerateSet(dir, seed, n, tiles.DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, it := range items {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(it.Path)))
		if err != nil {
			t.Fatal(err)
		}
		out[it.Path] = b
	}
	return out
}

// submit creates the output repo and submits a train job of head on data.
func (w *world) submit(t *testing.T, data, rev, head string) string {
	t.Helper()
	ctx := context.Background()
	out := "alice/proj-" + head
	if _, err := w.api.CreateRepo(ctx, hubclient.Model, out, true); err != nil {
		t.Fatal(err)
	}
	alice := &hub.Caller{User: &hub.User{Name: "alice"}}
	ds, _ := hub.ParseRepoID(hub.Dataset, data)
	base, _ := hub.ParseRepoID(hub.Model, modelrepo.BaseModels()[0].ID())
	outID, _ := hub.ParseRepoID(hub.Model, out)
	job, err := w.jobs.Submit(ctx, alice, hub.JobInput{Kind: "train", Project: "alice/proj",
		Reads: []hub.RepoID{ds, base}, Writes: []hub.RepoID{outID},
		Spec: map[string]string{worker.EnvDataset: data, worker.EnvRevision: rev, worker.EnvBase: base.String(),
			worker.EnvHead: head, worker.EnvOutput: out, worker.EnvPositive: tiles.LabelMine,
			worker.EnvMetric: "f1", worker.EnvSeed: "7", worker.EnvSynthetic: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	return job.ID
}

// run runs the worker of job id in-process and returns its log.
func (w *world) run(ctx context.Context, t *testing.T, id string) (string, error) {
	t.Helper()
	env := w.runner.env(t, id)
	var log bytes.Buffer
	err := worker.Run(ctx, worker.Config{Getenv: func(k string) string { return env[k] }, Log: &log,
		ORTLib: w.ortLib, Interval: 50 * time.Millisecond, TempDir: t.TempDir()})
	return log.String(), err
}

func (w *world) job(t *testing.T, id string) *hub.Job {
	t.Helper()
	j, err := w.jobs.Get(context.Background(), &hub.Caller{User: &hub.User{Name: "alice"}}, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
