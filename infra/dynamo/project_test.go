package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"quarry/hub"
)

// TestProjects checks the hub.ProjectStore methods (no conformance suite
// covers them yet): round trip of every field, compare-and-swap, listing.
func TestProjects(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	paris := time.FixedZone("Paris", 3600)
	p := &hub.Project{ID: "00000000000000a1", Name: hub.RepoID{Type: hub.Model, Namespace: "Alice", Name: "amber"},
		Owner: "alice", Dataset: hub.RepoID{Type: hub.Dataset, Namespace: "alice", Name: "tiles"}, Revision: "abc",
		Positive: "amber", Labels: []string{"amber", "other"}, Metric: "f1", TargetRecall: 0.9, Seed: 7, Runner: "process",
		Synthetic: true, Candidates: []hub.Candidate{{Name: "logreg", Base: hub.RepoID{Type: hub.Model, Namespace: "q", Name: "m"},
			Head: "logreg", Repo: hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "amber-logreg"}, JobID: "j1"}},
		CancelledAt: t0.In(paris), CreatedAt: t0.In(paris),
		Published: &hub.Publication{Candidate: "logreg", Repo: hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "amber"},
			Commit: "c1", At: t0.Add(time.Hour)}}
	if err := s.CreateProject(ctx, p); err != nil || p.Version != 1 {
		t.Fatalf("CreateProject: %v, version %d", err, p.Version)
	}
	if err := s.CreateProject(ctx, p.Clone()); !errors.Is(err, hub.ErrConflict) {
		t.Fatalf("CreateProject of a taken id: %v, want ErrConflict", err)
	}
	got, err := s.GetProject(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Fatalf("GetProject mismatch (-want +got):\n%s", diff)
	}
	stale := got.Clone()
	got.Candidates[0].JobID = "j2"
	if err := s.UpdateProject(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("UpdateProject: %v, version %d", err, got.Version)
	}
	if err := s.UpdateProject(ctx, stale); !errors.Is(err, hub.ErrPrecondition) {
		t.Fatalf("UpdateProject with a stale version: %v, want ErrPrecondition", err)
	}
	if err := s.UpdateProject(ctx, &hub.Project{ID: "missing", Version: 1}); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("UpdateProject of a missing project: %v, want ErrNotFound", err)
	}
	if _, err := s.GetProject(ctx, "missing"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("GetProject of a missing project: %v, want ErrNotFound", err)
	}
	for i, ns := range []string{"bob", "alice", "bob"} {
		q := &hub.Project{ID: fmt.Sprintf("00000000000000b%d", i), Name: hub.RepoID{Type: hub.Model, Namespace: ns, Name: "x"},
			CreatedAt: t0.Add(time.Duration(i-1) * time.Minute)}
		if err := s.CreateProject(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		f    hub.ProjectFilter
		want string
	}{
		{hub.ProjectFilter{}, "00000000000000b0 00000000000000a1 00000000000000b1 00000000000000b2"},
		{hub.ProjectFilter{Namespace: "ALICE"}, "00000000000000a1 00000000000000b1"},
		{hub.ProjectFilter{Namespace: "bob", Limit: 1}, "00000000000000b0"},
	} {
		ps, err := s.ListProjects(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		ids := ""
		for i, p := range ps {
			if i > 0 {
				ids += " "
			}
			ids += p.ID
		}
		if ids != tc.want {
			t.Errorf("ListProjects(%+v) = %s, want %s", tc.f, ids, tc.want)
		}
	}
}
