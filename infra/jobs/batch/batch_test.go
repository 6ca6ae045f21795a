package batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/google/go-cmp/cmp"

	"quarry/hub"
	"quarry/infra/jobs/batch"
	"quarry/internal/awsjobtest"
	"quarry/internal/awstest"
)

var moto *awstest.Server

func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }

var seq atomic.Int64

// fixture is a compute environment, queue and job definition on moto.
type fixture struct {
	client *awsbatch.Client
	queue  string
	jobDef string
	rec    *awsjobtest.Recorder
	runner *batch.Runner
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := awstest.Need(t, moto)
	ctx := context.Background()
	q, err := awsjobtest.NewBatchQueue(ctx, srv.URL, fmt.Sprintf("quarry-%d", seq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{client: q.Client, queue: q.Queue, jobDef: q.JobDefinition, rec: awsjobtest.NewRecorder()}
	f.runner, err = batch.New(ctx, batch.Config{JobQueue: f.queue, JobDefinition: f.jobDef, GPUs: 1,
		Timeout: 2 * time.Hour, Region: awstest.Region, Endpoint: srv.URL, AccessKeyID: awstest.AccessKeyID,
		SecretAccessKey: awstest.SecretAccessKey, HTTPClient: f.rec})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSubmitJobShape(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	job := &hub.Job{ID: "0123456789abcdef", Kind: "train"}
	env := map[string]string{"QUARRY_JOB_ID": job.ID, "QUARRY_TRAIN_HEAD": "mlp", "QUARRY_ENDPOINT": "https://hub.example"}
	handle, err := f.runner.Start(ctx, job, env)
	if err != nil {
		t.Fatal(err)
	}
	bodies := f.rec.Bodies("submitjob")
	if len(bodies) != 1 {
		t.Fatalf("recorded %d SubmitJob requests, want 1", len(bodies))
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(bodies[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"jobName": "quarry-0123456789abcdef", "jobQueue": f.queue, "jobDefinition": f.jobDef,
		"containerOverrides": map[string]any{
			"environment": []any{
				map[string]any{"name": "QUARRY_ENDPOINT", "value": "https://hub.example"},
				map[string]any{"name": "QUARRY_JOB_ID", "value": job.ID},
				map[string]any{"name": "QUARRY_TRAIN_HEAD", "value": "mlp"},
			},
			"resourceRequirements": []any{map[string]any{"type": "GPU", "value": "1"}},
		},
		"retryStrategy": map[string]any{"attempts": float64(3), "evaluateOnExit": []any{
			map[string]any{"onStatusReason": "Host EC2*", "action": "RETRY"},
			map[string]any{"onReason": "*", "action": "EXIT"},
		}},
		"timeout":       map[string]any{"attemptDurationSeconds": float64(7200)},
		"tags":          map[string]any{"quarry:job": job.ID},
		"propagateTags": true,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("SubmitJob request (-want +got):\n%s", d)
	}
	// What moto kept of it.
	out, err := f.client.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: []string{handle}})
	if err != nil || len(out.Jobs) != 1 {
		t.Fatalf("DescribeJobs(%s) = %v, %v", handle, out, err)
	}
	j := out.Jobs[0]
	if got, want := aws.ToString(j.JobName), "quarry-"+job.ID; got != want {
		t.Fatalf("job name %q, want %q", got, want)
	}
	if got := j.Tags[batch.TagJob]; got != job.ID {
		t.Fatalf("tag %s = %q, want %q", batch.TagJob, got, job.ID)
	}
	if j.Timeout == nil || aws.ToInt32(j.Timeout.AttemptDurationSeconds) != 7200 {
		t.Fatalf("timeout %+v, want 7200 s", j.Timeout)
	}
	seen := map[string]string{}
	for _, kv := range j.Container.Environment {
		seen[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	for k, v := range env {
		if seen[k] != v {
			t.Fatalf("environment %s = %q, want %q (all: %v)", k, seen[k], v, seen)
		}
	}
}

func TestCancelAndDescribe(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	handle, err := f.runner.Start(ctx, &hub.Job{ID: "00000000000000aa"}, map[string]string{"A": "1"})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := f.runner.Describe(ctx, []string{handle, "4b6c6e1e-0000-0000-0000-000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	if got := evs["4b6c6e1e-0000-0000-0000-000000000000"]; got.State != hub.JobFailed || got.Error != batch.VanishedError {
		t.Fatalf("unknown job: %+v, want failed: vanished", got)
	}
	if got := evs[handle].State; got == "" || got == hub.JobFailed {
		t.Fatalf("submitted job described as %q", got)
	}
	if err := f.runner.Cancel(ctx, handle); err != nil {
		t.Fatal(err)
	}
	var term struct{ JobID, Reason string }
	b := f.rec.Bodies("terminatejob")
	if len(b) != 1 || json.Unmarshal([]byte(b[0]), &term) != nil || term.JobID != handle || term.Reason != batch.CancelReason {
		t.Fatalf("TerminateJob requests %q, want jobId %s and reason %q", b, handle, batch.CancelReason)
	}
	if err := f.runner.Cancel(ctx, "4b6c6e1e-0000-0000-0000-000000000000"); err != nil {
		t.Fatalf("cancel of an unknown job: %v", err)
	}
	if _, err := f.runner.Logs(ctx, handle, false); !errors.Is(err, hub.ErrUnsupported) {
		t.Fatalf("Logs: %v, want ErrUnsupported", err)
	}
}

func TestNewValidates(t *testing.T) {
	ctx := context.Background()
	for _, c := range []batch.Config{
		{JobDefinition: "d"},
		{JobQueue: "q"},
		{JobQueue: "q", JobDefinition: "d", Attempts: 11},
		{JobQueue: "q", JobDefinition: "d", Timeout: time.Second},
	} {
		if _, err := batch.New(ctx, c); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}
