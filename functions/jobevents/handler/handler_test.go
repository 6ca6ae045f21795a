package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"quarry/functions/jobevents/handler"
	"quarry/hub"
	"quarry/hub/hubtest"
	"quarry/infra/dynamo"
	"quarry/internal/awstest"
)

var moto *awstest.Server

func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }

var tables atomic.Int64

// env is a job store on a fresh DynamoDB table of moto, and the handler.
type env struct {
	store *dynamo.MetaStore
	h     *handler.Handler
	desc  *fakeDescriber
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := awstest.Need(t, moto)
	ctx := context.Background()
	meta, err := dynamo.Open(ctx, dynamo.Config{Table: fmt.Sprintf("jobevents-%d", tables.Add(1)), Region: awstest.Region,
		Endpoint: srv.URL, AccessKeyID: awstest.AccessKeyID, SecretAccessKey: awstest.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := meta.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	svc := hub.NewService(hubtest.NewMemBlobStore(), meta, []byte("0123456789abcdef0123456789abcdef"))
	d := &fakeDescriber{}
	jobs := hub.NewJobs(svc, meta, d, hub.JobsConfig{Endpoint: "https://hub.example"})
	return &env{store: meta, desc: d, h: &handler.Handler{Jobs: jobs, Store: meta, ECSContainer: "trainer",
		Runners: map[string]handler.Describer{"batch": d}}}
}

// job records a launched job (starting, with its task handle).
func (e *env) job(t *testing.T, id, runner, handle string) {
	t.Helper()
	j := &hub.Job{ID: id, Kind: "train", Owner: "alice", State: hub.JobStarting, Runner: runner, Handle: handle,
		CreatedAt: time.Now().UTC(), StartedAt: time.Now().UTC()}
	if err := e.store.CreateJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
}

func (e *env) state(t *testing.T, id string) *hub.Job {
	t.Helper()
	j, err := e.store.GetJob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func batchEvent(id, jobID, status, reason string, exit *int) handler.Event {
	d := map[string]any{"jobName": "quarry-" + id, "jobId": jobID, "status": status, "statusReason": reason,
		"tags": map[string]string{"quarry:job": id}}
	if exit != nil {
		d["container"] = map[string]any{"exitCode": *exit}
	}
	b, _ := json.Marshal(d)
	return handler.Event{Source: "aws.batch", DetailType: "Batch Job State Change", Detail: b}
}

func ecsEvent(id, arn, status, stopCode string, exit *int) handler.Event {
	c := map[string]any{"name": "trainer"}
	if exit != nil {
		c["exitCode"] = *exit
	}
	b, _ := json.Marshal(map[string]any{"taskArn": arn, "lastStatus": status, "stopCode": stopCode,
		"startedBy": "quarry-" + id, "containers": []any{c}})
	return handler.Event{Source: "aws.ecs", DetailType: "ECS Task State Change", Detail: b}
}

func intp(n int) *int { return &n }

func TestBatchEventsDuplicatesAndOutOfOrder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.job(t, "00000000000000a1", "batch", "bj-1")
	for _, ev := range []handler.Event{
		batchEvent("00000000000000a1", "bj-1", "RUNNABLE", "", nil),
		batchEvent("00000000000000a1", "bj-1", "RUNNING", "", nil),
		batchEvent("00000000000000a1", "bj-1", "RUNNING", "", nil), // duplicate
		batchEvent("00000000000000a1", "bj-1", "SUCCEEDED", "", intp(0)),
		batchEvent("00000000000000a1", "bj-1", "STARTING", "", nil),                                  // late
		batchEvent("00000000000000a1", "bj-1", "FAILED", "Host EC2 (instance i-1) terminated.", nil), // after the end
		batchEvent("00000000000000a1", "bj-1", "SUCCEEDED", "", intp(0)),                             // duplicate
	} {
		if err := e.h.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	j := e.state(t, "00000000000000a1")
	if j.State != hub.JobSucceeded || j.Error != "" || j.FinishedAt.IsZero() {
		t.Fatalf("job after the events: %s %q", j.State, j.Error)
	}
	// Out of order from the start: the end first, then the earlier steps.
	e.job(t, "00000000000000a2", "batch", "bj-2")
	for _, ev := range []handler.Event{
		batchEvent("00000000000000a2", "bj-2", "FAILED", "Essential container in task exited", intp(3)),
		batchEvent("00000000000000a2", "bj-2", "RUNNING", "", nil),
		batchEvent("00000000000000a2", "bj-2", "SUCCEEDED", "", intp(0)),
	} {
		if err := e.h.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	j = e.state(t, "00000000000000a2")
	if want := "the Batch job failed: Essential container in task exited; exit code 3"; j.State != hub.JobFailed || j.Error != want {
		t.Fatalf("job: %s %q, want failed %q", j.State, j.Error, want)
	}
}

func TestConcurrentDuplicates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.job(t, "00000000000000b1", "batch", "bj-3")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := batchEvent("00000000000000b1", "bj-3", "RUNNING", "", nil)
			if i%2 == 0 {
				ev = batchEvent("00000000000000b1", "bj-3", "SUCCEEDED", "", intp(0))
			}
			errs <- e.h.Handle(ctx, ev)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if j := e.state(t, "00000000000000b1"); j.State != hub.JobSucceeded {
		t.Fatalf("job after concurrent deliveries: %s, want succeeded", j.State)
	}
}

func TestECSEventsCancelAndVanish(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := "arn:aws:ecs:us-east-1:123456789012:task/quarry/abc"
	e.job(t, "00000000000000c1", "ecs", arn)
	stop, _ := json.Marshal(map[string]any{"taskArn": arn, "lastStatus": "STOPPED", "stopCode": "UserInitiated",
		"stoppedReason": "Cancelled by Quarry", "startedBy": "quarry-00000000000000c1"})
	for _, ev := range []handler.Event{
		ecsEvent("00000000000000c1", arn, "RUNNING", "", nil),
		{Source: "aws.ecs", DetailType: "ECS Task State Change", Detail: stop},
		ecsEvent("00000000000000c1", arn, "STOPPED", "EssentialContainerExited", intp(0)),
	} {
		if err := e.h.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if j := e.state(t, "00000000000000c1"); j.State != hub.JobCancelled {
		t.Fatalf("cancelled task's job: %s", j.State)
	}
	// A spot interruption: stopped without an exit code.
	e.job(t, "00000000000000c2", "ecs", arn+"2")
	if err := e.h.Handle(ctx, ecsEvent("00000000000000c2", arn+"2", "STOPPED", "SpotInterruption", nil)); err != nil {
		t.Fatal(err)
	}
	if j := e.state(t, "00000000000000c2"); j.State != hub.JobFailed {
		t.Fatalf("interrupted task's job: %s", j.State)
	}
}

func TestIgnoredEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.job(t, "00000000000000d1", "batch", "bj-4")
	for _, ev := range []handler.Event{
		batchEvent("00000000000000ff", "bj-9", "SUCCEEDED", "", intp(0)),                 // unknown job
		batchEvent("00000000000000d1", "bj-other", "SUCCEEDED", "", intp(0)),             // another task
		{Source: "aws.batch", DetailType: "Batch Job State Change", Detail: []byte(`{`)}, // malformed
		{Source: "aws.s3", DetailType: "Object Created", Detail: []byte(`{}`)},
	} {
		if err := e.h.Handle(ctx, ev); err != nil {
			t.Fatalf("Handle(%s): %v", ev.Detail, err)
		}
	}
	if j := e.state(t, "00000000000000d1"); j.State != hub.JobStarting {
		t.Fatalf("job changed by foreign events: %s", j.State)
	}
}

func TestReconcileVanishedTask(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.job(t, "00000000000000e1", "batch", "bj-alive")
	e.job(t, "00000000000000e2", "batch", "bj-gone")
	e.job(t, "00000000000000e3", "process", "local")
	e.desc.events = map[string]hub.JobEvent{
		"bj-alive": {State: hub.JobRunning},
		"bj-gone":  {State: hub.JobFailed, Error: "the Batch job vanished"},
	}
	if err := e.h.Handle(ctx, handler.Event{Source: "aws.events", DetailType: "Scheduled Event"}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]hub.JobState{"00000000000000e1": hub.JobRunning,
		"00000000000000e2": hub.JobFailed, "00000000000000e3": hub.JobStarting} {
		if j := e.state(t, id); j.State != want {
			t.Errorf("job %s after reconcile: %s, want %s", id, j.State, want)
		}
	}
	if got := e.desc.asked; len(got) != 2 {
		t.Fatalf("described %v, want the two batch tasks", got)
	}
}

// fakeDescriber is the batch runner as reconciliation sees it: moto never
// forgets a job, so the vanished task is staged here (the Batch runner's
// own Describe is tested against moto in infra/jobs/batch).
type fakeDescriber struct {
	mu     sync.Mutex
	events map[string]hub.JobEvent
	asked  []string
}

func (f *fakeDescriber) Describe(ctx context.Context, handles []string) (map[string]hub.JobEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, handles...)
	out := map[string]hub.JobEvent{}
	for _, h := range handles {
		out[h] = f.events[h]
	}
	return out, nil
}

func (f *fakeDescriber) Name() string { return "batch" }
func (f *fakeDescriber) Start(context.Context, *hub.Job, map[string]string) (string, error) {
	return "", hub.Errorf(hub.ErrUnsupported, "not in this test")
}
func (f *fakeDescriber) Cancel(context.Context, string) error { return nil }
func (f *fakeDescriber) Logs(context.Context, string, bool) (io.ReadCloser, error) {
	return nil, hub.Errorf(hub.ErrUnsupported, "no logs")
}
