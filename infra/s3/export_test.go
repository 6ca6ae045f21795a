package s3

import (
	"context"
	"slices"
	"strings"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// SetCopyLimits lowers the size above which Move copies by parts, and the
// part size, so that tests exercise multipart copies with small objects.
func SetCopyLimits(s *BlobStore, single, part int64) { s.singleCopy, s.copyPart = single, part }

// OpenUploads returns the number of multipart uploads in progress.
func OpenUploads(ctx context.Context, s *BlobStore) (int, error) {
	out, err := s.client.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: &s.bucket})
	if err != nil {
		return 0, err
	}
	return len(out.Uploads), nil
}

// BucketSettings describes the bucket's CORS methods and exposed headers
// and the days after which its lifecycle aborts incomplete uploads.
func BucketSettings(ctx context.Context, s *BlobStore) (methods, expose string, abortDays int32, err error) {
	cors, err := s.client.GetBucketCors(ctx, &awss3.GetBucketCorsInput{Bucket: &s.bucket})
	if err != nil {
		return "", "", 0, err
	}
	for _, r := range cors.CORSRules {
		m := slices.Clone(r.AllowedMethods)
		slices.Sort(m)
		methods, expose = strings.Join(m, ","), strings.Join(r.ExposeHeaders, ",")
	}
	lc, err := s.client.GetBucketLifecycleConfiguration(ctx, &awss3.GetBucketLifecycleConfigurationInput{Bucket: &s.bucket})
	if err != nil {
		return "", "", 0, err
	}
	for _, r := range lc.Rules {
		if r.ID != nil && *r.ID == AbortMultipartRule && r.AbortIncompleteMultipartUpload != nil {
			abortDays = *r.AbortIncompleteMultipartUpload.DaysAfterInitiation
		}
	}
	return methods, expose, abortDays, nil
}
