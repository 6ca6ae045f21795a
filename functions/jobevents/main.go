// Command jobevents is the Lambda function (provided.al2023, arm64, no
// cgo) that EventBridge invokes with "Batch Job State Change" and "ECS Task
// State Change" events and, on a schedule, to reconcile jobs whose tasks
// vanished. It moves the job records in the DynamoDB table with
// conditional updates (package handler). Configuration: QUARRY_BACKEND=aws,
// QUARRY_S3_BUCKET, QUARRY_DYNAMODB_TABLE and the runner variables of
// functions/internal/runners.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"quarry/functions/internal/awsstores"
	"quarry/functions/internal/runners"
	"quarry/functions/jobevents/handler"
	"quarry/hub"
)

func main() {
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "jobevents:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler opens the stores and runners that getenv configures.
func newHandler(ctx context.Context, getenv func(string) string) (*handler.Handler, error) {
	st, err := awsstores.Open(ctx, getenv, false)
	if err != nil {
		return nil, err
	}
	blobs, meta := st.Blobs, st.Meta
	rs, err := runners.FromEnv(ctx, getenv)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h := &handler.Handler{Store: meta, ECSContainer: rs.ECSContainer, Runners: map[string]handler.Describer{}, Log: log}
	if rs.Batch != nil {
		h.Runners[rs.Batch.Name()] = rs.Batch
	}
	if rs.ECS != nil {
		h.Runners[rs.ECS.Name()] = rs.ECS
	}
	// Apply never starts tasks; the runner only names the records' runner.
	var runner hub.JobRunner = rs.Default()
	if runner == nil {
		return nil, fmt.Errorf("no runner configured (QUARRY_BATCH_JOB_QUEUE or QUARRY_ECS_CLUSTER)")
	}
	// The secret signs nothing here: job events need no signed URLs.
	svc := hub.NewService(blobs, meta, nil)
	h.Jobs = hub.NewJobs(svc, meta, runner, hub.JobsConfig{Logger: log})
	return h, nil
}
