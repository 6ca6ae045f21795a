package hub_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
)

// fakeRunner is a JobRunner and JobWaiter whose tasks end when the test
// says so.
type fakeRunner struct {
	mu       sync.Mutex
	startErr error
	started  []string                     // job ids, in start order
	env      map[string]map[string]string // by job id
	exits    map[string]chan hub.JobExit  // by handle
	canceled []string                     // handles
}

func newFakeRunner() *fakeRunner {
	return &fakeRunner{env: map[string]map[string]string{}, exits: map[string]chan hub.JobExit{}}
}

func (r *fakeRunner) Name() string { return "fake" }

func (r *fakeRunner) Start(ctx context.Context, job *hub.Job, env map[string]string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.startErr != nil {
		return "", r.startErr
	}
	h := "h-" + job.ID
	r.started = append(r.started, job.ID)
	r.env[job.ID] = env
	r.exits[h] = make(chan hub.JobExit, 1)
	return h, nil
}

func (r *fakeRunner) Cancel(ctx context.Context, handle string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.canceled = append(r.canceled, handle)
	select {
	case r.exits[handle] <- hub.JobExit{Code: -1, Signal: "terminated", Cancelled: true}:
	default:
	}
	return nil
}

func (r *fakeRunner) Logs(ctx context.Context, handle string, follow bool) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("log of " + handle + "\n")), nil
}

func (r *fakeRunner) Wait(ctx context.Context, handle string) (hub.JobExit, error) {
	r.mu.Lock()
	ch := r.exits[handle]
	r.mu.Unlock()
	return <-ch, nil
}

// exit ends a task.
func (r *fakeRunner) exit(id string, e hub.JobExit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exits["h-"+id] <- e
}

func (r *fakeRunner) startedJobs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.started...)
}

func (r *fakeRunner) envOf(id string) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.env[id]
}

// clock is a settable clock safe for the background goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type jobEnv struct {
	svc    *hub.Service
	meta   *hubtest.MemMeta
	runner *fakeRunner
	jobs   *hub.Jobs
	clock  *clock
	alice  *hub.Caller // session-like: full rights
	bob    *hub.Caller
	admin  *hub.Caller
	in     hub.JobInput
}

