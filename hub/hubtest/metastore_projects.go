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

func testProjects(t *testing.T, open func(t *testing.T) hub.MetaStore) {
	t.Run("CreateGet", func(t *testing.T) { testProjectCreateGet(t, open(t)) })
	t.Run("UpdateCAS", func(t *testing.T) { testProjectUpdate(t, open(t)) })
	t.Run("ConcurrentCAS", func(t *testing.T) { testProjectConcurrent(t, open(t)) })
	t.Run("List", func(t *testing.T) { testProjectList(t, open(t)) })
}

func projectID(n int) string { return fmt.Sprintf("%016x", 0xabc000+n) }

func fullProject() *hub.Project {
	paris := time.FixedZone("Paris", 3600)
	model := func(ns, name string) hub.RepoID { return hub.RepoID{Type: hub.Model, Namespace: ns, Name: name} }
	return &hub.Project{
		ID: projectID(1), Name: model("Newsroom", "amber-mines"), Owner: "Alice",
		Dataset:  hub.RepoID{Type: hub.Dataset, Namespace: "newsroom", Name: "amber-data"},
		Revision: "0123456789abcdef0123456789abcdef01234567", Positive: "mine", Labels: []string{"mine", "no_mine"},
		Metric: "recall", TargetRecall: 0.95, Seed: 7, Runner: "podman", Synthetic: true,
		Candidates: []hub.Candidate{
			{Name: "logreg", Base: model("quarry", "mobilenet"), Head: "logreg", Repo: model("Newsroom", "amber-mines-logreg"), JobID: jobID(1)},
			{Name: "gbdt", Base: model("quarry", "mobilenet"), Head: "gbdt", Repo: model("Newsroom", "amber-mines-gbdt")},
		},
		CancelledAt: t0.Add(time.Hour).In(paris),
		Published:   &hub.Publication{Candidate: "logreg", Repo: model("Newsroom", "amber-mines"), Commit: "abc", At: t0.Add(2 * time.Hour).In(paris)},
		CreatedAt:   t0.In(paris),
	}
}

func testProjectCreateGet(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	p := fullProject()
	want := p.Clone()
	want.Version = 1
	want.CreatedAt, want.CancelledAt, want.Published.At = want.CreatedAt.UTC(), want.CancelledAt.UTC(), want.Published.At.UTC()
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	if p.Version != 1 {
		t.Fatalf("CreateProject set Version = %d, want 1", p.Version)
	}
	got, err := s.GetProject(ctx, p.ID)
	if err != nil {
		t.Fatalf("GetProject: %v", err)
	}
	if diff := cmpDiff(want, got); diff != "" {
		t.Fatalf("GetProject mismatch (-want +got):\n%s", diff)
	}
	got.Candidates[0].JobID, got.Labels[0], got.Published.Commit = "x", "x", "x"
	if again, _ := s.GetProject(ctx, p.ID); again.Candidates[0].JobID != jobID(1) || again.Labels[0] != "mine" || again.Published.Commit != "abc" {
		t.Fatal("changing a returned project changed the store")
	}
	minimal := &hub.Project{ID: projectID(2), Name: hub.RepoID{Type: hub.Model, Namespace: "bob", Name: "p"}, CreatedAt: t0}
	if err := s.CreateProject(ctx, minimal); err != nil {
		t.Fatalf("CreateProject(minimal): %v", err)
	}
	got, err = s.GetProject(ctx, projectID(2))
	if err != nil || got.Published != nil || !got.CancelledAt.IsZero() || len(got.Candidates) != 0 {
		t.Fatalf("GetProject(minimal) = %+v, %v", got, err)
	}
	checkKind(t, "CreateProject of a taken id", s.CreateProject(ctx, fullProject()), hub.ErrConflict)
	_, err = s.GetProject(ctx, projectID(3))
	checkKind(t, "GetProject of a missing project", err, hub.ErrNotFound)
}

