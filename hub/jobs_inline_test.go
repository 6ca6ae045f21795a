package hub_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"quarry/hub"
)

// remoteRunner is a runner without Wait, like AWS Batch: jobs end
// through events, not through the runner.
type remoteRunner struct{ r *fakeRunner }

func (r remoteRunner) Name() string { return "remote" }
func (r remoteRunner) Start(ctx context.Context, job *hub.Job, env map[string]string) (string, error) {
	return r.r.Start(ctx, job, env)
}
func (r remoteRunner) Cancel(ctx context.Context, handle string) error {
	return r.r.Cancel(ctx, handle)
}
func (r remoteRunner) Logs(ctx context.Context, handle string, follow bool) (io.ReadCloser, error) {
	return r.r.Logs(ctx, handle, follow)
}

// TestSubmitLaunchesInline: with LaunchInline and a remote runner, the
// task has been started when Submit returns (nothing is left to a
// goroutine that a frozen Lambda instance would never run), and a launch
// failure is in the answer.
func TestSubmitLaunchesInline(t *testing.T) {
	e := newJobEnv(t, 1)
	fake := e.runner
	jobs := hub.NewJobs(e.svc, e.meta, remoteRunner{fake}, hub.JobsConfig{Endpoint: "http://127.0.0.1:9", LaunchInline: true})
	t.Cleanup(func() { jobs.Close(context.Background()) })
	for i := range 3 { // more than MaxParallel: remote jobs take no local slot
		j, err := jobs.Submit(ctx, e.alice, e.in)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != hub.JobStarting || j.Handle != "h-"+j.ID || j.Runner != "remote" {
			t.Fatalf("job %d after Submit = %+v, want starting with its handle", i, j)
		}
		if got := fake.startedJobs(); len(got) != i+1 || got[i] != j.ID {
			t.Fatalf("runner started %v, want job %s as number %d", got, j.ID, i+1)
		}
	}
	fake.mu.Lock()
	fake.startErr = errors.New("no capacity in the compute environment")
	fake.mu.Unlock()
	j, err := jobs.Submit(ctx, e.alice, e.in)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != hub.JobFailed || j.Error == "" {
		t.Fatalf("job whose launch failed = %+v, want failed with the reason", j)
	}
}

// TestSubmitWithoutInlineLeavesLaunchToDispatch: the default (a server)
// answers with the queued job and launches it afterwards.
func TestSubmitWithoutInlineLeavesLaunchToDispatch(t *testing.T) {
	e := newJobEnv(t, 1)
	jobs := hub.NewJobs(e.svc, e.meta, remoteRunner{e.runner}, hub.JobsConfig{Endpoint: "http://127.0.0.1:9"})
	t.Cleanup(func() { jobs.Close(context.Background()) })
	j, err := jobs.Submit(ctx, e.alice, e.in)
	if err != nil || j.State != hub.JobQueued {
		t.Fatalf("Submit = %+v, %v; want queued", j, err)
	}
	e.waitLaunched(t, j.ID)
}
