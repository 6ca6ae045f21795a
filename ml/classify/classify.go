// Package classify runs published image-classification models (config.json,
// preprocessor_config.json, onnx/model.onnx with `pixel_values` in and raw
// `logits` out) with ONNX Runtime: it caches one session per model key within
// a memory bound, bounds concurrent inference, batches images into one run,
// and turns logits into softmax confidences the way transformers.js does. Scan
// slides the model's window over a large image and draws a heat map.
package classify

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sort"
	"sync"

	"quarry/ml/imageproc"
	"quarry/ml/onnxrt"
)

// Files of the published-model layout that a ModelFiles loader is asked for.
const (
	ConfigFile       = "config.json"
	PreprocessorFile = "preprocessor_config.json"
	ModelFile        = "onnx/model.onnx"
)

// ErrTooSmall is returned (wrapped) for images with a side under
// Options.MinSide pixels: technically valid, but nothing to classify.
var ErrTooSmall = errors.New("image is too small")

// ErrBadOption is returned (wrapped) for unusable scan options, such as an
// unknown label.
var ErrBadOption = errors.New("invalid scan option")

// ErrBadModel is returned (wrapped) when the model files cannot be used.
var ErrBadModel = errors.New("model cannot be used for image classification")

// ModelFiles returns the bytes of one file of a model (one of ConfigFile,
// PreprocessorFile, ModelFile). It is called only when the model is not
// cached.
type ModelFiles func(ctx context.Context, name string) ([]byte, error)

// LabelScore is one class and its softmax confidence.
type LabelScore struct {
	Label string  `json:"label"`
	Score float64 `json:"confidence"`
}

// Prediction is the result for one image: the top label and every class's
// confidence, sorted by descending score (ties by logit order), summing to 1.
type Prediction struct {
	Label       string       `json:"label"`
	Confidences []LabelScore `json:"confidences"`
}

// Options bounds a Classifier. Zero values take the defaults in brackets.
type Options struct {
	// MaxModelBytes bounds the summed ONNX size of cached models [512 MiB].
	// One model larger than the bound is still loaded, alone.
	MaxModelBytes int64
	// MaxConcurrent bounds simultaneous ONNX Runtime runs [1]. Each run
	// uses the Runtime's intra-op threads, so more than cores / threads
	// oversubscribes the CPU; requests that wait share the next run.
	MaxConcurrent int
	// MaxBatch is the most images fed to one run, also when requests are
	// coalesced [16].
	MaxBatch int
	// MaxPixels refuses larger images in Classify [imageproc.DefaultMaxPixels].
	MaxPixels int64
	// ScanMaxPixels refuses larger images in Scan [100,000,000].
	ScanMaxPixels int64
	// MinSide refuses images with a smaller width or height [8].
	MinSide int
	// MaxWindows bounds the windows of one Scan; the stride grows to fit [4096].
	MaxWindows int
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def64(&o.MaxModelBytes, 512<<20)
	def(&o.MaxConcurrent, 1)
	def(&o.MaxBatch, 16)
	def64(&o.MaxPixels, imageproc.DefaultMaxPixels)
	def64(&o.ScanMaxPixels, 100_000_000)
	def(&o.MinSide, 8)
	def(&o.MaxWindows, 4096)
	return o
}

// Classifier classifies images with cached ONNX Runtime sessions. It is safe
// for concurrent use.
type Classifier struct {
	rt   *onnxrt.Runtime
	opts Options
	sem  chan struct{}

	mu    sync.Mutex
	cache cache
	stats Stats

	// tensors recycles input tensors (600 KB for a 224 px image): fewer
	// garbage collections competing with inference for the cores.
	tensors sync.Pool
}

// Stats describes the cache and the inference load.
type Stats struct {
	Models      int   // models cached
	Bytes       int64 // their summed ONNX size
	Loads       int   // models loaded since New
	Evictions   int   // models evicted since New
	Running     int   // runs in progress
	PeakRunning int   // most simultaneous runs seen
	Runs        int   // session runs since New
	Coalesced   int   // requests that shared a run with others
}

// New returns a Classifier creating sessions with rt.
func New(rt *onnxrt.Runtime, opts Options) *Classifier {
	opts = opts.withDefaults()
	c := &Classifier{rt: rt, opts: opts, sem: make(chan struct{}, opts.MaxConcurrent), cache: newCache()}
	c.tensors.New = func() any { return new([]float32) }
	return c
}

// Stats returns a snapshot of the cache and load counters.
func (c *Classifier) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Models, s.Bytes = len(c.cache.entries), c.cache.bytes
	return s
}

