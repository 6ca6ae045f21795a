// Package infra chooses and opens the storage backends named by
// configuration. It is the one place that knows every adapter; the rest of
// Quarry sees only the hub interfaces.
package infra

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"quarry/hub"
	"quarry/infra/dynamo"
	"quarry/infra/localfs"
	"quarry/infra/s3"
	"quarry/infra/sqlite"
)

// Backend names.
const (
	BackendLocal = "local" // filesystem blobs + SQLite metadata under DataDir
	BackendAWS   = "aws"   // S3 bucket + DynamoDB table
)

// Config selects the storage backends.
type Config struct {
	// Backend is BackendLocal or BackendAWS.
	Backend string
	// DataDir holds the local backend's files: blobs/, hub.db and secret.
	DataDir string

	// The AWS backend's bucket (QUARRY_S3_BUCKET) and table
	// (QUARRY_DYNAMODB_TABLE), both required; AWSRegion (AWS_REGION) and
	// AWSEndpoint (AWS_ENDPOINT_URL: a local emulator such as moto_server)
	// are optional. Credentials come from the SDK's default chain
	// (AWS_ACCESS_KEY_ID..., the Lambda role).
	S3Bucket      string
	DynamoDBTable string
	AWSRegion     string
	AWSEndpoint   string
}

// DefaultConfig returns the local backend with data in ./data.
func DefaultConfig() Config {
	return Config{Backend: BackendLocal, DataDir: "data"}
}

// ConfigFromEnv returns DefaultConfig overridden by QUARRY_BACKEND and
// QUARRY_DATA as read through getenv (os.Getenv in production).
func ConfigFromEnv(getenv func(string) string) Config {
	c := DefaultConfig()
	if v := getenv("QUARRY_BACKEND"); v != "" {
		c.Backend = v
	}
	if v := getenv("QUARRY_DATA"); v != "" {
		c.DataDir = v
	}
	c.S3Bucket, c.DynamoDBTable = getenv("QUARRY_S3_BUCKET"), getenv("QUARRY_DYNAMODB_TABLE")
	c.AWSRegion, c.AWSEndpoint = getenv("AWS_REGION"), getenv("AWS_ENDPOINT_URL")
	return c
}

// Validate reports the first invalid field, by name.
func (c Config) Validate() error {
	switch c.Backend {
	case BackendLocal:
		if strings.TrimSpace(c.DataDir) == "" {
			return errors.New("config: DataDir (QUARRY_DATA, --data) is required for the local backend")
		}
		return nil
	case BackendAWS:
		if strings.TrimSpace(c.S3Bucket) == "" {
			return errors.New("config: Backend (QUARRY_BACKEND) \"aws\" needs S3Bucket (QUARRY_S3_BUCKET)")
		}
		if strings.TrimSpace(c.DynamoDBTable) == "" {
			return errors.New("config: Backend (QUARRY_BACKEND) \"aws\" needs DynamoDBTable (QUARRY_DYNAMODB_TABLE)")
		}
		return nil
	}
	return fmt.Errorf("config: invalid Backend (QUARRY_BACKEND) %q: must be %q or %q", c.Backend, BackendLocal, BackendAWS)
}

// Open opens the backends cfg names. Closing the returned closer releases
// them. The local backend keeps blobs in <DataDir>/blobs and metadata in
// <DataDir>/hub.db, creating both on first use. The AWS backend uses the
// bucket and table of cfg, which InitAWS (or template.yaml) creates.
func Open(cfg Config) (hub.BlobStore, hub.MetaStore, io.Closer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, nil, err
	}
	switch cfg.Backend {
	case BackendLocal:
		return openLocal(cfg.DataDir)
	case BackendAWS:
		blobs, meta, err := openAWS(context.Background(), cfg)
		if err != nil {
			return nil, nil, nil, err
		}
		return blobs, meta, closerFunc(func() error { return nil }), nil
	}
	return nil, nil, nil, fmt.Errorf("open backend %q: not supported", cfg.Backend)
}

