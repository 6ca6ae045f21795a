//go:build !noecs

package runners

import (
	"context"

	"quarry/infra/jobs/ecs"
)

// newECS returns the ECS runner of cluster that getenv configures.
func newECS(ctx context.Context, getenv func(string) string, cluster, container string) (ECSRunner, error) {
	gpus, err := num(getenv, "QUARRY_ECS_GPUS")
	if err != nil {
		return nil, err
	}
	return ecs.New(ctx, ecs.Config{Cluster: cluster, TaskDefinition: getenv("QUARRY_ECS_TASK_DEFINITION"),
		Container: container, CapacityProvider: getenv("QUARRY_ECS_CAPACITY_PROVIDER"), GPUs: gpus,
		Subnets: list(getenv("QUARRY_ECS_SUBNETS")), SecurityGroups: list(getenv("QUARRY_ECS_SECURITY_GROUPS")),
		Region: getenv("AWS_REGION"), Endpoint: getenv("AWS_ENDPOINT_URL")})
}
