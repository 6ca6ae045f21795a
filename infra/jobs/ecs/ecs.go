// Package ecs runs Quarry's job tasks on Amazon ECS (hub.JobRunner): a
// task is one RunTask of the trainer's task definition, on EC2 GPU
// capacity (Fargate has no GPUs), with the job's environment (its spec,
// id, endpoint and token) and GPU count as container overrides. ECS
// reports the task's life through EventBridge "ECS Task State Change"
// events, which ParseEvent translates into hub.JobEvents for
// functions/jobevents.
//
// Naming: a task is started by "quarry-<job id>" (startedBy) and tagged
// quarry:job=<job id>; the runner's handle is the task ARN.
//
// Logs are not served: the output goes to CloudWatch Logs through the
// task definition's awslogs driver, and Logs returns hub.ErrUnsupported.
package ecs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"quarry/hub"
	"quarry/infra/internal/awsconf"
)

var _ hub.JobRunner = (*Runner)(nil)

// Name is the runner's name in job records.
const Name = "ecs"

// CancelReason is the stoppedReason StopTask records; a STOPPED event
// carrying it is a cancellation.
const CancelReason = "Cancelled by Quarry"

// StartedByPrefix starts the startedBy of every task.
const StartedByPrefix = "quarry-"

// TagJob is the tag holding the Quarry job id on every task.
const TagJob = "quarry:job"

// Config configures a Runner.
type Config struct {
	Cluster        string // name or ARN, required
	TaskDefinition string // family, family:revision or ARN, required
	Container      string // the trainer container's name in it, required
	// CapacityProvider runs the task on this capacity provider (an EC2 GPU
	// auto-scaling group that scales to zero); empty: LaunchType.
	CapacityProvider string
	// LaunchType when no capacity provider is named; default EC2.
	LaunchType string
	// GPUs overrides the container's GPU count when positive.
	GPUs int
	// Subnets and SecurityGroups, for task definitions in awsvpc mode.
	Subnets, SecurityGroups []string

	Region, Endpoint             string // Endpoint: an emulator (moto_server)
	AccessKeyID, SecretAccessKey string // empty: the SDK's default chain
	// HTTPClient sends the requests; nil: the SDK's (tests record them).
	HTTPClient aws.HTTPClient
}

// Runner runs tasks on ECS.
type Runner struct {
	client *awsecs.Client
	cfg    Config
}

// New returns a runner for cfg; it makes no request.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.Cluster == "" || cfg.TaskDefinition == "" || cfg.Container == "" {
		return nil, errors.New("ecs: a cluster, a task definition and a container name are required")
	}
	if cfg.LaunchType == "" {
		cfg.LaunchType = string(types.LaunchTypeEc2)
	}
	ac, err := awsconf.Load(ctx, awsconf.Options{Region: cfg.Region, Endpoint: cfg.Endpoint,
		AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey})
	if err != nil {
		return nil, fmt.Errorf("ecs: %w", err)
	}
	if cfg.HTTPClient != nil {
		ac.HTTPClient = cfg.HTTPClient
	}
	return &Runner{client: awsecs.NewFromConfig(ac), cfg: cfg}, nil
}

// Name implements hub.JobRunner.
func (r *Runner) Name() string { return Name }

// Start implements hub.JobRunner with RunTask and returns the task ARN.
func (r *Runner) Start(ctx context.Context, job *hub.Job, env map[string]string) (string, error) {
	out, err := r.client.RunTask(ctx, r.runInput(job, env))
	if err != nil {
		return "", fmt.Errorf("ecs: run task of job %s: %w", job.ID, err)
	}
	if len(out.Tasks) == 0 {
		why := "no task started"
		if len(out.Failures) > 0 {
			why = aws.ToString(out.Failures[0].Reason) + " " + aws.ToString(out.Failures[0].Detail)
		}
		return "", fmt.Errorf("ecs: run task of job %s: %s", job.ID, why)
	}
	return aws.ToString(out.Tasks[0].TaskArn), nil
}

// runInput is the RunTask request of job's task.
func (r *Runner) runInput(job *hub.Job, env map[string]string) *awsecs.RunTaskInput {
	co := types.ContainerOverride{Name: aws.String(r.cfg.Container), Environment: environment(env)}
	if r.cfg.GPUs > 0 {
		co.ResourceRequirements = []types.ResourceRequirement{{Type: types.ResourceTypeGpu,
			Value: aws.String(strconv.Itoa(r.cfg.GPUs))}}
	}
	in := &awsecs.RunTaskInput{
		Cluster:        aws.String(r.cfg.Cluster),
		TaskDefinition: aws.String(r.cfg.TaskDefinition),
		Count:          aws.Int32(1),
		StartedBy:      aws.String(StartedByPrefix + job.ID),
		// Idempotent: a retried launch of the same job starts one task.
		ClientToken:   aws.String(StartedByPrefix + job.ID),
		Overrides:     &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{co}},
		Tags:          []types.Tag{{Key: aws.String(TagJob), Value: aws.String(job.ID)}},
		PropagateTags: types.PropagateTagsTaskDefinition,
	}
	if r.cfg.CapacityProvider != "" {
		in.CapacityProviderStrategy = []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String(r.cfg.CapacityProvider), Weight: 1}}
	} else {
		in.LaunchType = types.LaunchType(r.cfg.LaunchType)
	}
	if len(r.cfg.Subnets) > 0 {
		in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: r.cfg.Subnets, SecurityGroups: r.cfg.SecurityGroups}}
	}
	return in
}

// environment turns env into ECS key-value pairs, sorted by name.
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

// Cancel implements hub.JobRunner with StopTask (SIGTERM, then SIGKILL
// after the container's stopTimeout). A task that is gone is not an error.
func (r *Runner) Cancel(ctx context.Context, handle string) error {
	_, err := r.client.StopTask(ctx, &awsecs.StopTaskInput{Cluster: aws.String(r.cfg.Cluster),
		Task: aws.String(handle), Reason: aws.String(CancelReason)})
	var ae smithy.APIError
	if err != nil && !(errors.As(err, &ae) && (ae.ErrorCode() == "InvalidParameterException" || ae.ErrorCode() == "ClientException")) {
		return fmt.Errorf("ecs: stop task %s: %w", handle, err)
	}
	return nil
}

// Logs implements hub.JobRunner: not available (the output is in
// CloudWatch Logs through the awslogs driver).
func (r *Runner) Logs(ctx context.Context, handle string, follow bool) (io.ReadCloser, error) {
	return nil, hub.Errorf(hub.ErrUnsupported, "the logs of ECS tasks are in CloudWatch Logs, not served by the hub yet")
}
