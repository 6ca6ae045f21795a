package s3

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// CreateBucket sets the bucket up as Quarry needs it, creating it when
// missing (an existing bucket of this account is kept, with its content):
//   - CORS: browsers may GET, HEAD and PUT through presigned URLs from any
//     origin and read the ETag header (multipart uploads report part
//     ETags);
//   - a lifecycle rule that aborts multipart uploads still incomplete a day
//     after they began, so abandoned uploads stop costing storage.
//
// It is what `quarry aws init` runs against a local emulator or a fresh
// account; template.yaml declares the same settings for deployments.
func (s *BlobStore) CreateBucket(ctx context.Context) error {
	in := &awss3.CreateBucketInput{Bucket: &s.bucket}
	if region := s.client.Options().Region; region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(region)}
	}
	if _, err := s.client.CreateBucket(ctx, in); err != nil && errorCode(err) != "BucketAlreadyOwnedByYou" {
		return fmt.Errorf("s3: create bucket %s: %w", s.bucket, err)
	}
	_, err := s.client.PutBucketCors(ctx, &awss3.PutBucketCorsInput{Bucket: &s.bucket,
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
			AllowedMethods: []string{"GET", "HEAD", "PUT"},
			AllowedOrigins: []string{"*"},
			AllowedHeaders: []string{"*"},
			ExposeHeaders:  []string{"ETag"},
			MaxAgeSeconds:  aws.Int32(3600),
		}}}})
	if err != nil {
		return fmt.Errorf("s3: set CORS of bucket %s: %w", s.bucket, err)
	}
	_, err = s.client.PutBucketLifecycleConfiguration(ctx, &awss3.PutBucketLifecycleConfigurationInput{
		Bucket: &s.bucket, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID:                             aws.String(AbortMultipartRule),
			Status:                         types.ExpirationStatusEnabled,
			Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("")},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)},
		}}}})
	if err != nil {
		return fmt.Errorf("s3: set lifecycle of bucket %s: %w", s.bucket, err)
	}
	return nil
}

// AbortMultipartRule is the ID of the lifecycle rule CreateBucket sets.
const AbortMultipartRule = "abort-incomplete-multipart-uploads"
