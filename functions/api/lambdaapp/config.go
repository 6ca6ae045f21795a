package lambdaapp

import (
	"fmt"
	"strconv"

	"quarry/hub"
)

// DefaultMaxResponseBytes bounds the body a Lambda response may carry, as
// it stands in the event (binary bodies are base64, 4/3 larger): Lambda
// refuses responses over 6 MB (6,291,456 bytes with headers and JSON),
// and the margin covers headers and JSON escaping.
const DefaultMaxResponseBytes = 5 << 20

// DefaultLFSThreshold is the size from which the API function sends files
// to LFS (presigned S3 uploads) instead of inline in a commit: Lambda
// refuses requests over 6 MB and the commit carries inline files base64
// (4/3 larger) in NDJSON, so the hub's own 10 MiB rule would let clients
// send commits Lambda cannot take.
const DefaultLFSThreshold = 1 << 20

// Config is what the API function reads from its environment.
type Config struct {
	// PublicURL is the hub's public base URL (QUARRY_PUBLIC_URL); empty:
	// derived from each request's Host and X-Forwarded-Proto. Training
	// tasks need it to reach the hub.
	PublicURL string
	// MaxResponseBytes (QUARRY_MAX_RESPONSE_BYTES) bounds response bodies;
	// a larger GET answer is parked in the bucket and redirected to.
	MaxResponseBytes int
	// Stream (QUARRY_RESPONSE_STREAM=true) says that the function's URL has
	// InvokeMode RESPONSE_STREAM (template.yaml): Function URL events are
	// then answered with streaming responses, which carry SSE events as
	// they are written and are not bound by the 6 MB limit. API Gateway
	// events are answered buffered either way.
	Stream bool
	// LFSThreshold (QUARRY_LFS_THRESHOLD, bytes; default
	// DefaultLFSThreshold) is the size from which preupload sends files to
	// LFS (hub.Service.LFSThreshold), so that commits stay under Lambda's
	// 6 MB request limit.
	LFSThreshold int64
	// ORTLib is the ONNX Runtime library of the demo (QUARRY_ORT_LIB;
	// default /opt/lib/libonnxruntime.so.1, a layer's place); only builds
	// with cgo have the demo.
	ORTLib string
	// Getenv reads the stores' variables (functions/internal/awsstores:
	// QUARRY_S3_BUCKET, QUARRY_DYNAMODB_TABLE, AWS_REGION, AWS_ENDPOINT_URL)
	// and the runners' (functions/internal/runners).
	Getenv func(string) string
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{PublicURL: getenv("QUARRY_PUBLIC_URL"),
		MaxResponseBytes: DefaultMaxResponseBytes, ORTLib: getenv("QUARRY_ORT_LIB"), Getenv: getenv}
	if v := getenv("QUARRY_MAX_RESPONSE_BYTES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1024 || n > 6<<20 {
			return Config{}, fmt.Errorf("QUARRY_MAX_RESPONSE_BYTES=%q: a byte count from 1024 to 6 MiB", v)
		}
		c.MaxResponseBytes = n
	}
	c.LFSThreshold = DefaultLFSThreshold
	if v := getenv("QUARRY_LFS_THRESHOLD"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > hub.LFSSizeThreshold {
			return Config{}, fmt.Errorf("QUARRY_LFS_THRESHOLD=%q: a byte count from 1 to %d", v, hub.LFSSizeThreshold)
		}
		c.LFSThreshold = n
	}
	if v := getenv("QUARRY_RESPONSE_STREAM"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("QUARRY_RESPONSE_STREAM=%q: true or false", v)
		}
		c.Stream = b
	}
	if c.ORTLib == "" {
		c.ORTLib = "/opt/lib/libonnxruntime.so.1"
	}
	return c, nil
}
