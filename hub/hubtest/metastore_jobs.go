package hubtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"quarry/hub"
)

func testJobs(t *testing.T, open func(t *testing.T) hub.MetaStore) {
	t.Run("CreateGet", func(t *testing.T) { testJobCreateGet(t, open(t)) })
	t.Run("UpdateCAS", func(t *testing.T) { testJobUpdate(t, open(t)) })
	t.Run("ConcurrentCAS", func(t *testing.T) { testJobConcurrent(t, open(t)) })
	t.Run("List", func(t *testing.T) { testJobList(t, open(t)) })
	t.Run("TokenExpiry", func(t *testing.T) { testTokenExpiry(t, open(t)) })
}

func jobID(n int) string { return fmt.Sprintf("%016x", n) }

func fullJob() *hub.Job {
	paris := time.FixedZone("Paris", 3600)
	return &hub.Job{
		ID: jobID(1), Kind: "train", Owner: "Alice", Project: "alice/amber",
		Reads:  []hub.RepoID{{Type: hub.Dataset, Namespace: "alice", Name: "tiles"}, {Type: hub.Model, Namespace: "base", Name: "mobilenet"}},
		Writes: []hub.RepoID{{Type: hub.Model, Namespace: "alice", Name: "amber-logreg"}},
		State:  hub.JobFailed, Spec: map[string]string{"QUARRY_HEAD": "logreg", "EMPTY": ""},
		Progress: hub.JobProgress{Phase: "features", Done: 120, Total: 500, ETA: 90 * time.Second},
		Metrics:  map[string]float64{"accuracy": 0.975, "loss": 0.0625, "neg": -1e-9},
		Error:    "the task exited with status 2", LastLogLines: []string{"line one", "", "ünïcode ✓"},
		Runner: "process", Handle: "h-1", TokenHash: "abc123",
		CreatedAt: t0.In(paris), StartedAt: t0.Add(time.Second), FinishedAt: t0.Add(time.Minute),
	}
}

func testJobCreateGet(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	j := fullJob()
	want := j.Clone()
	want.Version = 1
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	if j.Version != 1 {
		t.Fatalf("CreateJob set Version = %d, want 1", j.Version)
	}
	got, err := s.GetJob(ctx, j.ID)
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	if diff := cmpDiff(want, got); diff != "" {
		t.Fatalf("GetJob mismatch (-want +got):\n%s", diff)
	}
	got.Spec["QUARRY_HEAD"], got.Metrics["loss"], got.LastLogLines[0] = "x", 9, "x"
	if again, _ := s.GetJob(ctx, j.ID); again.Spec["QUARRY_HEAD"] != "logreg" || again.Metrics["loss"] != 0.0625 || again.LastLogLines[0] != "line one" {
		t.Fatal("changing a returned job changed the store")
	}
	minimal := &hub.Job{ID: jobID(2), Owner: "bob", State: hub.JobQueued, CreatedAt: t0}
	if err := s.CreateJob(ctx, minimal); err != nil {
		t.Fatalf("CreateJob(minimal): %v", err)
	}
	got, err = s.GetJob(ctx, jobID(2))
	if err != nil || got.State != hub.JobQueued || !got.StartedAt.IsZero() || len(got.Spec) != 0 {
		t.Fatalf("GetJob(minimal) = %+v, %v", got, err)
	}
	checkKind(t, "CreateJob of a taken id", s.CreateJob(ctx, fullJob()), hub.ErrConflict)
	_, err = s.GetJob(ctx, jobID(3))
	checkKind(t, "GetJob of a missing job", err, hub.ErrNotFound)
}

func testJobUpdate(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	j := &hub.Job{ID: jobID(1), Owner: "alice", State: hub.JobQueued, CreatedAt: t0}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	stale := j.Clone()
	j.State, j.Handle, j.StartedAt = hub.JobRunning, "pid-7", t0.Add(time.Second)
	j.Metrics = map[string]float64{"f1": 0.5}
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatalf("UpdateJob: %v", err)
	}
	if j.Version != 2 {
		t.Fatalf("Version after update = %d, want 2", j.Version)
	}
	stale.State = hub.JobCancelled
	checkKind(t, "UpdateJob with a stale version", s.UpdateJob(ctx, stale), hub.ErrPrecondition)
	got, err := s.GetJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(j, got); diff != "" {
		t.Fatalf("job after a refused stale update (-want +got):\n%s", diff)
	}
	j.Metrics = nil
	if err := s.UpdateJob(ctx, j); err != nil || j.Version != 3 {
		t.Fatalf("second UpdateJob: %v, version %d", err, j.Version)
	}
	if got, _ := s.GetJob(ctx, j.ID); len(got.Metrics) != 0 {
		t.Fatalf("metrics after clearing = %v", got.Metrics)
	}
	missing := &hub.Job{ID: jobID(9), Version: 1}
	checkKind(t, "UpdateJob of a missing job", s.UpdateJob(ctx, missing), hub.ErrNotFound)
}