// openAWS returns the S3 and DynamoDB stores of cfg (no request is made).
func openAWS(ctx context.Context, cfg Config) (*s3.BlobStore, *dynamo.MetaStore, error) {
	blobs, err := s3.Open(ctx, s3.Config{Bucket: cfg.S3Bucket, Region: cfg.AWSRegion, Endpoint: cfg.AWSEndpoint})
	if err != nil {
		return nil, nil, fmt.Errorf("open blob store: %w", err)
	}
	meta, err := dynamo.Open(ctx, dynamo.Config{Table: cfg.DynamoDBTable, Region: cfg.AWSRegion, Endpoint: cfg.AWSEndpoint})
	if err != nil {
		return nil, nil, fmt.Errorf("open metadata store: %w", err)
	}
	return blobs, meta, nil
}

// InitAWS creates the AWS backend's bucket and table when missing and
// brings their settings up to date (CORS and the lifecycle rule aborting
// incomplete multipart uploads; on-demand capacity, the indexes and the
// TTL attribute); existing content is kept. It is `quarry aws init`, for a
// local emulator (AWSEndpoint) or an account set up without template.yaml.
func InitAWS(ctx context.Context, cfg Config) error {
	if cfg.Backend != BackendAWS {
		return fmt.Errorf("aws init: Backend (QUARRY_BACKEND) is %q, not %q", cfg.Backend, BackendAWS)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	blobs, meta, err := openAWS(ctx, cfg)
	if err != nil {
		return err
	}
	if err := blobs.CreateBucket(ctx); err != nil {
		return fmt.Errorf("aws init: %w", err)
	}
	if err := meta.CreateTable(ctx); err != nil {
		return fmt.Errorf("aws init: %w", err)
	}
	return nil
}

func openLocal(dir string) (hub.BlobStore, hub.MetaStore, io.Closer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, nil, fmt.Errorf("open data dir: %w", err)
	}
	blobs, err := localfs.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open blob store: %w", err)
	}
	db, err := sqlite.Open(filepath.Join(dir, "hub.db"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open metadata store: %w", err)
	}
	return blobs, db, closerFunc(db.Close), nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// secretLen is the size of a generated signing secret in bytes.
const secretLen = 32

// LoadSecret returns the secret that signs upload and download URLs. The
// local backend keeps it hex-encoded in <DataDir>/secret, created with mode
// 0600 on first use, so signed URLs survive restarts. The AWS backend keeps
// it in the table, so that every function instance shares it.
func LoadSecret(cfg Config) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Backend == BackendAWS {
		_, meta, err := openAWS(context.Background(), cfg)
		if err != nil {
			return nil, err
		}
		s, err := meta.Secret(context.Background(), secretLen)
		if err != nil {
			return nil, fmt.Errorf("load secret: %w", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("load secret: %w", err)
	}
	path := filepath.Join(cfg.DataDir, "secret")
	for range 2 {
		if b, err := os.ReadFile(path); err == nil {
			return decodeSecret(path, b)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("load secret: %w", err)
		}
		err := createSecret(path)
		if err == nil || errors.Is(err, fs.ErrExist) {
			continue // created by us or by a concurrent process: read it
		}
		return nil, fmt.Errorf("create secret: %w", err)
	}
	return nil, fmt.Errorf("load secret: %s keeps disappearing", path)
}

func decodeSecret(path string, b []byte) ([]byte, error) {
	s, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(s) < secretLen {
		return nil, fmt.Errorf("load secret: %s must hold at least %d hex-encoded bytes", path, secretLen)
	}
	return s, nil
}

// createSecret writes a new random secret to path, atomically and only if
// path does not exist (fs.ErrExist otherwise).
func createSecret(path string) error {
	b := make([]byte, secretLen)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(hex.EncodeToString(b) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link fails with ErrExist when another process won the race.
	return os.Link(tmp.Name(), path)
}
