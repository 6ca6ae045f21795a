package s3

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"quarry/hub"
)

var _ hub.MultipartPresigner = (*BlobStore)(nil)

// CreateMultipart implements hub.MultipartPresigner with
// CreateMultipartUpload. An upload never completed is aborted by the
// bucket's lifecycle rule (CreateBucket, template.yaml).
func (s *BlobStore) CreateMultipart(ctx context.Context, key string) (string, error) {
	out, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return "", translate("create multipart upload", key, err)
	}
	return aws.ToString(out.UploadId), nil
}

// PresignPart implements hub.MultipartPresigner: an UploadPart URL that
// signs only the host, so a client PUTs the part with no extra headers.
func (s *BlobStore) PresignPart(ctx context.Context, key, uploadID string, part int, ttl time.Duration) (string, error) {
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	if part < 1 || part > maxParts {
		return "", hub.Errorf(hub.ErrInvalid, "part number %d outside 1..%d", part, maxParts)
	}
	req, err := s.presign.PresignUploadPart(ctx, &awss3.UploadPartInput{Bucket: &s.bucket, Key: &key,
		UploadId: &uploadID, PartNumber: aws.Int32(int32(part))}, awss3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3: presign part %d of %s: %w", part, key, err)
	}
	return req.URL, nil
}

// CompleteMultipart implements hub.MultipartPresigner. S3 checks each
// part's ETag; a wrong one or a missing upload gives ErrInvalid.
func (s *BlobStore) CompleteMultipart(ctx context.Context, key, uploadID string, parts []hub.LFSPart) error {
	cp := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.PartNumber)), ETag: aws.String(p.ETag)}
	}
	_, err := s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: &s.bucket,
		Key: &key, UploadId: &uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: cp}})
	switch errorCode(err) {
	case "":
		return nil
	case "InvalidPart", "InvalidPartOrder", "NoSuchUpload", "EntityTooSmall":
		return hub.Errorf(hub.ErrInvalid, "cannot complete the upload of %s: %s", key, errorCode(err))
	}
	return translate("complete multipart upload", key, err)
}

// AbortMultipart implements hub.MultipartPresigner; aborting an upload
// that is gone is not an error.
func (s *BlobStore) AbortMultipart(ctx context.Context, key, uploadID string) error {
	_, err := s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: &s.bucket,
		Key: &key, UploadId: &uploadID})
	if err != nil && errorCode(err) != "NoSuchUpload" {
		return translate("abort multipart upload", key, err)
	}
	return nil
}