func newJobEnv(t *testing.T, maxParallel int) *jobEnv {
	t.Helper()
	e := &jobEnv{meta: hubtest.NewMemMeta(), runner: newFakeRunner(),
		clock: &clock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}}
	e.svc = hub.NewService(hubtest.NewMemBlobStore(), e.meta, []byte("0123456789abcdef0123456789abcdef"))
	e.svc.Now = e.clock.Now
	for _, n := range []string{"alice", "bob", "root"} {
		if _, err := e.svc.CreateUser(ctx, n, "", "", n == "root"); err != nil {
			t.Fatal(err)
		}
	}
	e.alice = &hub.Caller{User: &hub.User{Name: "alice"}}
	e.bob = &hub.Caller{User: &hub.User{Name: "bob"}}
	e.admin = &hub.Caller{User: &hub.User{Name: "root", Admin: true}}
	data := hub.RepoID{Type: hub.Dataset, Namespace: "alice", Name: "tiles"}
	out := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "amber-logreg"}
	for _, id := range []hub.RepoID{data, out, {Type: hub.Model, Namespace: "alice", Name: "other"}} {
		if _, err := e.svc.CreateRepo(ctx, e.alice, hub.CreateRepoInput{ID: id, Private: true}); err != nil {
			t.Fatal(err)
		}
	}
	e.in = hub.JobInput{Project: "alice/amber", Reads: []hub.RepoID{data}, Writes: []hub.RepoID{out},
		Spec: map[string]string{"QUARRY_HEAD": "logreg"}}
	e.jobs = hub.NewJobs(e.svc, e.meta, e.runner, hub.JobsConfig{Endpoint: "http://127.0.0.1:9", MaxParallel: maxParallel})
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := e.jobs.Close(cctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

func (e *jobEnv) submit(t *testing.T) *hub.Job {
	t.Helper()
	j, err := e.jobs.Submit(ctx, e.alice, e.in)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return j
}

// waitJob polls until cond holds for job id.
func (e *jobEnv) waitJob(t *testing.T, id string, what string, cond func(*hub.Job) bool) *hub.Job {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		j, err := e.meta.GetJob(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s never got %s: %+v", id, what, j)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *jobEnv) waitState(t *testing.T, id string, s hub.JobState) *hub.Job {
	t.Helper()
	return e.waitJob(t, id, string(s), func(j *hub.Job) bool { return j.State == s })
}

func (e *jobEnv) waitLaunched(t *testing.T, id string) *hub.Job {
	t.Helper()
	return e.waitJob(t, id, "a handle", func(j *hub.Job) bool { return j.Handle != "" })
}

// tokenCaller authenticates the job token the runner received.
func (e *jobEnv) tokenCaller(t *testing.T, id string) (*hub.Caller, string) {
	t.Helper()
	plain := e.runner.envOf(id)[hub.EnvJobToken]
	c, err := e.svc.Authenticate(ctx, plain)
	if err != nil {
		t.Fatalf("Authenticate(job token): %v", err)
	}
	return c, plain
}

func checkKind(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error = %v, want %v", what, err, want)
	}
}

func TestJobLifecycle(t *testing.T) {
	e := newJobEnv(t, 2)
	j := e.submit(t)
	if j.State != hub.JobQueued || j.Owner != "alice" || j.Kind != "train" || j.Runner != "fake" {
		t.Fatalf("submitted job = %+v", j)
	}
	j = e.waitLaunched(t, j.ID)
	if j.State != hub.JobStarting || j.TokenHash == "" || j.StartedAt.IsZero() {
		t.Fatalf("launched job = %+v", j)
	}
	env := e.runner.envOf(j.ID)
	for k, want := range map[string]string{hub.EnvJobID: j.ID, hub.EnvJobKind: "train",
		hub.EnvEndpoint: "http://127.0.0.1:9", "QUARRY_HEAD": "logreg"} {
		if env[k] != want {
			t.Fatalf("task env %s = %q, want %q", k, env[k], want)
		}
	}
	if strings.Contains(fmt.Sprint(j.Spec), env[hub.EnvJobToken]) {
		t.Fatal("the job token is stored in the job's spec")
	}
	tc, plain := e.tokenCaller(t, j.ID)
	steps := []hub.JobEvent{
		{State: hub.JobRunning},
		{Progress: &hub.JobProgress{Phase: "features", Done: 250, Total: 500, ETA: 30 * time.Second}},
		{Metrics: map[string]float64{"accuracy": 0.96, "recall": 0.98}},
		{State: hub.JobSucceeded, Metrics: map[string]float64{"f1": 0.97}},
	}
	for _, ev := range steps {
		if _, err := e.jobs.Report(ctx, tc, j.ID, ev); err != nil {
			t.Fatalf("Report(%+v): %v", ev, err)
		}
	}
	got, err := e.jobs.Get(ctx, e.alice, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != hub.JobSucceeded || got.Metrics["recall"] != 0.98 || got.Metrics["f1"] != 0.97 ||
		got.Progress.Done != 250 || got.FinishedAt.IsZero() {
		t.Fatalf("finished job = %+v", got)
	}
	// Duplicate and late events are accepted and change nothing.
	for _, ev := range append(steps, hub.JobEvent{State: hub.JobFailed, Error: "late"}) {
		after, err := e.jobs.Report(ctx, tc, j.ID, ev)
		if err != nil || after.Version != got.Version || after.State != hub.JobSucceeded {
			t.Fatalf("late Report(%+v) = %+v, %v", ev, after, err)
		}
	}
	e.runner.exit(j.ID, hub.JobExit{Code: 3})
	time.Sleep(20 * time.Millisecond)
	if after, _ := e.meta.GetJob(ctx, j.ID); after.Version != got.Version {
		t.Fatalf("the task's exit changed the finished job: %+v", after)
	}
	// The token outlives its job by the grace period only.
	e.clock.Add(hub.JobTokenGrace - time.Second)
	if _, err := e.svc.Authenticate(ctx, plain); err != nil {
		t.Fatalf("job token within the grace period: %v", err)
	}
	e.clock.Add(2 * time.Second)
	_, err = e.svc.Authenticate(ctx, plain)
	checkKind(t, "job token after the grace period", err, hub.ErrUnauthorized)
}

func TestJobTokenScopesAndExpiry(t *testing.T) {
	e := newJobEnv(t, 1)
	j := e.waitLaunched(t, e.submit(t).ID)
	tc, plain := e.tokenCaller(t, j.ID)
	if tc.Token.Role != hub.RoleFineGrained || tc.Token.User != "alice" {
		t.Fatalf("job token = %+v", tc.Token)
	}
	if _, err := e.svc.FindRepo(ctx, tc, e.in.Reads[0], hub.ActionRead); err != nil {
		t.Fatalf("job token reading its dataset: %v", err)
	}
	_, err := e.svc.FindRepo(ctx, tc, e.in.Reads[0], hub.ActionWrite)
	checkKind(t, "job token writing its dataset", err, hub.ErrForbidden)
	if _, err := e.svc.FindRepo(ctx, tc, e.in.Writes[0], hub.ActionWrite); err != nil {
		t.Fatalf("job token writing its output: %v", err)
	}
	_, err = e.svc.FindRepo(ctx, tc, hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "other"}, hub.ActionRead)
	checkKind(t, "job token reading another private repo", err, hub.ErrNotFound)
	e.clock.Add(hub.DefaultJobTokenTTL)
	_, err = e.svc.Authenticate(ctx, plain)
	checkKind(t, "job token after its TTL", err, hub.ErrUnauthorized)
}

func TestJobAccess(t *testing.T) {
	e := newJobEnv(t, 2)
	j := e.waitLaunched(t, e.submit(t).ID)
	other := e.waitLaunched(t, e.submit(t).ID)
	tc, _ := e.tokenCaller(t, j.ID)
	readTok, _, _ := e.svc.CreateToken(ctx, "alice", hub.RoleRead, "r")
	readCaller, err := e.svc.Authenticate(ctx, readTok)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    *hub.Caller
		id   string
		want error
	}{
		{"owner", e.alice, j.ID, nil},
		{"admin", e.admin, j.ID, nil},
		{"own token", tc, j.ID, nil},
		{"owner's read token", readCaller, j.ID, nil},
		{"other user", e.bob, j.ID, hub.ErrNotFound},
		{"anonymous", &hub.Caller{}, j.ID, hub.ErrUnauthorized},
		{"token of another job", tc, other.ID, hub.ErrNotFound},
		{"malformed id", e.alice, "../x", hub.ErrNotFound},
		{"unknown id", e.alice, "0123456789abcdef", hub.ErrNotFound},
	} {
		_, err := e.jobs.Get(ctx, tc.c, tc.id)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: Get = %v, want %v", tc.name, err, tc.want)
		}
	}
	_, err = e.jobs.Report(ctx, e.alice, j.ID, hub.JobEvent{State: hub.JobSucceeded})
	checkKind(t, "owner reporting an event", err, hub.ErrForbidden)
	_, err = e.jobs.Report(ctx, tc, other.ID, hub.JobEvent{State: hub.JobSucceeded})
	checkKind(t, "job token reporting for another job", err, hub.ErrNotFound)
	_, err = e.jobs.Report(ctx, tc, j.ID, hub.JobEvent{State: "done"})
	checkKind(t, "unknown state", err, hub.ErrInvalid)
	_, err = e.jobs.Cancel(ctx, tc, j.ID)
	checkKind(t, "job token cancelling", err, hub.ErrForbidden)
	_, err = e.jobs.Cancel(ctx, readCaller, j.ID)
	checkKind(t, "read token cancelling", err, hub.ErrForbidden)
	_, err = e.jobs.Cancel(ctx, e.bob, j.ID)
	checkKind(t, "other user cancelling", err, hub.ErrNotFound)
	if got, _ := e.meta.GetJob(ctx, j.ID); got.State.Terminal() {
		t.Fatalf("refused calls moved the job to %s", got.State)
	}
	list, err := e.jobs.List(ctx, e.bob, hub.JobFilter{})
	if err != nil || len(list) != 0 {
		t.Fatalf("bob's job list = %v, %v", list, err)
	}
	if list, _ := e.jobs.List(ctx, e.admin, hub.JobFilter{Project: "alice/amber"}); len(list) != 2 {
		t.Fatalf("admin's list of the project = %d jobs, want 2", len(list))
	}
}

