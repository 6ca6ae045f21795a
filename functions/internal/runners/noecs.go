//go:build noecs

package runners

import (
	"context"
	"errors"
)

// newECS fails: this build leaves the ECS runner out (tag noecs).
func newECS(ctx context.Context, getenv func(string) string, cluster, container string) (ECSRunner, error) {
	return nil, errors.New("QUARRY_ECS_CLUSTER is set, but this build has no ECS runner (built with -tags noecs)")
}
