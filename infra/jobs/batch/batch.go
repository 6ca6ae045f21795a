// Package batch runs Quarry's job tasks on AWS Batch (hub.JobRunner): a
// task is one SubmitJob on a GPU job queue whose job definition runs the
// trainer image; the job's environment (its spec, id, endpoint and token)
// travels as container overrides. Batch reports the task's life through
// EventBridge "Batch Job State Change" events, which ParseEvent translates
// into hub.JobEvents for functions/jobevents.
//
// Naming: a task's Batch job name is "quarry-<job id>" and it carries the
// tag quarry:job=<job id>, so that an event finds its job record; the
// runner's handle is the Batch job id.
//
// Logs are not served: the task's output goes to CloudWatch Logs
// (/aws/batch/job) and Logs returns hub.ErrUnsupported.
package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/smithy-go"

	"quarry/hub"
	"quarry/infra/internal/awsconf"
)

var _ hub.JobRunner = (*Runner)(nil)

// Name is the runner's name in job records.
const Name = "batch"

// CancelReason is the reason TerminateJob records; a FAILED event carrying
// it is a cancellation, not a failure.
const CancelReason = "Cancelled by Quarry"

// JobNamePrefix starts the Batch job name of every task.
const JobNamePrefix = "quarry-"

// TagJob is the tag holding the Quarry job id on every Batch job.
const TagJob = "quarry:job"

// Config configures a Runner.
type Config struct {
	JobQueue      string // name or ARN, required
	JobDefinition string // name, name:revision or ARN, required
	// GPUs, VCPUs and MemoryMiB override the job definition's resource
	// requirements when positive.
	GPUs, VCPUs, MemoryMiB int
	// Timeout bounds one attempt (attemptDurationSeconds, at least 60 s);
	// zero keeps the job definition's.
	Timeout time.Duration
	// Attempts is the number of tries (1-10, default 3); Batch retries only
	// when the host was terminated (spot reclaim, "Host EC2*"), never when
	// the task itself failed.
	Attempts int

	Region, Endpoint             string // Endpoint: an emulator (moto_server)
	AccessKeyID, SecretAccessKey string // empty: the SDK's default chain
	// HTTPClient sends the requests; nil: the SDK's (tests record them).
	HTTPClient aws.HTTPClient
}

// Runner submits tasks to AWS Batch.
type Runner struct {
	client *awsbatch.Client
	cfg    Config
}

// New returns a runner for cfg; it makes no request.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.JobQueue == "" || cfg.JobDefinition == "" {
		return nil, errors.New("batch: a job queue and a job definition are required")
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 3
	}
	if cfg.Attempts < 1 || cfg.Attempts > 10 {
		return nil, fmt.Errorf("batch: attempts %d outside 1..10", cfg.Attempts)
	}
	if cfg.Timeout != 0 && cfg.Timeout < time.Minute {
		return nil, fmt.Errorf("batch: timeout %v below Batch's minimum of 60s", cfg.Timeout)
	}
	ac, err := awsconf.Load(ctx, awsconf.Options{Region: cfg.Region, Endpoint: cfg.Endpoint,
		AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey})
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	if cfg.HTTPClient != nil {
		ac.HTTPClient = cfg.HTTPClient
	}
	return &Runner{client: awsbatch.NewFromConfig(ac), cfg: cfg}, nil
}

// Name implements hub.JobRunner.
func (r *Runner) Name() string { return Name }

// Start implements hub.JobRunner with SubmitJob and returns the Batch job id.
func (r *Runner) Start(ctx context.Context, job *hub.Job, env map[string]string) (string, error) {
	out, err := r.client.SubmitJob(ctx, r.submitInput(job, env))
	if err != nil {
		return "", fmt.Errorf("batch: submit job %s: %w", job.ID, err)
	}
	return aws.ToString(out.JobId), nil
}

// submitInput is the SubmitJob request of job's task.
func (r *Runner) submitInput(job *hub.Job, env map[string]string) *awsbatch.SubmitJobInput {
	in := &awsbatch.SubmitJobInput{
		JobName:       aws.String(JobNamePrefix + job.ID),
		JobQueue:      aws.String(r.cfg.JobQueue),
		JobDefinition: aws.String(r.cfg.JobDefinition),
		ContainerOverrides: &types.ContainerOverrides{
			Environment:          environment(env),
			ResourceRequirements: r.resources(),
		},
		RetryStrategy: RetryStrategy(r.cfg.Attempts),
		Tags:          map[string]string{TagJob: job.ID},
		PropagateTags: aws.Bool(true),
	}
	if r.cfg.Timeout > 0 {
		in.Timeout = &types.JobTimeout{AttemptDurationSeconds: aws.Int32(int32(r.cfg.Timeout / time.Second))}
	}
	return in
}

// RetryStrategy retries an attempt only when its host went away (the
// status reason of a reclaimed spot or terminated instance starts with
// "Host EC2"); any other failure ends the job at once.
func RetryStrategy(attempts int) *types.RetryStrategy {
	return &types.RetryStrategy{Attempts: aws.Int32(int32(attempts)), EvaluateOnExit: []types.EvaluateOnExit{
		{OnStatusReason: aws.String("Host EC2*"), Action: types.RetryActionRetry},
		{OnReason: aws.String("*"), Action: types.RetryActionExit},
	}}
}

// environment turns env into Batch key-value pairs, sorted by name.
func environment(env map[string]string) []types.KeyValuePair {
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	slices.Sort(names)
	kv := make([]types.KeyValuePair, len(names))
	for i, k := range names {
		kv[i] = types.KeyValuePair{Name: aws.String(k), Value: aws.String(env[k])}
	}
	return kv
}

// resources are the overridden resource requirements.
func (r *Runner) resources() []types.ResourceRequirement {
	var rr []types.ResourceRequirement
	add := func(t types.ResourceType, n int) {
		if n > 0 {
			rr = append(rr, types.ResourceRequirement{Type: t, Value: aws.String(strconv.Itoa(n))})
		}
	}
	add(types.ResourceTypeGpu, r.cfg.GPUs)
	add(types.ResourceTypeVcpu, r.cfg.VCPUs)
	add(types.ResourceTypeMemory, r.cfg.MemoryMiB)
	return rr
}

// Cancel implements hub.JobRunner with TerminateJob (which also cancels a
// job not yet running). A job that ended or is unknown to Batch is not an
// error.
func (r *Runner) Cancel(ctx context.Context, handle string) error {
	_, err := r.client.TerminateJob(ctx, &awsbatch.TerminateJobInput{JobId: aws.String(handle),
		Reason: aws.String(CancelReason)})
	if err != nil && !isClientError(err) {
		return fmt.Errorf("batch: terminate job %s: %w", handle, err)
	}
	return nil
}

// Logs implements hub.JobRunner: not available (the output is in
// CloudWatch Logs, stream /aws/batch/job).
func (r *Runner) Logs(ctx context.Context, handle string, follow bool) (io.ReadCloser, error) {
	return nil, hub.Errorf(hub.ErrUnsupported, "the logs of Batch jobs are in CloudWatch Logs (/aws/batch/job), not served by the hub yet")
}

// isClientError reports a Batch ClientException (unknown or finished job).
func isClientError(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ClientException"
}
