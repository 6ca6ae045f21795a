package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"quarry/hub"
	"quarry/hub/hubtest"
)

// trainRunner is a JobRunner whose tasks do nothing: the test plays the
// trainer by committing to the candidate repo and calling Jobs.Apply.
type trainRunner struct {
	mu        sync.Mutex
	started   []*hub.Job
	cancelled []string
}

func (r *trainRunner) Name() string { return "fake" }

func (r *trainRunner) Start(_ context.Context, job *hub.Job, _ map[string]string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, job.Clone())
	return "h-" + job.ID, nil
}

func (r *trainRunner) Cancel(_ context.Context, handle string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cancelled = append(r.cancelled, handle)
	return nil
}

func (r *trainRunner) Logs(context.Context, string, bool) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("")), nil
}

func (r *trainRunner) startedJobs() []*hub.Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.started)
}

// trainEnv is a hub with jobs and training over in-memory stores.
type trainEnv struct {
	svc    *hub.Service
	meta   *hubtest.MemMeta
	blobs  *hubtest.MemBlobStore
	runner *trainRunner
	jobs   *hub.Jobs
	tr     *hub.Training
	alice  *hub.Caller
	bob    *hub.Caller
	root   *hub.Caller
	data   hub.RepoID // alice's valid dataset (mine/no_mine, 6 each)
}

