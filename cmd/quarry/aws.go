package main

import (
	"context"
	"fmt"

	"quarry/infra"
)

// runAWS runs `quarry aws init`: it creates the S3 bucket and the DynamoDB
// table of the AWS backend (QUARRY_BACKEND=aws, QUARRY_S3_BUCKET,
// QUARRY_DYNAMODB_TABLE, AWS_ENDPOINT_URL for a local emulator such as
// moto_server) and brings their settings up to date; existing content is
// kept, so running it twice is harmless.
func (m *Main) runAWS(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "init" {
		return usagef("aws: unknown subcommand; usage: quarry aws init")
	}
	fs := newFlagSet("aws init", "aws init   (QUARRY_BACKEND=aws QUARRY_S3_BUCKET=B QUARRY_DYNAMODB_TABLE=T [AWS_ENDPOINT_URL=URL])", m.Stderr)
	if _, err := parseFlags(fs, args[1:], 0, ""); err != nil {
		return err
	}
	cfg := infra.ConfigFromEnv(m.Getenv)
	if err := infra.InitAWS(ctx, cfg); err != nil {
		return err
	}
	where := "AWS"
	if cfg.AWSEndpoint != "" {
		where = cfg.AWSEndpoint
	}
	fmt.Fprintf(m.Stdout, "Bucket %s and table %s are ready on %s.\n", cfg.S3Bucket, cfg.DynamoDBTable, where)
	return nil
}