func TestJobSubmitValidation(t *testing.T) {
	e := newJobEnv(t, 1)
	bad := func(mut func(*hub.JobInput)) hub.JobInput {
		in := e.in
		in.Spec = map[string]string{"OK": "1"}
		mut(&in)
		return in
	}
	for _, tc := range []struct {
		name string
		c    *hub.Caller
		in   hub.JobInput
		want error
	}{
		{"anonymous", &hub.Caller{}, e.in, hub.ErrUnauthorized},
		{"reserved variable", e.alice, bad(func(in *hub.JobInput) { in.Spec["QUARRY_JOB_TOKEN"] = "x" }), hub.ErrInvalid},
		{"lower-case variable", e.alice, bad(func(in *hub.JobInput) { in.Spec["path"] = "x" }), hub.ErrInvalid},
		{"huge spec", e.alice, bad(func(in *hub.JobInput) { in.Spec["BIG"] = strings.Repeat("x", 20000) }), hub.ErrTooLarge},
		{"bad kind", e.alice, bad(func(in *hub.JobInput) { in.Kind = "Train!" }), hub.ErrInvalid},
		{"dataset of another user", e.bob, e.in, hub.ErrNotFound},
		{"missing output", e.alice, bad(func(in *hub.JobInput) {
			in.Writes = []hub.RepoID{{Type: hub.Model, Namespace: "alice", Name: "nope"}}
		}), hub.ErrNotFound},
	} {
		_, err := e.jobs.Submit(ctx, tc.c, tc.in)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Submit = %v, want %v", tc.name, err, tc.want)
		}
	}
	if list, _ := e.meta.ListJobs(ctx, hub.JobFilter{}); len(list) != 0 {
		t.Fatalf("refused submissions stored %d jobs", len(list))
	}
}