func newTrainEnv(t *testing.T) *trainEnv {
	t.Helper()
	e := &trainEnv{meta: hubtest.NewMemMeta(), blobs: hubtest.NewMemBlobStore(), runner: &trainRunner{}}
	e.svc = hub.NewService(e.blobs, e.meta, []byte("0123456789abcdef0123456789abcdef"))
	for _, n := range []string{"alice", "bob", "carol", "dave", "root"} {
		if _, err := e.svc.CreateUser(ctx, n, "", "", n == "root"); err != nil {
			t.Fatal(err)
		}
	}
	e.alice = &hub.Caller{User: &hub.User{Name: "alice"}}
	e.bob = &hub.Caller{User: &hub.User{Name: "bob"}}
	e.root = &hub.Caller{User: &hub.User{Name: "root", Admin: true}}
	base := hub.RepoID{Type: hub.Model, Namespace: "quarry", Name: "mobilenet-v2-140-224"}
	if _, err := e.svc.CreateRepo(ctx, hub.Operator(), hub.CreateRepoInput{ID: base}); err != nil {
		t.Fatal(err)
	}
	e.jobs = hub.NewJobs(e.svc, e.meta, e.runner, hub.JobsConfig{Endpoint: "http://127.0.0.1:9", MaxParallel: 8})
	e.tr = hub.NewTraining(e.svc, e.jobs, e.meta, hub.TrainingConfig{DefaultRunner: "fake"})
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := e.jobs.Close(cctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	e.data = e.dataset(t, e.alice, "tiles", classFiles(map[string]int{"mine": 6, "no_mine": 6}))
	return e
}

// pngBytes returns a distinct 8x8 PNG for each n.
func pngBytes(t testing.TB, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 64 {
		img.Set(i%8, i/8, color.RGBA{uint8(n), uint8(n >> 8), uint8(i), 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// classFiles returns "LABEL/i.png" -> nil (filled with distinct PNGs).
func classFiles(counts map[string]int) map[string][]byte {
	out := map[string][]byte{}
	for label, n := range counts {
		for i := range n {
			out[fmt.Sprintf("%s/%d.png", label, i)] = nil
		}
	}
	return out
}

// dataset creates the dataset repo ns-of-c/name with files (nil content:
// a distinct PNG); files under no_mine/ go through LFS.
func (e *trainEnv) dataset(t *testing.T, c *hub.Caller, name string, files map[string][]byte) hub.RepoID {
	t.Helper()
	id := hub.RepoID{Type: hub.Dataset, Namespace: c.User.Name, Name: name}
	if _, err := e.svc.CreateRepo(ctx, c, hub.CreateRepoInput{ID: id, Private: true}); err != nil {
		t.Fatal(err)
	}
	var ops []hub.Op
	n := 0
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		data := files[p]
		if data == nil {
			n++
			data = pngBytes(t, n)
		}
		if strings.HasPrefix(p, "no_mine/") || strings.HasSuffix(p, ".zip") {
			obj, err := e.svc.StoreLFS(ctx, c, id, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			ops = append(ops, hub.Op{Kind: hub.OpLFSFile, Path: p, OID: obj.OID, Size: obj.Size})
			continue
		}
		ops = append(ops, hub.Op{Kind: hub.OpFile, Path: p, Content: data})
	}
	ops = append(ops, hub.Op{Kind: hub.OpFile, Path: "README.md", Content: []byte("---\ntags:\n- synthetic\n---\n# tiles\n")})
	if _, err := e.svc.Commit(ctx, c, id, hub.CommitInput{Summary: "data", Ops: ops}); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *trainEnv) create(t *testing.T, in hub.ProjectInput) *hub.ProjectStatus {
	t.Helper()
	st, err := e.tr.CreateProject(ctx, e.alice, in)
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	return st
}

// waitStarted waits until the runner started n jobs.
func (e *trainEnv) waitStarted(t *testing.T, n int) []*hub.Job {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		jobs := e.runner.startedJobs()
		if len(jobs) >= n {
			return jobs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs started, want %d", len(jobs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// finish plays the trainer's final event for candidate cand of st.
func (e *trainEnv) finish(t *testing.T, st *hub.ProjectStatus, cand string, state hub.JobState, m map[string]float64) {
	t.Helper()
	for _, c := range st.Project.Candidates {
		if c.Name == cand {
			if _, err := e.jobs.Apply(ctx, c.JobID, hub.JobEvent{State: state, Metrics: m}); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no candidate %s", cand)
}

func (e *trainEnv) get(t *testing.T, id string) *hub.ProjectStatus {
	t.Helper()
	st, err := e.tr.GetProject(ctx, e.alice, id)
	if err != nil {
		t.Fatalf("GetProject: %v", err)
	}
	return st
}

func names(st *hub.ProjectStatus) (out []string) {
	for _, c := range st.Leaderboard {
		out = append(out, fmt.Sprintf("%s:%d", c.Name, c.Rank))
	}
	return out
}

func TestCreateProjectSubmitsOneJobPerCandidate(t *testing.T) {
	e := newTrainEnv(t)
	name := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "amber"}
	st := e.create(t, hub.ProjectInput{Name: name, Dataset: e.data, Positive: "mine", Metric: "recall", TargetRecall: 0.9})
	p := st.Project
	if st.State != hub.ProjectRunning || p.Revision != e.head(t, e.data) || !p.Synthetic || p.Seed != hub.DefaultSeed {
		t.Fatalf("project = %+v, state %s", p, st.State)
	}
	if got, want := p.Labels, []string{"mine", "no_mine"}; !slices.Equal(got, want) {
		t.Fatalf("labels = %v, want %v", got, want)
	}
	jobs := e.waitStarted(t, 3)
	byHead := map[string]*hub.Job{}
	for _, j := range jobs {
		byHead[j.Spec[hub.SpecTrainHead]] = j
	}
	for _, head := range hub.Heads {
		j := byHead[head]
		if j == nil {
			t.Fatalf("no job for head %s", head)
		}
		out := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "amber-" + head}
		want := map[string]string{
			hub.SpecTrainDataset: "alice/tiles", hub.SpecTrainRevision: p.Revision, hub.SpecTrainBase: "quarry/mobilenet-v2-140-224",
			hub.SpecTrainHead: head, hub.SpecTrainOutput: out.String(), hub.SpecTrainPositive: "mine",
			hub.SpecTrainMetric: "recall", hub.SpecTrainTargetRecall: "0.9", hub.SpecTrainSeed: "42",
			hub.SpecTrainSynthetic: "1", hub.SpecTrainProject: "alice/amber", hub.SpecTrainCandidate: head,
			hub.SpecTrainRunner: "fake",
		}
		if diff := cmpDiff(want, j.Spec); diff != "" {
			t.Fatalf("spec of %s (-want +got):\n%s", head, diff)
		}
		if j.Kind != "train" || j.Project != "alice/amber" || !slices.Equal(j.Writes, []hub.RepoID{out}) || len(j.Reads) != 2 {
			t.Fatalf("job %+v", j)
		}
		repo, err := e.meta.GetRepo(ctx, out)
		if err != nil || !repo.Private {
			t.Fatalf("candidate repo %s: %+v, %v", out, repo, err)
		}
	}
	// Bob sees the candidate repos as missing.
	if _, err := e.svc.FindRepo(ctx, e.bob, hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "amber-mlp"}, hub.ActionRead); err == nil {
		t.Fatal("bob reads a private candidate repo")
	}
	// The same name again: refused before any job.
	_, err := e.tr.CreateProject(ctx, e.alice, hub.ProjectInput{Name: name, Dataset: e.data, Positive: "mine"})
	wantKind(t, err, hub.ErrConflict)
	if n := len(e.runner.startedJobs()); n != 3 {
		t.Fatalf("%d jobs after a refused project", n)
	}
}

func (e *trainEnv) head(t *testing.T, id hub.RepoID) string {
	t.Helper()
	rev, err := e.svc.ResolveRevision(ctx, e.alice, id, "main")
	if err != nil {
		t.Fatal(err)
	}
	return rev.Commit
}

func TestLeaderboard(t *testing.T) {
	for _, tc := range []struct {
		metric  string
		metrics map[string]map[string]float64 // by head
		failed  string
		want    []string
		state   hub.ProjectState
	}{
		{"recall", map[string]map[string]float64{
			"logreg": {"recall": 0.9, "loss": 0.3}, "mlp": {"recall": 0.95, "loss": 0.4}, "gbdt": {"recall": 0.9, "loss": 0.2}},
			"", []string{"mlp:1", "logreg:2", "gbdt:3"}, hub.ProjectSucceeded},
		{"loss", map[string]map[string]float64{
			"logreg": {"recall": 0.9, "loss": 0.3}, "mlp": {"recall": 0.95, "loss": 0.4}, "gbdt": {"recall": 0.9, "loss": 0.2}},
			"", []string{"gbdt:1", "logreg:2", "mlp:3"}, hub.ProjectSucceeded},
		{"f1", map[string]map[string]float64{"logreg": {"f1": 0.5}, "mlp": {"recall": 1}, "gbdt": {"f1": 0.7}},
			"gbdt", []string{"logreg:1", "mlp:0", "gbdt:0"}, hub.ProjectSucceeded},
		{"f1", map[string]map[string]float64{"logreg": {}, "mlp": {}, "gbdt": {}},
			"logreg", []string{"logreg:0", "mlp:0", "gbdt:0"}, hub.ProjectSucceeded},
	} {
		t.Run(tc.metric+"-"+tc.failed, func(t *testing.T) {
			e := newTrainEnv(t)
			st := e.create(t, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "amber"}, Dataset: e.data,
				Positive: "mine", Metric: tc.metric})
			e.waitStarted(t, 3)
			for _, head := range hub.Heads {
				state := hub.JobSucceeded
				if head == tc.failed {
					state = hub.JobFailed
				}
				e.finish(t, st, head, state, tc.metrics[head])
			}
			got := e.get(t, st.Project.ID)
			if diff := cmpDiff(tc.want, names(got)); diff != "" {
				t.Fatalf("leaderboard (-want +got):\n%s", diff)
			}
			if got.State != tc.state {
				t.Fatalf("state = %s, want %s", got.State, tc.state)
			}
			first := got.Leaderboard[0]
			if first.Rank == 1 && (got.Winner == nil || got.Winner.Name != first.Name) || first.Rank == 0 && got.Winner != nil {
				t.Fatalf("winner = %+v, leaderboard head %s", got.Winner, first.Name)
			}
			if m := got.Leaderboard[0].Metrics; first.Rank == 1 && len(m) != len(tc.metrics[first.Name]) {
				t.Fatalf("winner metrics = %v, want the job's %v", m, tc.metrics[first.Name])
			}
		})
	}
}

func TestProjectStateAllFailed(t *testing.T) {
	e := newTrainEnv(t)
	st := e.create(t, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "amber"}, Dataset: e.data,
		Positive: "mine", Candidates: []hub.CandidateInput{{Head: "mlp"}}})
	e.waitStarted(t, 1)
	if got := e.get(t, st.Project.ID).State; got != hub.ProjectRunning {
		t.Fatalf("state = %s", got)
	}
	e.finish(t, st, "mlp", hub.JobFailed, nil)
	if got := e.get(t, st.Project.ID); got.State != hub.ProjectFailed || got.Winner != nil {
		t.Fatalf("state = %s, winner %+v", got.State, got.Winner)
	}
}

func TestCancelProject(t *testing.T) {
	e := newTrainEnv(t)
	st := e.create(t, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "amber"}, Dataset: e.data, Positive: "mine"})
	e.waitStarted(t, 3)
	for _, c := range st.Project.Candidates { // wait for the handles
		deadline := time.Now().Add(5 * time.Second)
		for j, _ := e.meta.GetJob(ctx, c.JobID); j.Handle == ""; j, _ = e.meta.GetJob(ctx, c.JobID) {
			if time.Now().After(deadline) {
				t.Fatal("no handle")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	e.finish(t, st, "gbdt", hub.JobSucceeded, map[string]float64{"f1": 0.5})
	_, err := e.tr.CancelProject(ctx, e.bob, st.Project.ID)
	wantKind(t, err, hub.ErrNotFound)
	got, err := e.tr.CancelProject(ctx, e.alice, st.Project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != hub.ProjectSucceeded || got.Project.CancelledAt.IsZero() {
		t.Fatalf("after cancel: state %s, cancelled at %v", got.State, got.Project.CancelledAt)
	}
	states := map[string]hub.JobState{}
	for _, c := range got.Leaderboard {
		states[c.Name] = c.Job.State
	}
	want := map[string]hub.JobState{"logreg": hub.JobCancelled, "mlp": hub.JobCancelled, "gbdt": hub.JobSucceeded}
	if diff := cmpDiff(want, states); diff != "" {
		t.Fatalf("job states (-want +got):\n%s", diff)
	}
	e.runner.mu.Lock()
	cancelled := slices.Sorted(slices.Values(e.runner.cancelled))
	e.runner.mu.Unlock()
	var wantHandles []string
	for _, c := range st.Project.Candidates {
		if c.Name != "gbdt" {
			wantHandles = append(wantHandles, "h-"+c.JobID)
		}
	}
	if diff := cmpDiff(slices.Sorted(slices.Values(wantHandles)), cancelled); diff != "" {
		t.Fatalf("tasks stopped (-want +got):\n%s", diff)
	}
}

func TestCancelProjectWithoutWinner(t *testing.T) {
	e := newTrainEnv(t)
	st := e.create(t, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "amber"}, Dataset: e.data, Positive: "mine"})
	got, err := e.tr.CancelProject(ctx, e.alice, st.Project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != hub.ProjectCancelled {
		t.Fatalf("state = %s, want cancelled", got.State)
	}
	for _, c := range got.Leaderboard {
		if c.Job.State != hub.JobCancelled {
			t.Fatalf("candidate %s: job %s", c.Name, c.Job.State)
		}
	}
}

func TestCreateProjectRefusesBadInput(t *testing.T) {
	e := newTrainEnv(t)
	multi := e.dataset(t, e.alice, "multi", classFiles(map[string]int{"a": 5, "b": 5, "c": 5}))
	name := hub.RepoID{Namespace: "alice", Name: "p"}
	for _, tc := range []struct {
		what string
		in   hub.ProjectInput
		kind error
	}{
		{"unknown head", hub.ProjectInput{Name: name, Dataset: e.data, Positive: "mine", Candidates: []hub.CandidateInput{{Head: "svm"}}}, hub.ErrInvalid},
		{"twice the same", hub.ProjectInput{Name: name, Dataset: e.data, Positive: "mine", Candidates: []hub.CandidateInput{{Head: "mlp"}, {Head: "mlp"}}}, hub.ErrInvalid},
		{"unknown metric", hub.ProjectInput{Name: name, Dataset: e.data, Positive: "mine", Metric: "mse"}, hub.ErrInvalid},
		{"auc multi-class", hub.ProjectInput{Name: name, Dataset: multi, Metric: "auc"}, hub.ErrInvalid},
		{"multi-class metric on binary", hub.ProjectInput{Name: name, Dataset: e.data, Positive: "mine", Metric: "f1_macro"}, hub.ErrInvalid},
		{"target recall", hub.ProjectInput{Name: name, Dataset: e.data, Positive: "mine", TargetRecall: 1.5}, hub.ErrInvalid},
		{"runner", hub.ProjectInput{Name: name, Dataset: e.data, Positive: "mine", Runner: "podman"}, hub.ErrInvalid},
		{"missing base", hub.ProjectInput{Name: name, Dataset: e.data, Positive: "mine",
			Candidates: []hub.CandidateInput{{Base: hub.RepoID{Namespace: "quarry", Name: "nope"}, Head: "mlp"}}}, hub.ErrNotFound},
		{"missing dataset", hub.ProjectInput{Name: name, Dataset: hub.RepoID{Namespace: "alice", Name: "nope"}, Positive: "mine"}, hub.ErrNotFound},
		{"long name", hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: strings.Repeat("x", 92)}, Dataset: e.data, Positive: "mine"}, hub.ErrInvalid},
	} {
		_, err := e.tr.CreateProject(ctx, e.alice, tc.in)
		if !errors.Is(err, tc.kind) {
			t.Fatalf("%s: err = %v, want %v", tc.what, err, tc.kind)
		}
	}
	if jobs, _ := e.meta.ListJobs(ctx, hub.JobFilter{}); len(jobs) != 0 {
		t.Fatalf("%d jobs submitted", len(jobs))
	}
	st := e.create(t, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "multi"}, Dataset: multi, Metric: "f1"})
	if st.Project.Positive != "" || len(st.Project.Labels) != 3 {
		t.Fatalf("multi-class project %+v", st.Project)
	}
}

func cmpDiff(want, got any) string { return cmp.Diff(want, got, cmpopts.EquateEmpty()) }
