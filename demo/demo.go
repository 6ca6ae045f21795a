// Package demo serves a try-it-out page for every image-classification model
// at /NS/NAME/demo/, and at the same root the subset of the Gradio HTTP
// protocol that @gradio/client and gradio_client use (config, info, upload,
// queue/join + queue/data with sse_v3, run/predict, call/predict, heartbeat,
// file=). It reaches the hub only through ModelSource and inference only
// through Classifier, both declared here; it never imports infra.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/ml/classify"
)

// Errors a ModelSource returns (wrapped); the demo maps them to HTTP.
var (
	// ErrNotFound: no such model, revision or file, or the caller may not
	// see the model (private repos answer as if they did not exist).
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the caller is known but may not use the model.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthorized: an anonymous caller asked for a model it may not see
	// (a private one, or none at all); answered 401 so clients send a token.
	ErrUnauthorized = errors.New("unauthorized")
)

// ModelRef names a model and optionally a revision ("" = default branch).
type ModelRef struct {
	Namespace, Name, Revision string
}

// String returns "ns/name" or "ns/name@rev".
func (r ModelRef) String() string {
	if r.Revision == "" {
		return r.Namespace + "/" + r.Name
	}
	return r.Namespace + "/" + r.Name + "@" + r.Revision
}

// Example is an example image of a model: a file of its repo.
type Example struct {
	Path  string // repo path, such as "examples/mine.jpg"
	Title string // optional caption (card widget example_title)
}

// ModelInfo describes a resolved model at one commit.
type ModelInfo struct {
	ID          string // "ns/name"
	Revision    string // the resolved commit (40 hex), pins every file read
	Private     bool
	PipelineTag string // the demo serves only "image-classification"
	// Labels in logit order; when empty the demo reads config.json id2label.
	Labels []string
	// Examples from the card's widget entries (repo paths); the demo adds
	// the image files under examples/.
	Examples []Example
	// FlagDataset is the dataset repo named by the card's demo.flag_dataset
	// ("" disables flagging).
	FlagDataset string
}

// ModelSource resolves models and reads their files for one caller. The
// caller value is what Config.Caller returned for the request (nil for
// anonymous); the demo passes it through untouched.
type ModelSource interface {
	// Resolve returns the model at ref's revision. Errors: ErrNotFound
	// (also for models the caller may not see), ErrUnauthorized (the same
	// for anonymous callers), ErrForbidden.
	Resolve(ctx context.Context, caller any, ref ModelRef) (*ModelInfo, error)
	// File returns the bytes of path at info.Revision. Errors: ErrNotFound.
	File(ctx context.Context, caller any, info *ModelInfo, path string) ([]byte, error)
	// List returns the paths of the files under dir (recursively) at
	// info.Revision; an absent dir gives an empty list, not an error.
	List(ctx context.Context, caller any, info *ModelInfo, dir string) ([]string, error)
}

// SpaceSource is implemented by a ModelSource that also serves space repos:
// a space whose README names `models: [NS/NAME]` gets the same demo at
// /spaces/NS/SPACE/, pinned to the revision it names. Errors: ErrNotFound.
type SpaceSource interface {
	ResolveSpace(ctx context.Context, caller any, namespace, name string) (ModelRef, error)
}

// Classifier runs models (implemented by *classify.Classifier). key
// identifies one model at one commit; files loads its files on a cache miss.
type Classifier interface {
	Classify(ctx context.Context, key string, files classify.ModelFiles, images [][]byte) ([]classify.Prediction, error)
	Scan(ctx context.Context, key string, files classify.ModelFiles, image []byte, opts classify.ScanOptions) (*classify.ScanResult, error)
}

// Flag is one flagged example.
type Flag struct {
	Model      *ModelInfo
	Dataset    string // Model.FlagDataset
	Image      []byte
	Filename   string // sanitized original name
	Prediction *classify.Prediction
	Label      string // the reader's label, one of the model's labels
	Time       time.Time
}

// Flagger stores flagged examples, typically as a commit of the image and a
// JSON line in the dataset repo. Errors: ErrNotFound, ErrForbidden.
type Flagger interface {
	Flag(ctx context.Context, caller any, f Flag) error
}

