package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"quarry/hub"
)

// EventSource and EventDetailType identify ECS task state events.
const (
	EventSource     = "aws.ecs"
	EventDetailType = "ECS Task State Change"
)

// container is the part of a task's container that Quarry reads.
type container struct {
	Name     string `json:"name"`
	ExitCode *int32 `json:"exitCode"`
	Reason   string `json:"reason"`
}

// detail is the part of an "ECS Task State Change" event's detail (a
// DescribeTasks Task) that Quarry reads.
type detail struct {
	TaskArn       string      `json:"taskArn"`
	LastStatus    string      `json:"lastStatus"`
	StartedBy     string      `json:"startedBy"`
	StopCode      string      `json:"stopCode"`
	StoppedReason string      `json:"stoppedReason"`
	Containers    []container `json:"containers"`
}

// ParseEvent translates the detail of an "ECS Task State Change" event
// into the Quarry job it is about, the task ARN (the runner's handle) and
// the event to apply; container names the trainer container. ok is false
// for tasks that are not Quarry's.
func ParseEvent(raw []byte, containerName string) (jobID, handle string, ev hub.JobEvent, ok bool, err error) {
	var d detail
	if err := json.Unmarshal(raw, &d); err != nil {
		return "", "", hub.JobEvent{}, false, fmt.Errorf("ecs: event detail: %w", err)
	}
	jobID, ok = strings.CutPrefix(d.StartedBy, StartedByPrefix)
	if !ok || jobID == "" {
		return "", "", hub.JobEvent{}, false, nil
	}
	return jobID, d.TaskArn, translate(d, containerName), true, nil
}

// translate maps an ECS lastStatus onto a job event (spec §C3.1):
// PROVISIONING, PENDING and ACTIVATING are starting, RUNNING is running,
// STOPPED is succeeded when the trainer container exited 0, cancelled when
// Cancel stopped it, and failed otherwise, with the stop code, the reason
// and the exit code. A task stopped without an exit code (it never
// started, or its instance went away) vanished: failed. The statuses on
// the way down (DEACTIVATING, STOPPING, DEPROVISIONING) report nothing.
func translate(d detail, containerName string) hub.JobEvent {
	switch d.LastStatus {
	case "PROVISIONING", "PENDING", "ACTIVATING":
		return hub.JobEvent{State: hub.JobStarting}
	case "RUNNING":
		return hub.JobEvent{State: hub.JobRunning}
	case "STOPPED":
	default:
		return hub.JobEvent{}
	}
	if d.StoppedReason == CancelReason {
		return hub.JobEvent{State: hub.JobCancelled}
	}
	c := trainer(d.Containers, containerName)
	if c.ExitCode != nil && *c.ExitCode == 0 {
		return hub.JobEvent{State: hub.JobSucceeded}
	}
	what := "the ECS task failed"
	if c.ExitCode == nil {
		what = "the ECS task stopped before its trainer reported an exit code (vanished)"
	}
	var parts []string
	for _, p := range []string{d.StopCode, d.StoppedReason} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if c.ExitCode != nil {
		parts = append(parts, "exit code "+strconv.Itoa(int(*c.ExitCode)))
	}
	if c.Reason != "" {
		parts = append(parts, c.Reason)
	}
	if len(parts) > 0 {
		what += ": " + strings.Join(parts, "; ")
	}
	return hub.JobEvent{State: hub.JobFailed, Error: what}
}

// trainer returns the container named name, else the first one.
func trainer(cs []container, name string) container {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	if len(cs) > 0 {
		return cs[0]
	}
	return container{}
}

// VanishedError is the failure of a job whose task ECS no longer knows.
const VanishedError = "the ECS task vanished (not known to ECS any more) without reporting its end"

// Describe reports the current state of the tasks handles as events, like
// their last state change; a task ECS does not know any more (stopped
// tasks are forgotten after about an hour) gives a failed event. It is the
// reconciliation that catches events EventBridge lost.
func (r *Runner) Describe(ctx context.Context, handles []string) (map[string]hub.JobEvent, error) {
	out := make(map[string]hub.JobEvent, len(handles))
	for start := 0; start < len(handles); start += 100 {
		chunk := handles[start:min(start+100, len(handles))]
		res, err := r.client.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Cluster: aws.String(r.cfg.Cluster), Tasks: chunk})
		if err != nil {
			return nil, fmt.Errorf("ecs: describe tasks: %w", err)
		}
		for _, t := range res.Tasks {
			d := detail{TaskArn: aws.ToString(t.TaskArn), LastStatus: aws.ToString(t.LastStatus),
				StopCode: string(t.StopCode), StoppedReason: aws.ToString(t.StoppedReason)}
			for _, c := range t.Containers {
				d.Containers = append(d.Containers, container{Name: aws.ToString(c.Name), ExitCode: c.ExitCode, Reason: aws.ToString(c.Reason)})
			}
			out[d.TaskArn] = translate(d, r.cfg.Container)
		}
		for _, h := range chunk {
			if _, ok := out[h]; !ok {
				out[h] = hub.JobEvent{State: hub.JobFailed, Error: VanishedError}
			}
		}
	}
	return out, nil
}
