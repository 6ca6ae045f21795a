package hub

import (
	"time"
)

// Service is the hub: every operation the HTTP API, the web pages and the CLI
// perform on repos, files, refs, users and tokens. Methods take the Caller and
// check access themselves through Authorize.
type Service struct {
	Blobs BlobStore
	Meta  MetaStore

	// Secret signs upload and completion URLs (HMAC); at least 32 bytes.
	Secret []byte
	// Now returns the current time; injectable for tests.
	Now func() time.Time
	// LFSThreshold is the size from which Preupload sends every file to
	// LFS; 0 means LFSSizeThreshold. A host that limits request sizes
	// (Lambda: 6 MB) lowers it so commits carry only small files inline.
	LFSThreshold int64

	cache    *objectCache
	throttle *Throttle // failed sign-ins and bad tokens (throttle.go)
}

// NewService returns a Service over the given stores.
func NewService(blobs BlobStore, meta MetaStore, secret []byte) *Service {
	return &Service{
		Blobs:    blobs,
		Meta:     meta,
		Secret:   secret,
		Now:      func() time.Time { return time.Now().UTC() },
		cache:    newObjectCache(64 << 20),
		throttle: NewThrottle(DefaultThrottlePolicy()),
	}
}
