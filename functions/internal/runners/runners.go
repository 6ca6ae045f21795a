// Package runners builds the AWS job runners of the Lambda functions from
// their environment (template.yaml sets it):
//
//	QUARRY_BATCH_JOB_QUEUE, QUARRY_BATCH_JOB_DEFINITION   the Batch runner
//	QUARRY_BATCH_GPUS, QUARRY_BATCH_TIMEOUT (seconds)      its overrides
//	QUARRY_ECS_CLUSTER, QUARRY_ECS_TASK_DEFINITION         the ECS runner
//	QUARRY_ECS_CONTAINER (default trainer), QUARRY_ECS_CAPACITY_PROVIDER,
//	QUARRY_ECS_SUBNETS, QUARRY_ECS_SECURITY_GROUPS (comma-separated), QUARRY_ECS_GPUS
//
// with AWS_REGION and AWS_ENDPOINT_URL as the SDK reads them. Builds
// tagged noecs (the API function, to stay small) leave the ECS runner out.
package runners

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"quarry/hub"
	"quarry/infra/jobs/batch"
)

// ECSRunner is the ECS runner (ecs.Runner) as the functions use it.
type ECSRunner interface {
	hub.JobRunner
	Describe(ctx context.Context, handles []string) (map[string]hub.JobEvent, error)
}

// Runners are the configured runners; either may be nil.
type Runners struct {
	Batch        *batch.Runner
	ECS          ECSRunner // nil when not configured (always, in builds tagged noecs)
	ECSContainer string
}

// FromEnv builds the runners that getenv configures.
func FromEnv(ctx context.Context, getenv func(string) string) (*Runners, error) {
	r := &Runners{ECSContainer: getenv("QUARRY_ECS_CONTAINER")}
	if r.ECSContainer == "" {
		r.ECSContainer = "trainer"
	}
	region, endpoint := getenv("AWS_REGION"), getenv("AWS_ENDPOINT_URL")
	if q := getenv("QUARRY_BATCH_JOB_QUEUE"); q != "" {
		gpus, err := num(getenv, "QUARRY_BATCH_GPUS")
		if err != nil {
			return nil, err
		}
		secs, err := num(getenv, "QUARRY_BATCH_TIMEOUT")
		if err != nil {
			return nil, err
		}
		r.Batch, err = batch.New(ctx, batch.Config{JobQueue: q, JobDefinition: getenv("QUARRY_BATCH_JOB_DEFINITION"),
			GPUs: gpus, Timeout: time.Duration(secs) * time.Second, Region: region, Endpoint: endpoint})
		if err != nil {
			return nil, err
		}
	}
	if c := getenv("QUARRY_ECS_CLUSTER"); c != "" {
		var err error
		if r.ECS, err = newECS(ctx, getenv, c, r.ECSContainer); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Default returns the runner of new jobs: Batch when configured, else
// ECS, else nil.
func (r *Runners) Default() hub.JobRunner {
	switch {
	case r.Batch != nil:
		return r.Batch
	case r.ECS != nil:
		return r.ECS
	}
	return nil
}

func num(getenv func(string) string, key string) (int, error) {
	v := getenv(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: not a non-negative integer", key, v)
	}
	return n, nil
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