// RateLimit is a per-client-address token bucket for inference requests.
type RateLimit struct {
	PerSecond float64 // refill rate [2]; negative disables limiting
	Burst     int     // bucket size [20]
}

// Config configures the demo. Zero values take the defaults in brackets.
type Config struct {
	Source     ModelSource // required
	Classifier Classifier  // required
	Flagger    Flagger     // nil disables flagging
	// PublicURL is the server's public base URL ("https://hub.example",
	// with any stage path); "" derives it from each request.
	PublicURL string
	// MaxFileSize bounds one upload, advertised as config.max_file_size [10 MiB].
	// The Fiber app's BodyLimit must be larger (multipart overhead).
	MaxFileSize int64
	RateLimit   RateLimit
	// MaxConcurrent bounds predictions running at once [4]; MaxQueue bounds
	// those waiting [64] (then 503, "queue full").
	MaxConcurrent, MaxQueue int
	// UploadBytes bounds the memory held by uploads [256 MiB]; UploadTTL is
	// how long an upload stays usable [1h].
	UploadBytes int64
	UploadTTL   time.Duration
	// Caller identifies the request's caller for ModelSource and Flagger
	// (for example from c.Locals set by the hub's auth middleware) [nil].
	Caller func(c *fiber.Ctx) (any, error)
	// CSRF returns the header and token the page's scripts must send on
	// POST requests so that a session cookie authenticates them ("" = none).
	CSRF func(c *fiber.Ctx) (header, token string)
	// Unavailable, when set, is the message every demo route answers with
	// 503 after resolving the model (so that missing and private models
	// still answer 404/401): the inference runtime is not set up.
	// Classifier may then be nil.
	Unavailable string
	// Heartbeat is the SSE keep-alive interval [15s]; Linger is how long
	// queue/data stays open after a session's last event [1s].
	Heartbeat, Linger time.Duration
	Now               func() time.Time // [time.Now]
	Logf              func(format string, args ...any)
}

func (c Config) withDefaults() (Config, error) {
	if c.Source == nil || (c.Classifier == nil && c.Unavailable == "") {
		return c, fmt.Errorf("demo: config: Source and Classifier are required")
	}
	setInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.MaxFileSize <= 0 {
		c.MaxFileSize = 10 << 20
	}
	if c.UploadBytes <= 0 {
		c.UploadBytes = 256 << 20
	}
	if c.RateLimit.PerSecond == 0 {
		c.RateLimit.PerSecond = 2
	}
	setInt(&c.RateLimit.Burst, 20)
	setInt(&c.MaxConcurrent, 4)
	setInt(&c.MaxQueue, 64)
	setDur(&c.UploadTTL, time.Hour)
	setDur(&c.Heartbeat, 15*time.Second)
	setDur(&c.Linger, time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = log.Printf
	}
	if c.Caller == nil {
		c.Caller = func(*fiber.Ctx) (any, error) { return nil, nil }
	}
	if c.CSRF == nil {
		c.CSRF = func(*fiber.Ctx) (string, string) { return "", "" }
	}
	return c, nil
}

// Server holds the demo's state: uploads, queued events, rate limits.
type Server struct {
	cfg     Config
	uploads *uploads
	queue   *queue
	limiter *limiter
	done    chan struct{}
}

// New validates cfg and returns a Server; mount it with Register.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:     cfg,
		uploads: newUploads(cfg.UploadBytes, cfg.UploadTTL, cfg.Now),
		queue:   newQueue(cfg.MaxConcurrent, cfg.MaxQueue, cfg.Now),
		limiter: newLimiter(cfg.RateLimit, cfg.Now),
		done:    make(chan struct{}),
	}, nil
}

// Register creates a Server and mounts it on router (see Server.Register).
func Register(router fiber.Router, cfg Config) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	s.Register(router)
	return s, nil
}

// Close ends open event streams (heartbeats, queue/data) so the HTTP server
// can shut down. Queued predictions still finish.
func (s *Server) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}
