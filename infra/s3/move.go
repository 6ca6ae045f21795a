package s3

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"quarry/hub"
)

// maxPresignTTL is the longest life S3 gives a presigned URL (7 days).
const maxPresignTTL = 7 * 24 * time.Hour

// PresignGet implements hub.Presigner: a GET URL for key, valid for ttl.
// Range requests on it work.
func (s *BlobStore) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	req, err := s.presign.PresignGetObject(ctx, &awss3.GetObjectInput{Bucket: &s.bucket, Key: &key},
		awss3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3: presign get %s: %w", key, err)
	}
	return req.URL, nil
}

// PresignPut implements hub.Presigner: a PUT URL for key, valid for ttl.
// Only the host is signed, so a client may PUT with any or no
// Content-Type and without checksum headers; the hub verifies size and
// sha256 of what arrives before a commit may reference it.
func (s *BlobStore) PresignPut(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	req, err := s.presign.PresignPutObject(ctx, &awss3.PutObjectInput{Bucket: &s.bucket, Key: &key},
		awss3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3: presign put %s: %w", key, err)
	}
	return req.URL, nil
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 || ttl > maxPresignTTL {
		return hub.Errorf(hub.ErrInvalid, "presigned URL lifetime %v outside (0, %v]", ttl, maxPresignTTL)
	}
	return nil
}

// Copy limits: CopyObject takes sources up to 5 GiB; larger ones are
// copied by parts of defaultCopyPart with UploadPartCopy.
const (
	defaultSingleCopy = 5 << 30
	defaultCopyPart   = 512 << 20
)

// Move implements hub.BlobMover: a server-side copy (no bytes through
// this process) followed by a delete of from. A missing from gives
// ErrNotFound. S3 has no rename: for a moment both keys exist.
func (s *BlobStore) Move(ctx context.Context, from, to string) error {
	size, err := s.Stat(ctx, from)
	if err != nil {
		return err
	}
	if size <= s.singleCopy {
		_, err = s.client.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: &s.bucket, Key: &to,
			CopySource: aws.String(copySource(s.bucket, from))})
		if err != nil {
			return translate("copy to "+to+" from", from, err)
		}
	} else if err := s.copyMultipart(ctx, from, to, size); err != nil {
		return err
	}
	return s.Delete(ctx, from)
}

// copyMultipart copies an object larger than CopyObject allows.
func (s *BlobStore) copyMultipart(ctx context.Context, from, to string, size int64) error {
	up, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &to})
	if err != nil {
		return translate("copy to", to, err)
	}
	var parts []types.CompletedPart
	for off, num := int64(0), int32(1); off < size && err == nil; off, num = off+s.copyPart, num+1 {
		end := min(off+s.copyPart, size) - 1
		var out *awss3.UploadPartCopyOutput
		out, err = s.client.UploadPartCopy(ctx, &awss3.UploadPartCopyInput{Bucket: &s.bucket, Key: &to,
			UploadId: up.UploadId, PartNumber: aws.Int32(num), CopySource: aws.String(copySource(s.bucket, from)),
			CopySourceRange: aws.String("bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(end, 10))})
		if err == nil {
			parts = append(parts, types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(num)})
		}
	}
	if err == nil {
		_, err = s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: &s.bucket,
			Key: &to, UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	}
	if err != nil {
		s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &awss3.AbortMultipartUploadInput{
			Bucket: &s.bucket, Key: &to, UploadId: up.UploadId})
		return translate("copy to "+to+" from", from, err)
	}
	return nil
}

// copySource is the URL-encoded "bucket/key" that copy requests name.
func copySource(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return bucket + "/" + strings.Join(segs, "/")
}
