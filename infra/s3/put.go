package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"quarry/hub"
)

// maxParts is S3's limit on the parts of one multipart upload.
const maxParts = 10000

// Put implements hub.BlobStore. It streams r without holding the whole
// object: an object smaller than one part is one PutObject; a larger one is
// a multipart upload, one part in memory at a time. S3 makes the object
// visible only when the upload completes, so readers never see a part; a
// read error aborts the upload and leaves any earlier object in place.
func (s *BlobStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, r, s.partSize)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("s3: put %s: read: %w", key, err)
	}
	if n < s.partSize {
		_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: &s.bucket, Key: &key,
			Body: bytes.NewReader(buf.Bytes()), ContentLength: aws.Int64(n)})
		if err != nil {
			return 0, translate("put", key, err)
		}
		return n, nil
	}
	return s.putMultipart(ctx, key, &buf, r)
}

// putMultipart uploads first and then the rest of r in parts of
// s.partSize, aborting the upload on any error.
func (s *BlobStore) putMultipart(ctx context.Context, key string, first *bytes.Buffer, r io.Reader) (int64, error) {
	up, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return 0, translate("put", key, err)
	}
	total, parts, err := s.uploadParts(ctx, key, up.UploadId, first, r)
	if err == nil {
		_, err = s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
			Bucket: &s.bucket, Key: &key, UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		if err != nil {
			err = translate("put", key, err)
		}
	}
	if err != nil {
		// The bucket's lifecycle rule cleans up after an abort that fails.
		s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &awss3.AbortMultipartUploadInput{
			Bucket: &s.bucket, Key: &key, UploadId: up.UploadId})
		return 0, err
	}
	return total, nil
}

// uploadParts sends buf as part 1, then refills it from r for each next
// part until r ends.
func (s *BlobStore) uploadParts(ctx context.Context, key string, id *string, buf *bytes.Buffer, r io.Reader) (int64, []types.CompletedPart, error) {
	var (
		total int64
		parts []types.CompletedPart
	)
	for num := int32(1); ; num++ {
		if num > maxParts {
			return 0, nil, hub.Errorf(hub.ErrTooLarge, "object %s is larger than %d parts of %d bytes", key, maxParts, s.partSize)
		}
		size := int64(buf.Len())
		out, err := s.client.UploadPart(ctx, &awss3.UploadPartInput{Bucket: &s.bucket, Key: &key,
			UploadId: id, PartNumber: aws.Int32(num), Body: bytes.NewReader(buf.Bytes()), ContentLength: aws.Int64(size)})
		if err != nil {
			return 0, nil, translate(fmt.Sprintf("put part %d of", num), key, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		total += size
		buf.Reset()
		n, err := io.CopyN(buf, r, s.partSize)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, nil, fmt.Errorf("s3: put %s: read: %w", key, err)
		}
		if n == 0 {
			return total, parts, nil
		}
	}
}
