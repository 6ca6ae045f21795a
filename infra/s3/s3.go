// Package s3 stores Quarry's blobs (git objects, LFS content, upload parts)
// in one Amazon S3 bucket, one object a key. It implements hub.BlobStore
// and the optional capabilities hub.Presigner (clients move LFS bytes
// straight to and from S3, never through Lambda) and hub.BlobMover
// (server-side copy).
//
// Every SDK error is translated before it leaves the package: a missing
// object (NoSuchKey, NotFound) wraps hub.ErrNotFound, an unsatisfiable
// range (InvalidRange) wraps hub.ErrRange, and everything else is wrapped
// as "s3: <op> <key>: <cause>".
//
// The same code runs against AWS and against a local emulator
// (moto_server): Config.Endpoint overrides the endpoint and selects
// path-style addressing.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"quarry/hub"
	"quarry/infra/internal/awsconf"
)

// Interface guards.
var (
	_ hub.BlobStore = (*BlobStore)(nil)
	_ hub.Presigner = (*BlobStore)(nil)
	_ hub.BlobMover = (*BlobStore)(nil)
)

// Config locates the bucket.
type Config struct {
	Bucket   string
	Region   string // empty: AWS_REGION as the SDK reads it, else us-east-1
	Endpoint string // endpoint override (emulator); enables path-style URLs
	// Static credentials; empty means the SDK's default chain (environment,
	// Lambda role).
	AccessKeyID     string
	SecretAccessKey string
	// PartSize is the size of the parts of a multipart upload (Put of an
	// object larger than one part); DefaultPartSize when zero. S3 needs at
	// least 5 MiB and allows 10,000 parts, so objects may reach
	// 10,000 × PartSize.
	PartSize int64
}

// DefaultPartSize is the multipart part size when Config.PartSize is zero:
// objects up to about 78 GiB, and 8 MiB of memory a running Put.
const DefaultPartSize = 8 << 20

// BlobStore is a hub.BlobStore on one S3 bucket.
type BlobStore struct {
	client   *awss3.Client
	presign  *awss3.PresignClient
	bucket   string
	partSize int64
	// Server-side copies: the largest single CopyObject and the part size
	// of larger ones (fields so that tests can lower them).
	singleCopy, copyPart int64
}

// Open returns the store of cfg.Bucket. It does not contact S3; see
// CreateBucket to set a bucket up.
func Open(ctx context.Context, cfg Config) (*BlobStore, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3: bucket name is required")
	}
	if cfg.PartSize != 0 && cfg.PartSize < 5<<20 {
		return nil, fmt.Errorf("s3: part size %d is below S3's minimum of 5 MiB", cfg.PartSize)
	}
	ac, err := awsconf.Load(ctx, awsconf.Options{Region: cfg.Region, Endpoint: cfg.Endpoint,
		AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	client := awss3.NewFromConfig(ac, func(o *awss3.Options) {
		o.UsePathStyle = cfg.Endpoint != ""
		// No flexible checksums unless S3 requires them: presigned PUT URLs
		// must not carry a checksum of the (empty) body known at signing.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	s := &BlobStore{client: client, presign: awss3.NewPresignClient(client), bucket: cfg.Bucket,
		partSize: cfg.PartSize, singleCopy: defaultSingleCopy, copyPart: defaultCopyPart}
	if s.partSize == 0 {
		s.partSize = DefaultPartSize
	}
	return s, nil
}

// Bucket returns the bucket's name.
func (s *BlobStore) Bucket() string { return s.bucket }

// Open implements hub.BlobStore with a ranged GetObject.
func (s *BlobStore) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, hub.Errorf(hub.ErrRange, "negative offset %d", offset)
	}
	if length == 0 {
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(eofReader{}), nil
	}
	in := &awss3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if r := rangeHeader(offset, length); r != "" {
		in.Range = &r
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		err = translate("get", key, err)
		if errors.Is(err, hub.ErrRange) && length < 0 {
			return s.openAtEnd(ctx, key, offset, err)
		}
		return nil, err
	}
	return out.Body, nil
}

// openAtEnd answers a read from offset to the end that S3 refused: S3 has
// no empty range, so reading from exactly the end is an empty read, and
// past the end an ErrRange.
func (s *BlobStore) openAtEnd(ctx context.Context, key string, offset int64, rangeErr error) (io.ReadCloser, error) {
	size, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if offset == size {
		return io.NopCloser(eofReader{}), nil
	}
	return nil, rangeErr
}

// rangeHeader is the HTTP Range of [offset, offset+length), "" for all.
func rangeHeader(offset, length int64) string {
	switch {
	case length < 0 && offset == 0:
		return "" // also the only way to read an empty object
	case length < 0:
		return "bytes=" + strconv.FormatInt(offset, 10) + "-"
	}
	return "bytes=" + strconv.FormatInt(offset, 10) + "-" + strconv.FormatInt(offset+length-1, 10)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// Stat implements hub.BlobStore with HeadObject.
func (s *BlobStore) Stat(ctx context.Context, key string) (int64, error) {
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return 0, translate("stat", key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Delete implements hub.BlobStore. S3 deletes of missing keys succeed.
func (s *BlobStore) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return translate("delete", key, err)
	}
	return nil
}

// translate turns an SDK error into a hub error: missing objects wrap
// hub.ErrNotFound, unsatisfiable ranges hub.ErrRange. Other errors are
// wrapped with the operation and key (Litestream's isNotExists pattern).
func translate(op, key string, err error) error {
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return hub.Errorf(hub.ErrNotFound, "object %s not found", key)
	case "InvalidRange":
		return hub.Errorf(hub.ErrRange, "range not satisfiable for object %s", key)
	case "NoSuchBucket":
		return fmt.Errorf("s3: %s %s: the bucket does not exist (quarry aws init creates it): %w", op, key, err)
	}
	return fmt.Errorf("s3: %s %s: %w", op, key, err)
}

// errorCode returns the S3 error code of err ("NoSuchKey"), or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
