package ecs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"quarry/hub"
	"quarry/infra/internal/awsconf"
	"quarry/infra/jobs/ecs"
	"quarry/internal/awsjobtest"
	"quarry/internal/awstest"
)

var moto *awstest.Server

func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }

var seq atomic.Int64

// newRunner registers a cluster and the trainer's task definition on moto.
// moto 5.2 places EC2 tasks only on registered container instances, so
// the tests launch on FARGATE; the request is otherwise the same.
func newRunner(t *testing.T) (*ecs.Runner, *awsjobtest.Recorder, string) {
	t.Helper()
	srv := awstest.Need(t, moto)
	ctx := context.Background()
	ac, err := awsconf.Load(ctx, awsconf.Options{Region: awstest.Region, Endpoint: srv.URL,
		AccessKeyID: awstest.AccessKeyID, SecretAccessKey: awstest.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	c := awsecs.NewFromConfig(ac)
	cluster := fmt.Sprintf("quarry-%d", seq.Add(1))
	if _, err := c.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{Family: aws.String("quarry-trainer"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("trainer"), Image: aws.String("quarry-trainer"),
			Memory: aws.Int32(15000)}}})
	if err != nil {
		t.Fatal(err)
	}
	rec := awsjobtest.NewRecorder()
	r, err := ecs.New(ctx, ecs.Config{Cluster: cluster, TaskDefinition: "quarry-trainer", Container: "trainer",
		LaunchType: "FARGATE", GPUs: 1, Region: awstest.Region, Endpoint: srv.URL, AccessKeyID: awstest.AccessKeyID,
		SecretAccessKey: awstest.SecretAccessKey, HTTPClient: rec})
	if err != nil {
		t.Fatal(err)
	}
	return r, rec, cluster
}

func TestRunTaskShape(t *testing.T) {
	r, rec, cluster := newRunner(t)
	ctx := context.Background()
	job := &hub.Job{ID: "0123456789abcdef"}
	handle, err := r.Start(ctx, job, map[string]string{"QUARRY_JOB_ID": job.ID, "QUARRY_TRAIN_HEAD": "gbdt"})
	if err != nil {
		t.Fatal(err)
	}
	bodies := rec.Bodies("RunTask")
	if len(bodies) != 1 {
		t.Fatalf("recorded %d RunTask requests, want 1", len(bodies))
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(bodies[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"cluster": cluster, "taskDefinition": "quarry-trainer", "count": float64(1), "launchType": "FARGATE",
		"startedBy": "quarry-" + job.ID, "clientToken": "quarry-" + job.ID, "propagateTags": "TASK_DEFINITION",
		"tags": []any{map[string]any{"key": "quarry:job", "value": job.ID}},
		"overrides": map[string]any{"containerOverrides": []any{map[string]any{
			"name": "trainer",
			"environment": []any{
				map[string]any{"name": "QUARRY_JOB_ID", "value": job.ID},
				map[string]any{"name": "QUARRY_TRAIN_HEAD", "value": "gbdt"},
			},
			"resourceRequirements": []any{map[string]any{"type": "GPU", "value": "1"}},
		}}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("RunTask request (-want +got):\n%s", d)
	}
	evs, err := r.Describe(ctx, []string{handle})
	if err != nil {
		t.Fatal(err)
	}
	// moto advances a task's state on every read (RUNNING, DEACTIVATING...):
	// known, it must not read as vanished.
	if got, ok := evs[handle]; !ok || got.State == hub.JobFailed {
		t.Fatalf("moto's task described as %+v, want a known task", got)
	}
}

func TestStopAndVanished(t *testing.T) {
	r, rec, cluster := newRunner(t)
	ctx := context.Background()
	handle, err := r.Start(ctx, &hub.Job{ID: "00000000000000aa"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Cancel(ctx, handle); err != nil {
		t.Fatal(err)
	}
	var stop struct{ Cluster, Task, Reason string }
	b := rec.Bodies("StopTask")
	if len(b) != 1 || json.Unmarshal([]byte(b[0]), &stop) != nil || stop.Task != handle ||
		stop.Cluster != cluster || stop.Reason != ecs.CancelReason {
		t.Fatalf("StopTask requests %q", b)
	}
	gone := "arn:aws:ecs:us-east-1:123456789012:task/" + cluster + "/0000"
	evs, err := r.Describe(ctx, []string{gone})
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[gone]; got.State != hub.JobFailed || got.Error != ecs.VanishedError {
		t.Fatalf("unknown task: %+v, want failed: vanished", got)
	}
	if _, err := r.Logs(ctx, handle, false); !errors.Is(err, hub.ErrUnsupported) {
		t.Fatalf("Logs: %v, want ErrUnsupported", err)
	}
}

func TestParseEvent(t *testing.T) {
	for _, tc := range []struct {
		name, detail string
		ok           bool
		want         hub.JobEvent
	}{
		{"pending", `{"taskArn":"t","lastStatus":"PENDING","startedBy":"quarry-00000000000000aa"}`, true,
			hub.JobEvent{State: hub.JobStarting}},
		{"running", `{"taskArn":"t","lastStatus":"RUNNING","startedBy":"quarry-00000000000000aa"}`, true,
			hub.JobEvent{State: hub.JobRunning}},
		{"stopping", `{"taskArn":"t","lastStatus":"DEPROVISIONING","startedBy":"quarry-00000000000000aa"}`, true, hub.JobEvent{}},
		{"succeeded", `{"taskArn":"t","lastStatus":"STOPPED","stopCode":"EssentialContainerExited","startedBy":"quarry-00000000000000aa","containers":[{"name":"sidecar","exitCode":1},{"name":"trainer","exitCode":0}]}`,
			true, hub.JobEvent{State: hub.JobSucceeded}},
		{"failed", `{"taskArn":"t","lastStatus":"STOPPED","stopCode":"EssentialContainerExited","stoppedReason":"Essential container in task exited","startedBy":"quarry-00000000000000aa","containers":[{"name":"trainer","exitCode":2}]}`,
			true, hub.JobEvent{State: hub.JobFailed, Error: "the ECS task failed: EssentialContainerExited; Essential container in task exited; exit code 2"}},
		{"vanished", `{"taskArn":"t","lastStatus":"STOPPED","stopCode":"SpotInterruption","stoppedReason":"Your Spot Task was interrupted.","startedBy":"quarry-00000000000000aa","containers":[{"name":"trainer"}]}`,
			true, hub.JobEvent{State: hub.JobFailed, Error: "the ECS task stopped before its trainer reported an exit code (vanished): SpotInterruption; Your Spot Task was interrupted."}},
		{"cancelled", `{"taskArn":"t","lastStatus":"STOPPED","stopCode":"UserInitiated","stoppedReason":"Cancelled by Quarry","startedBy":"quarry-00000000000000aa"}`,
			true, hub.JobEvent{State: hub.JobCancelled}},
		{"not ours", `{"taskArn":"t","lastStatus":"RUNNING","startedBy":"ecs-svc/123"}`, false, hub.JobEvent{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, handle, ev, ok, err := ecs.ParseEvent([]byte(tc.detail), "trainer")
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.ok || (ok && (id != "00000000000000aa" || handle != "t")) {
				t.Fatalf("ParseEvent = %q, %q, ok %v", id, handle, ok)
			}
			if d := cmp.Diff(tc.want, ev); d != "" {
				t.Fatalf("event (-want +got):\n%s", d)
			}
		})
	}
}
