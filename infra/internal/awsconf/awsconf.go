// Package awsconf builds the AWS SDK configuration that the AWS adapters
// (infra/s3, infra/dynamo, infra/jobs) share: region, optional endpoint
// override (a local emulator such as moto_server) and optional static
// credentials.
//
// Built with the awsenv tag (the Lambda functions, make build-lambda) it
// reads the region and credentials from the environment only, as Lambda
// provides them, instead of the SDK's full default chain (shared files,
// SSO, STS web identity), which leaves about 1 MB of SDK code out of the
// function binaries.
package awsconf

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Options locate an AWS account or an emulator.
type Options struct {
	Region   string // empty: the SDK's (AWS_REGION, shared config), else us-east-1
	Endpoint string // base URL overriding every service's endpoint ("http://127.0.0.1:5000"); "" for AWS
	// Static credentials; when AccessKeyID is empty the SDK's default chain
	// (environment, shared files, the Lambda or ECS role) provides them.
	AccessKeyID     string
	SecretAccessKey string
}

// DefaultRegion is the region used when neither Options nor the
// environment name one.
const DefaultRegion = "us-east-1"

// Load returns the SDK configuration for o.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	cfg, err := load(ctx, o)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if o.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.Endpoint)
	}
	return cfg, nil
}
