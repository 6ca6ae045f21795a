package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"

	"quarry/hub"
)

// EventSource and EventDetailType identify Batch state events.
const (
	EventSource     = "aws.batch"
	EventDetailType = "Batch Job State Change"
)

// detail is the part of a "Batch Job State Change" event's detail (a
// DescribeJobs JobDetail) that Quarry reads.
type detail struct {
	JobName      string            `json:"jobName"`
	JobID        string            `json:"jobId"`
	Status       string            `json:"status"`
	StatusReason string            `json:"statusReason"`
	Tags         map[string]string `json:"tags"`
	Container    struct {
		ExitCode *int32 `json:"exitCode"`
		Reason   string `json:"reason"`
	} `json:"container"`
}

// ParseEvent translates the detail of a "Batch Job State Change" event
// into the Quarry job it is about, the Batch job id (the runner's handle)
// and the event to apply. ok is false for Batch jobs that are not
// Quarry's.
func ParseEvent(raw []byte) (jobID, handle string, ev hub.JobEvent, ok bool, err error) {
	var d detail
	if err := json.Unmarshal(raw, &d); err != nil {
		return "", "", hub.JobEvent{}, false, fmt.Errorf("batch: event detail: %w", err)
	}
	jobID = d.Tags[TagJob]
	if jobID == "" {
		jobID, ok = strings.CutPrefix(d.JobName, JobNamePrefix)
		if !ok {
			return "", "", hub.JobEvent{}, false, nil
		}
	}
	return jobID, d.JobID, translate(d.Status, d.StatusReason, d.Container.ExitCode, d.Container.Reason), true, nil
}

// translate maps a Batch status onto a job event (spec §C3.1):
// SUBMITTED, PENDING, RUNNABLE and STARTING are starting, RUNNING is
// running, SUCCEEDED succeeded, FAILED failed (with the status reason and
// the container's exit code) unless Cancel caused it.
func translate(status, reason string, exitCode *int32, containerReason string) hub.JobEvent {
	switch status {
	case "SUBMITTED", "PENDING", "RUNNABLE", "STARTING":
		return hub.JobEvent{State: hub.JobStarting}
	case "RUNNING":
		return hub.JobEvent{State: hub.JobRunning}
	case "SUCCEEDED":
		return hub.JobEvent{State: hub.JobSucceeded}
	case "FAILED":
		if reason == CancelReason {
			return hub.JobEvent{State: hub.JobCancelled}
		}
		return hub.JobEvent{State: hub.JobFailed, Error: failure("the Batch job failed", reason, exitCode, containerReason)}
	}
	return hub.JobEvent{}
}

// failure phrases why a task failed.
func failure(what, reason string, exitCode *int32, containerReason string) string {
	var parts []string
	if reason != "" {
		parts = append(parts, reason)
	}
	if exitCode != nil {
		parts = append(parts, "exit code "+strconv.Itoa(int(*exitCode)))
	}
	if containerReason != "" {
		parts = append(parts, containerReason)
	}
	if len(parts) == 0 {
		return what
	}
	return what + ": " + strings.Join(parts, "; ")
}

// VanishedError is the failure of a job whose Batch job no longer exists.
const VanishedError = "the Batch job vanished (not known to Batch any more) without reporting its end"

// Describe reports the current state of the Batch jobs handles as the
// events their last state change stands for. A handle Batch does not know
// any more (jobs are forgotten some days after they end) gives a failed
// event: the task vanished. It is the reconciliation that catches events
// EventBridge lost.
func (r *Runner) Describe(ctx context.Context, handles []string) (map[string]hub.JobEvent, error) {
	out := make(map[string]hub.JobEvent, len(handles))
	for start := 0; start < len(handles); start += 100 {
		chunk := handles[start:min(start+100, len(handles))]
		res, err := r.client.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: chunk})
		if err != nil {
			return nil, fmt.Errorf("batch: describe jobs: %w", err)
		}
		for _, j := range res.Jobs {
			var code *int32
			var why string
			if j.Container != nil {
				code, why = j.Container.ExitCode, deref(j.Container.Reason)
			}
			out[deref(j.JobId)] = translate(string(j.Status), deref(j.StatusReason), code, why)
		}
		for _, h := range chunk {
			if _, ok := out[h]; !ok {
				out[h] = hub.JobEvent{State: hub.JobFailed, Error: VanishedError}
			}
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