// Info returns the labels, input size and scan defaults of the model key,
// loading it if needed.
func (c *Classifier) Info(ctx context.Context, key string, files ModelFiles) (Info, error) {
	e, err := c.acquire(ctx, key, files)
	if err != nil {
		return Info{}, err
	}
	defer c.release(e)
	return e.model.info, nil
}

// Classify decodes images (refusing ones over Options.MaxPixels or under
// Options.MinSide), runs them through the model key in batches of
// Options.MaxBatch and returns one Prediction per image. An image error is
// wrapped with its index and one of imageproc.ErrUnknownFormat, ErrCorrupt,
// ErrTooManyPixels or ErrTooSmall.
func (c *Classifier) Classify(ctx context.Context, key string, files ModelFiles, images [][]byte) ([]Prediction, error) {
	if len(images) == 0 {
		return nil, fmt.Errorf("classify: no images")
	}
	decoded := make([]image.Image, len(images))
	for i, data := range images {
		img, err := c.decode(data, c.opts.MaxPixels)
		if err != nil {
			return nil, fmt.Errorf("classify: image %d: %w", i, err)
		}
		decoded[i] = img
	}
	e, err := c.acquire(ctx, key, files)
	if err != nil {
		return nil, err
	}
	defer c.release(e)
	probs, err := c.infer(ctx, e.model, decoded)
	if err != nil {
		return nil, err
	}
	out := make([]Prediction, len(probs))
	for i, p := range probs {
		out[i] = predict(e.model.info.Labels, p)
	}
	return out, nil
}

// decode decodes one image within the pixel limit and the minimum side.
func (c *Classifier) decode(data []byte, maxPixels int64) (image.Image, error) {
	d, err := imageproc.Decode(data, maxPixels)
	if err != nil {
		return nil, err
	}
	b := d.Image.Bounds()
	if b.Dx() < c.opts.MinSide || b.Dy() < c.opts.MinSide {
		return nil, fmt.Errorf("%w: %dx%d, need at least %dx%d pixels", ErrTooSmall, b.Dx(), b.Dy(),
			c.opts.MinSide, c.opts.MinSide)
	}
	return d.Image, nil
}

// infer preprocesses and runs imgs in batches, returning softmax rows.
func (c *Classifier) infer(ctx context.Context, m *model, imgs []image.Image) ([][]float64, error) {
	out := make([][]float64, 0, len(imgs))
	for start := 0; start < len(imgs); start += c.opts.MaxBatch {
		end := min(start+c.opts.MaxBatch, len(imgs))
		buf := c.tensors.Get().(*[]float32)
		input, shape, err := m.pre.BatchInto(*buf, imgs[start:end])
		if err != nil {
			c.tensors.Put(buf)
			return nil, fmt.Errorf("classify: %w", err)
		}
		logits, err := c.run(ctx, m, input, shape)
		*buf = input[:0] // run is over: the session no longer reads input
		c.tensors.Put(buf)
		if err != nil {
			return nil, err
		}
		k := len(m.info.Labels)
		if len(logits) != (end-start)*k {
			return nil, fmt.Errorf("classify: %w: %d logits for %d images of %d labels", ErrBadModel,
				len(logits), end-start, k)
		}
		for i := 0; i < end-start; i++ {
			out = append(out, Softmax(logits[i*k:(i+1)*k]))
		}
	}
	return out, nil
}

// Softmax returns the softmax of logits, computed stably in float64.
func Softmax(logits []float32) []float64 {
	hi := math.Inf(-1)
	for _, v := range logits {
		hi = math.Max(hi, float64(v))
	}
	out := make([]float64, len(logits))
	sum := 0.0
	for i, v := range logits {
		out[i] = math.Exp(float64(v) - hi)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// predict pairs probabilities with labels, sorted by descending score.
func predict(labels []string, probs []float64) Prediction {
	conf := make([]LabelScore, len(probs))
	for i, p := range probs {
		conf[i] = LabelScore{Label: labels[i], Score: p}
	}
	sort.SliceStable(conf, func(i, j int) bool { return conf[i].Score > conf[j].Score })
	return Prediction{Label: conf[0].Label, Confidences: conf}
}

// Close releases every cached session. The Classifier must not be used
// afterwards; the Runtime stays open.
func (c *Classifier) Close() error {
	c.mu.Lock()
	victims := c.cache.clear()
	c.mu.Unlock()
	var errs []error
	for _, e := range victims {
		if err := e.model.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
