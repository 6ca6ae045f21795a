// Package awsstores opens the AWS backend (S3 bucket, DynamoDB table) for
// the Lambda functions straight from their environment, like
// infra.Open(infra.ConfigFromEnv(...)) with QUARRY_BACKEND=aws, without
// linking the local backends (SQLite) into the function binaries.
package awsstores

import (
	"context"
	"errors"
	"fmt"

	"quarry/infra/dynamo"
	"quarry/infra/s3"
)

// secretLen is the size of the signing secret (as infra.LoadSecret).
const secretLen = 32

// Stores are the opened stores and the hub's signing secret.
type Stores struct {
	Blobs  *s3.BlobStore
	Meta   *dynamo.MetaStore
	Secret []byte // nil unless opened WithSecret
}

// Open reads QUARRY_S3_BUCKET, QUARRY_DYNAMODB_TABLE, AWS_REGION and
// AWS_ENDPOINT_URL through getenv and opens the stores; withSecret also
// loads the signing secret from the table (one request).
func Open(ctx context.Context, getenv func(string) string, withSecret bool) (*Stores, error) {
	if b := getenv("QUARRY_BACKEND"); b != "" && b != "aws" {
		return nil, fmt.Errorf("QUARRY_BACKEND=%q: the Lambda functions run on the aws backend only", b)
	}
	bucket, table := getenv("QUARRY_S3_BUCKET"), getenv("QUARRY_DYNAMODB_TABLE")
	if bucket == "" || table == "" {
		return nil, errors.New("QUARRY_S3_BUCKET and QUARRY_DYNAMODB_TABLE are required")
	}
	region, endpoint := getenv("AWS_REGION"), getenv("AWS_ENDPOINT_URL")
	blobs, err := s3.Open(ctx, s3.Config{Bucket: bucket, Region: region, Endpoint: endpoint})
	if err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	meta, err := dynamo.Open(ctx, dynamo.Config{Table: table, Region: region, Endpoint: endpoint})
	if err != nil {
		return nil, fmt.Errorf("open metadata store: %w", err)
	}
	st := &Stores{Blobs: blobs, Meta: meta}
	if withSecret {
		if st.Secret, err = meta.Secret(ctx, secretLen); err != nil {
			return nil, fmt.Errorf("load secret: %w", err)
		}
	}
	return st, nil
}
