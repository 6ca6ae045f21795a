package hubhttp_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubhttp"
	"quarry/hub/hubtest"
)

// tokenRunner starts nothing; it keeps each job's environment so that the
// test can play the trainer with the job token.
type tokenRunner struct {
	mu  sync.Mutex
	env map[string]map[string]string // by job id
}

func (r *tokenRunner) Name() string { return "fake" }
func (r *tokenRunner) Start(_ context.Context, job *hub.Job, env map[string]string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.env[job.ID] = env
	return "h-" + job.ID, nil
}
func (r *tokenRunner) Cancel(context.Context, string) error { return nil }
func (r *tokenRunner) Logs(context.Context, string, bool) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("")), nil
}

func (r *tokenRunner) token(t *testing.T, id string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		env := r.env[id]
		r.mu.Unlock()
		if env != nil {
			return env[hub.EnvJobToken]
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s never started", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type trainHTTPEnv struct {
	*env
	runner *tokenRunner
}

func newTrainHTTPEnv(t *testing.T) *trainHTTPEnv {
	t.Helper()
	ctx := context.Background()
	meta := hubtest.NewMemMeta()
	svc := hub.NewService(hubtest.NewMemBlobStore(), meta, bytes.Repeat([]byte("s"), 32))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner := &tokenRunner{env: map[string]map[string]string{}}
	jobs := hub.NewJobs(svc, meta, runner, hub.JobsConfig{Endpoint: url, Logger: log, MaxParallel: 4})
	tr := hub.NewTraining(svc, jobs, meta, hub.TrainingConfig{DefaultRunner: "fake", Logger: log})
	srv := hubhttp.NewServer(svc, hubhttp.Config{PublicURL: url, Logger: log})
	srv.RegisterJobs(jobs)
	srv.RegisterTraining(tr)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := jobs.Close(cctx); err != nil {
			t.Errorf("jobs close: %v", err)
		}
		if err := srv.Shutdown(cctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
	e := &trainHTTPEnv{env: &env{t: t, svc: svc, url: url}, runner: runner}
	for _, name := range []string{"alice", "bob"} {
		if _, err := svc.CreateUser(ctx, name, "", "", false); err != nil {
			t.Fatal(err)
		}
	}
	e.alice, e.aliceRead, e.bob = e.token("alice", hub.RoleWrite), e.token("alice", hub.RoleRead), e.token("bob", hub.RoleWrite)
	if _, err := svc.CreateRepo(ctx, hub.Operator(), hub.CreateRepoInput{
		ID: hub.RepoID{Type: hub.Model, Namespace: "quarry", Name: "mobilenet-v2-140-224"}}); err != nil {
		t.Fatal(err)
	}
	return e
}

func tinyPNG(t *testing.T, n int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.Set(0, 0, color.Gray{Y: uint8(n)})
	img.Set(1, 0, color.Gray{Y: uint8(n >> 8)})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// dataset commits alice's dataset repo with counts images per class.
func (e *trainHTTPEnv) dataset(name string, counts map[string]int) {
	e.t.Helper()
	e.createRepo(e.alice, "alice/"+name, "dataset", true)
	var ops []map[string]any
	n := 0
	for _, label := range []string{"mine", "no_mine"} {
		for i := range counts[label] {
			n++
			ops = append(ops, fileOp(fmt.Sprintf("%s/%d.png", label, i), tinyPNG(e.t, n)))
		}
	}
	e.commit(e.alice, "datasets/alice/"+name, "main", ndjson("data", "", ops...)).must(e.t, 200)
}

type wireProject struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Dataset    string `json:"dataset"`
	Revision   string `json:"revision"`
	Positive   string `json:"positive"`
	Metric     string `json:"metric"`
	State      string `json:"state"`
	Runner     string `json:"runner"`
	Candidates []struct {
		Name    string             `json:"name"`
		Base    string             `json:"base"`
		Head    string             `json:"head"`
		Repo    string             `json:"repo"`
		Job     *wireJob           `json:"job"`
		Metrics map[string]float64 `json:"metrics"`
		Rank    int                `json:"rank"`
	} `json:"candidates"`
	Winner    *string `json:"winner"`
	RankedOn  *string `json:"rankedOn"`
	Published *struct {
		Candidate, Repo, Commit string
	} `json:"published"`
}

type wireReport struct {
	Error  string `json:"error"`
	OK     bool   `json:"ok"`
	Report struct {
		Classes []struct {
			Label string `json:"label"`
			Train int    `json:"train"`
		} `json:"classes"`
		Problems []struct {
			Code    string   `json:"code"`
			Message string   `json:"message"`
			Paths   []string `json:"paths"`
		} `json:"problems"`
		Warnings []any `json:"warnings"`
	} `json:"report"`
}

func TestTrainingAPIValidate(t *testing.T) {
	e := newTrainHTTPEnv(t)
	e.dataset("tiles", map[string]int{"mine": 5, "no_mine": 6})
	e.dataset("small", map[string]int{"mine": 3, "no_mine": 6})
	var ok wireReport
	e.req("POST", "/api/training/validate", e.aliceRead, map[string]any{"dataset": "alice/tiles", "positive": "mine"}).
		must(t, 200).json(t, &ok)
	if !ok.OK || len(ok.Report.Classes) != 2 || ok.Report.Classes[1].Train != 6 || ok.Report.Problems == nil {
		t.Fatalf("validate tiles = %+v", ok)
	}
	var bad wireReport
	e.req("POST", "/api/training/validate", e.alice, map[string]any{"dataset": "datasets/alice/small", "positive": "mine"}).
		must(t, 200).json(t, &bad)
	if bad.OK || len(bad.Report.Problems) != 1 || bad.Report.Problems[0].Code != "too_few_images" {
		t.Fatalf("validate small = %+v", bad)
	}
	e.req("POST", "/api/training/validate", e.bob, map[string]any{"dataset": "alice/tiles"}).mustError(t, 404, "RepoNotFound")
	e.req("POST", "/api/training/validate", "", map[string]any{"dataset": "alice/tiles"}).must(t, 401)
	e.req("POST", "/api/training/validate", e.alice, map[string]any{"dataset": "tiles"}).must(t, 400)

	// Creating a project on the small dataset: 400 with the report, no job.
	var refused wireReport
	r := e.req("POST", "/api/training/projects", e.alice, map[string]any{"name": "alice/p", "dataset": "alice/small", "positive": "mine"})
	r.must(t, 400).json(t, &refused)
	if !strings.Contains(refused.Error, "mine has 3") || r.Header.Get("X-Error-Message") == "" ||
		len(refused.Report.Problems) != 1 || refused.Report.Problems[0].Code != "too_few_images" {
		t.Fatalf("refusal = %s", r.body)
	}
	var jobs []wireJob
	e.req("GET", "/api/jobs", e.alice, nil).must(t, 200).json(t, &jobs)
	if len(jobs) != 0 {
		t.Fatalf("%d jobs after a refusal", len(jobs))
	}
}

func TestTrainingAPIProjectLifecycle(t *testing.T) {
	e := newTrainHTTPEnv(t)
	e.dataset("tiles", map[string]int{"mine": 5, "no_mine": 5})
	var p wireProject
	e.req("POST", "/api/training/projects", e.alice, map[string]any{"name": "alice/amber", "dataset": "alice/tiles",
		"positive": "mine", "metric": "recall", "candidates": []map[string]string{{"head": "logreg"}, {"base": "quarry/mobilenet-v2-140-224", "head": "mlp"}}}).
		must(t, 200).json(t, &p)
	if p.State != "running" || len(p.Candidates) != 2 || p.Metric != "recall" || p.Runner != "fake" || p.Winner != nil ||
		p.RankedOn != nil {
		t.Fatalf("created %+v", p)
	}
	metrics := map[string]map[string]float64{"logreg": {"recall": 0.8, "f1": 0.9}, "mlp": {"recall": 0.95, "f1": 0.7}}
	for _, c := range p.Candidates {
		if c.Job == nil || c.Repo != "alice/amber-"+c.Head || c.Base != "quarry/mobilenet-v2-140-224" {
			t.Fatalf("candidate %+v", c)
		}
		tok := e.runner.token(t, c.Job.ID)
		// The trainer pushes its result with the job token, then reports.
		e.commit(tok, "models/"+c.Repo, "main", ndjson("result", "", fileOp("README.md", "# "+c.Head))).must(t, 200)
		e.req("POST", "/api/jobs/"+c.Job.ID+"/events", tok, map[string]any{"state": "succeeded", "metrics": metrics[c.Head]}).must(t, 200)
	}
	var got wireProject
	e.req("GET", "/api/training/projects/"+p.ID, e.aliceRead, nil).must(t, 200).json(t, &got)
	if got.State != "succeeded" || got.Winner == nil || *got.Winner != "alice/amber-mlp" ||
		got.Candidates[0].Name != "mlp" || got.Candidates[0].Rank != 1 || got.Candidates[1].Rank != 2 ||
		got.Candidates[0].Metrics["f1"] != 0.7 || got.Candidates[0].Job.State != "succeeded" ||
		got.RankedOn == nil || *got.RankedOn != "validation" {
		t.Fatalf("leaderboard %+v", got)
	}
	e.req("GET", "/api/training/projects/"+p.ID, e.bob, nil).must(t, 404)
	e.req("GET", "/api/training/projects/"+p.ID, "", nil).must(t, 401)
	e.req("POST", "/api/training/projects/"+p.ID+"/publish", e.aliceRead, nil).must(t, 403)

	var pub struct{ Candidate, Repo, Commit string }
	e.req("POST", "/api/training/projects/"+p.ID+"/publish", e.alice, map[string]any{"private": true}).must(t, 200).json(t, &pub)
	if pub.Candidate != "mlp" || pub.Repo != "alice/amber" || pub.Commit != e.head("models/alice/amber") {
		t.Fatalf("publication %+v", pub)
	}
	e.req("GET", "/alice/amber/resolve/main/README.md", e.alice, nil).must(t, 200)
	e.req("GET", "/alice/amber/resolve/main/README.md", "", nil).must(t, 401) // private
	e.req("POST", "/api/training/projects/"+p.ID+"/publish", e.alice, map[string]any{"candidate": "svm"}).must(t, 404)

	var list []wireProject
	e.req("GET", "/api/training/projects?owner=alice", e.alice, nil).must(t, 200).json(t, &list)
	if len(list) != 1 || list[0].ID != p.ID || list[0].Published == nil || list[0].Published.Candidate != "mlp" {
		t.Fatalf("list %+v", list)
	}
	e.req("GET", "/api/training/projects", e.bob, nil).must(t, 200).json(t, &list)
	if len(list) != 0 {
		t.Fatalf("bob lists %+v", list)
	}
}

func TestTrainingAPICancelAndErrors(t *testing.T) {
	e := newTrainHTTPEnv(t)
	e.dataset("tiles", map[string]int{"mine": 5, "no_mine": 5})
	var p wireProject
	e.req("POST", "/api/training/projects", e.alice, map[string]any{"name": "alice/amber", "dataset": "alice/tiles", "positive": "mine"}).
		must(t, 200).json(t, &p)
	if len(p.Candidates) != 3 {
		t.Fatalf("default candidates: %+v", p.Candidates)
	}
	e.req("POST", "/api/training/projects/"+p.ID+"/cancel", e.bob, nil).must(t, 404)
	var got wireProject
	e.req("POST", "/api/training/projects/"+p.ID+"/cancel", e.alice, nil).must(t, 200).json(t, &got)
	if got.State != "cancelled" {
		t.Fatalf("after cancel: %+v", got)
	}
	for _, c := range got.Candidates {
		if c.Job.State != "cancelled" {
			t.Fatalf("candidate %s: job %s", c.Name, c.Job.State)
		}
	}
	e.req("POST", "/api/training/projects/"+p.ID+"/publish", e.alice, nil).must(t, 409)
	e.req("POST", "/api/training/projects", e.alice, map[string]any{"name": "alice/amber", "dataset": "alice/tiles", "positive": "mine"}).must(t, 409)
	e.req("POST", "/api/training/projects", e.alice, map[string]any{"name": "alice/x", "dataset": "alice/tiles", "positive": "mine", "runner": "podman"}).must(t, 400)
	e.req("POST", "/api/training/projects", e.alice, map[string]any{"name": "alice/x", "dataset": "alice/tiles", "positive": "mine",
		"candidates": []map[string]string{{"head": "svm"}}}).must(t, 400)
	e.req("POST", "/api/training/projects", e.alice, map[string]any{"dataset": "alice/tiles"}).must(t, 400)
	e.req("POST", "/api/training/projects", e.bob, map[string]any{"name": "alice/x", "dataset": "alice/tiles"}).must(t, 403)
	e.req("GET", "/api/training/projects/0123456789abcdef", e.alice, nil).must(t, 404)
	e.req("GET", "/api/training/projects/nope", e.alice, nil).must(t, 404)
}