func testProjectUpdate(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	p := fullProject()
	p.Published = nil
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	stale := p.Clone()
	p.Candidates[1].JobID = jobID(2)
	p.Published = &hub.Publication{Candidate: "gbdt", Repo: p.Name, Commit: "def", At: t0}
	if err := s.UpdateProject(ctx, p); err != nil {
		t.Fatalf("UpdateProject: %v", err)
	}
	if p.Version != 2 {
		t.Fatalf("Version after update = %d, want 2", p.Version)
	}
	stale.Metric = "loss"
	checkKind(t, "UpdateProject with a stale version", s.UpdateProject(ctx, stale), hub.ErrPrecondition)
	got, err := s.GetProject(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := p.Clone()
	want.CreatedAt, want.CancelledAt = want.CreatedAt.UTC(), want.CancelledAt.UTC()
	if diff := cmpDiff(want, got); diff != "" {
		t.Fatalf("project after a refused stale update (-want +got):\n%s", diff)
	}
	missing := &hub.Project{ID: projectID(9), Version: 1}
	checkKind(t, "UpdateProject of a missing project", s.UpdateProject(ctx, missing), hub.ErrNotFound)
}

// testProjectConcurrent: compare-and-swap loses no update when writers
// each set their own candidate's job id.
func testProjectConcurrent(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	const writers = 8
	p := &hub.Project{ID: projectID(1), Name: hub.RepoID{Type: hub.Model, Namespace: "a", Name: "p"},
		Candidates: make([]hub.Candidate, writers), CreatedAt: t0}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- setJobID(ctx, s, p.ID, w)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetProject(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for w, c := range got.Candidates {
		if c.JobID != jobID(w) {
			t.Fatalf("candidate %d job = %q after concurrent writers (version %d)", w, c.JobID, got.Version)
		}
	}
	if got.Version != writers+1 {
		t.Fatalf("version = %d, want %d", got.Version, writers+1)
	}
}

func setJobID(ctx context.Context, s hub.MetaStore, id string, i int) error {
	for range 1000 {
		p, err := s.GetProject(ctx, id)
		if err != nil {
			return err
		}
		p.Candidates[i].JobID = jobID(i)
		err = s.UpdateProject(ctx, p)
		if !errors.Is(err, hub.ErrPrecondition) {
			return err
		}
	}
	return fmt.Errorf("writer %d: too many retries", i)
}

func testProjectList(t *testing.T, s hub.MetaStore) {
	ctx := context.Background()
	specs := []struct {
		n       int
		ns      string
		minutes int
	}{{5, "alice", 1}, {3, "Newsroom", 2}, {4, "alice", 2}, {1, "newsroom", 0}, {2, "bob", 1}}
	for _, sp := range specs {
		p := &hub.Project{ID: projectID(sp.n), Name: hub.RepoID{Type: hub.Model, Namespace: sp.ns, Name: "p"},
			CreatedAt: t0.Add(time.Duration(sp.minutes) * time.Minute)}
		if err := s.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		f    hub.ProjectFilter
		want []int
	}{
		{hub.ProjectFilter{}, []int{1, 2, 5, 3, 4}},
		{hub.ProjectFilter{Namespace: "NEWSROOM"}, []int{1, 3}},
		{hub.ProjectFilter{Namespace: "alice"}, []int{5, 4}},
		{hub.ProjectFilter{Namespace: "ali"}, nil},
		{hub.ProjectFilter{Limit: 2}, []int{1, 2}},
		{hub.ProjectFilter{Namespace: "alice", Limit: 1}, []int{5}},
	} {
		got, err := s.ListProjects(ctx, tc.f)
		if err != nil {
			t.Fatalf("ListProjects(%+v): %v", tc.f, err)
		}
		var ids, want []string
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		for _, n := range tc.want {
			want = append(want, projectID(n))
		}
		if diff := cmpDiff(want, ids); diff != "" {
			t.Fatalf("ListProjects(%+v) (-want +got):\n%s", tc.f, diff)
		}
	}
}
