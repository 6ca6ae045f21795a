// Package jobstest runs hub.Jobs over in-memory stores with a real local
// runner, for the runner packages' tests.
package jobstest

import (
	"context"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
)

// Harness is a hub with one user (alice), a dataset and an output repo,
// and a Jobs running on the runner under test.
type Harness struct {
	Svc   *hub.Service
	Meta  *hubtest.MemMeta
	Jobs  *hub.Jobs
	Alice *hub.Caller
	Input hub.JobInput
}

// New returns a harness whose Jobs is closed at the end of the test.
func New(t *testing.T, runner hub.JobRunner) *Harness {
	t.Helper()
	ctx := context.Background()
	h := &Harness{Meta: hubtest.NewMemMeta(), Alice: &hub.Caller{User: &hub.User{Name: "alice"}}}
	h.Svc = hub.NewService(hubtest.NewMemBlobStore(), h.Meta, []byte("0123456789abcdef0123456789abcdef"))
	if _, err := h.Svc.CreateUser(ctx, "alice", "", "", false); err != nil {
		t.Fatal(err)
	}
	data := hub.RepoID{Type: hub.Dataset, Namespace: "alice", Name: "tiles"}
	out := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "out"}
	for _, id := range []hub.RepoID{data, out} {
		if _, err := h.Svc.CreateRepo(ctx, h.Alice, hub.CreateRepoInput{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	h.Input = hub.JobInput{Reads: []hub.RepoID{data}, Writes: []hub.RepoID{out}}
	h.Jobs = hub.NewJobs(h.Svc, h.Meta, runner, hub.JobsConfig{Endpoint: "http://127.0.0.1:1", MaxParallel: 4})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := h.Jobs.Close(ctx); err != nil {
			t.Errorf("Jobs.Close: %v", err)
		}
	})
	return h
}

// Submit submits a job with spec as its environment.
func (h *Harness) Submit(t *testing.T, spec map[string]string) *hub.Job {
	t.Helper()
	in := h.Input
	in.Spec = spec
	j, err := h.Jobs.Submit(context.Background(), h.Alice, in)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return j
}

// Wait polls job id until cond holds, failing the test after timeout.
func (h *Harness) Wait(t *testing.T, id, what string, timeout time.Duration, cond func(*hub.Job) bool) *hub.Job {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j, err := h.Meta.GetJob(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: no %s after %v: %+v", id, what, timeout, j)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitState waits until job id is in state s.
func (h *Harness) WaitState(t *testing.T, id string, s hub.JobState, timeout time.Duration) *hub.Job {
	t.Helper()
	return h.Wait(t, id, "state "+string(s), timeout, func(j *hub.Job) bool { return j.State == s })
}