// testJobConcurrent checks that compare-and-swap loses no update: each
// writer adds its own metric with read-modify-write retries.
func testJobConcurrent(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	if err := s.CreateJob(ctx, &hub.Job{ID: jobID(1), Owner: "alice", State: hub.JobRunning, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- addMetric(ctx, s, jobID(1), fmt.Sprintf("m%d", w))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetJob(ctx, jobID(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Metrics) != writers || got.Version != writers+1 {
		t.Fatalf("after %d concurrent writers: metrics %v, version %d", writers, got.Metrics, got.Version)
	}
}

func addMetric(ctx context.Context, s hub.MetaStore, id, name string) error {
	for range 1000 {
		j, err := s.GetJob(ctx, id)
		if err != nil {
			return err
		}
		if j.Metrics == nil {
			j.Metrics = map[string]float64{}
		}
		j.Metrics[name] = 1
		err = s.UpdateJob(ctx, j)
		if !errors.Is(err, hub.ErrPrecondition) {
			return err
		}
	}
	return fmt.Errorf("%s: too many retries", name)
}

func testJobList(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	specs := []struct {
		n       int
		owner   string
		project string
		state   hub.JobState
		minutes int
	}{
		{5, "alice", "alice/p", hub.JobRunning, 1}, {3, "Alice", "alice/p", hub.JobSucceeded, 2},
		{4, "bob", "bob/q", hub.JobQueued, 2}, {1, "alice", "", hub.JobFailed, 3}, {2, "bob", "alice/p", hub.JobRunning, 0},
	}
	for _, sp := range specs {
		j := &hub.Job{ID: jobID(sp.n), Owner: sp.owner, Project: sp.project, State: sp.state,
			CreatedAt: t0.Add(time.Duration(sp.minutes) * time.Minute)}
		if err := s.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		f    hub.JobFilter
		want []int
	}{
		{hub.JobFilter{}, []int{2, 5, 3, 4, 1}},
		{hub.JobFilter{Owner: "ALICE"}, []int{5, 3, 1}},
		{hub.JobFilter{Project: "alice/p"}, []int{2, 5, 3}},
		{hub.JobFilter{Project: "Alice/P"}, nil},
		{hub.JobFilter{States: []hub.JobState{hub.JobRunning, hub.JobQueued}}, []int{2, 5, 4}},
		{hub.JobFilter{Owner: "bob", States: []hub.JobState{hub.JobRunning}}, []int{2}},
		{hub.JobFilter{Limit: 2}, []int{2, 5}},
		{hub.JobFilter{Owner: "carol"}, nil},
	} {
		got, err := s.ListJobs(ctx, tc.f)
		if err != nil {
			t.Fatalf("ListJobs(%+v): %v", tc.f, err)
		}
		var ids []string
		for _, j := range got {
			ids = append(ids, j.ID)
		}
		var want []string
		for _, n := range tc.want {
			want = append(want, jobID(n))
		}
		if diff := cmpDiff(want, ids); diff != "" {
			t.Fatalf("ListJobs(%+v) ids (-want +got):\n%s", tc.f, diff)
		}
	}
}

// testTokenExpiry checks that tokens keep their expiry (job tokens).
func testTokenExpiry(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	if err := s.CreateUser(ctx, &hub.User{Name: "alice", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	tok := &hub.Token{Hash: "h1", Suffix: "abcd", User: "alice", Role: hub.RoleFineGrained, Label: "job x",
		Scopes:    []hub.TokenScope{{Type: hub.Dataset, Namespace: "alice", Name: "d", Role: hub.RoleRead}},
		CreatedAt: t0, ExpiresAt: t0.Add(6 * time.Hour)}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetToken(ctx, "h1")
	if err != nil || !got.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("GetToken = %+v, %v; want ExpiresAt %v", got, err, tok.ExpiresAt)
	}
	got.ExpiresAt = t0.Add(time.Minute)
	if err := s.UpdateToken(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.GetToken(ctx, "h1"); !again.ExpiresAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("ExpiresAt after update = %v", again.ExpiresAt)
	}
	plain := &hub.Token{Hash: "h2", Suffix: "wxyz", User: "alice", Role: hub.RoleRead, CreatedAt: t0}
	if err := s.CreateToken(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.GetToken(ctx, "h2"); !again.ExpiresAt.IsZero() {
		t.Fatalf("ExpiresAt of a token without expiry = %v, want zero", again.ExpiresAt)
	}
}
