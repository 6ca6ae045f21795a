package s3

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"quarry/hub"
)

// TestTranslate checks the error table: which S3 codes become which hub
// kinds, and that other errors keep their cause for errors.Is.
func TestTranslate(t *testing.T) {
	api := func(code string) error {
		return fmt.Errorf("operation error S3: GetObject: %w", &smithy.GenericAPIError{Code: code, Message: code})
	}
	for _, tc := range []struct {
		err      error
		want     error
		notFound bool
	}{
		{api("NoSuchKey"), hub.ErrNotFound, true},
		{api("NotFound"), hub.ErrNotFound, true},
		{api("InvalidRange"), hub.ErrRange, false},
		{api("NoSuchBucket"), nil, false},
		{api("AccessDenied"), nil, false},
		{context.Canceled, context.Canceled, false},
	} {
		got := translate("get", "k", tc.err)
		if tc.want != nil && !errors.Is(got, tc.want) {
			t.Errorf("translate(%v) = %v, want %v", tc.err, got, tc.want)
		}
		if errors.Is(got, hub.ErrNotFound) != tc.notFound {
			t.Errorf("translate(%v) = %v: ErrNotFound %v, want %v", tc.err, got, !tc.notFound, tc.notFound)
		}
		if tc.want == nil && hub.ErrorKind(got) != nil {
			t.Errorf("translate(%v) = %v: kind %v, want an internal error", tc.err, got, hub.ErrorKind(got))
		}
	}
}
