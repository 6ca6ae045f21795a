// Command trainer is Quarry's training task as a standalone program, the
// entrypoint of trainer containers: the same code as `quarry train-worker`
// (package train/worker), configured by its environment (QUARRY_JOB_ID,
// QUARRY_ENDPOINT, QUARRY_JOB_TOKEN, QUARRY_TRAIN_*, QUARRY_ORT_LIB).
// SIGTERM stops it within seconds.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"quarry/train/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := worker.Run(ctx, worker.Config{Getenv: os.Getenv, Log: os.Stderr,
		ORTLib: "/lib/libonnxruntime.so.1"}); err != nil {
		fmt.Fprintln(os.Stderr, "trainer:", err)
		os.Exit(1)
	}
}
