package main

import (
	"context"

	"quarry/train/worker"
)

// runTrainWorker runs the trainer task of the job its environment
// describes (QUARRY_JOB_ID, QUARRY_ENDPOINT, QUARRY_JOB_TOKEN and the
// QUARRY_TRAIN_* spec); the job runners start it. SIGTERM cancels ctx.
func (m *Main) runTrainWorker(ctx context.Context, args []string) error {
	fs := newFlagSet("train-worker", "train-worker   (configured by its environment; run by the hub's job runners)", m.Stderr)
	if _, err := parseFlags(fs, args, 0, ""); err != nil {
		return err
	}
	empty := ""
	lib := (&demoFlags{ortLib: &empty}).ortLibPath()
	return worker.Run(ctx, worker.Config{Getenv: m.Getenv, Log: m.Stderr, ORTLib: lib})
}
