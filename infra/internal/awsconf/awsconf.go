// Package awsconf builds the AWS SDK configuration that the AWS adapters
// (infra/s3, infra/dynamo) share: region, optional endpoint override (a
// local emulator such as moto_server) and optional static credentials.
package awsconf

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
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
