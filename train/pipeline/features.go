package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"quarry/ml/imageproc"
	"quarry/ml/modelrepo"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
)

// FeatureCache keeps backbone features by backbone (the hash of its ONNX
// file) and image content hash, so candidates and runs on the same backbone
// and images extract them once. It is safe for concurrent use.
type FeatureCache struct {
	mu sync.Mutex
	m  map[string][]float32
}

// NewFeatureCache returns an empty cache.
func NewFeatureCache() *FeatureCache { return &FeatureCache{m: map[string][]float32{}} }

// Get returns the features of an image (by content hash) for a backbone key.
func (c *FeatureCache) Get(backboneKey, imageHash string) ([]float32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.m[backboneKey+"/"+imageHash]
	return f, ok
}

// Len returns the number of cached feature vectors.
func (c *FeatureCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func (c *FeatureCache) put(backboneKey, imageHash string, f []float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[backboneKey+"/"+imageHash] = f
}

// backbone is a loaded feature extractor.
type backbone struct {
	// key is the hex SHA-256 of onnx/model.onnx.
	key     string
	feature string
	pre     *imageproc.Config
	session *onnxrt.Session
}

// BackboneKey returns the cache key of a backbone directory: the hex
// SHA-256 of its onnx/model.onnx.
func BackboneKey(dir string) (string, error) {
	model, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(modelrepo.ModelFile)))
	if err != nil {
		return "", fmt.Errorf("backbone: %w", err)
	}
	sum := sha256.Sum256(model)
	return hex.EncodeToString(sum[:]), nil
}

// loadBackbone reads a backbone directory and opens a session from
// `pixel_values` to its feature output (config.json quarry.feature_output,
// default "features").
func loadBackbone(rt *onnxrt.Runtime, dir string) (*backbone, error) {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("backbone: %w", err)
		}
		return b, nil
	}
	cfgData, err := read(modelrepo.ConfigFile)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Quarry struct {
			FeatureOutput string `json:"feature_output"`
		} `json:"quarry"`
	}
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		return nil, fmt.Errorf("backbone: %s: %w", modelrepo.ConfigFile, err)
	}
	b := &backbone{feature: cfg.Quarry.FeatureOutput}
	if b.feature == "" {
		b.feature = modelrepo.DefaultFeatureOutput
	}
	preData, err := read(modelrepo.PreprocessorFile)
	if err != nil {
		return nil, err
	}
	if b.pre, err = imageproc.ParseConfig(preData); err != nil {
		return nil, fmt.Errorf("backbone: %w", err)
	}
	model, err := read(modelrepo.ModelFile)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(model)
	b.key = hex.EncodeToString(sum[:])
	if b.session, err = rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{b.feature}); err != nil {
		return nil, fmt.Errorf("backbone %s: %w", dir, err)
	}
	return b, nil
}

func (b *backbone) close() { b.session.Close() }

// batchTensor is a preprocessed batch.
type batchTensor struct {
	x     []float32
	shape []int64
	err   error
}

// prepare reads, decodes and preprocesses image files into one NCHW
// tensor, on up to threads goroutines.
func (b *backbone) prepare(ctx context.Context, files []string, threads int) batchTensor {
	parts := make([][]float32, len(files))
	dims := make([][2]int, len(files))
	errs := make([]error, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(threads, len(files)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(files) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				parts[i], dims[i][0], dims[i][1], errs[i] = b.preprocess(files[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return batchTensor{err: err}
	}
	per := 0
	for i, err := range errs {
		if err != nil {
			return batchTensor{err: err}
		}
		if dims[i] != dims[0] {
			return batchTensor{err: fmt.Errorf("image %s preprocesses to %v, %s to %v", files[i], dims[i], files[0], dims[0])}
		}
		per = len(parts[i])
	}
	x := make([]float32, 0, per*len(files))
	for _, p := range parts {
		x = append(x, p...)
	}
	return batchTensor{x: x, shape: []int64{int64(len(files)), 3, int64(dims[0][0]), int64(dims[0][1])}}
}

// preprocess turns one image file into a CHW tensor.
func (b *backbone) preprocess(file string) ([]float32, int, int, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("features: %w", err)
	}
	d, err := imageproc.Decode(data, 0)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("features: %s: %w", file, err)
	}
	t, h, w, err := b.pre.Preprocess(d.Image)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("features: %s: %w", file, err)
	}
	return t, h, w, nil
}

// extract computes the features of files in batches of batchSize, decoding
// the next batch while ONNX Runtime runs the current one; after each batch
// it calls done with the batch's first index and its feature rows. It stops
// with ctx's error between batches.
func (b *backbone) extract(ctx context.Context, files []string, batchSize, threads int,
	done func(first int, rows [][]float32)) error {
	if len(files) == 0 {
		return nil
	}
	batch := func(i int) []string { return files[i:min(i+batchSize, len(files))] }
	ahead := func(i int) <-chan batchTensor {
		ch := make(chan batchTensor, 1)
		go func() { ch <- b.prepare(ctx, batch(i), threads) }()
		return ch
	}
	next := ahead(0)
	for i := 0; i < len(files); i += batchSize {
		t := <-next
		if i+batchSize < len(files) {
			next = ahead(i + batchSize)
		}
		if t.err != nil {
			drain(next, i+batchSize < len(files))
			return t.err
		}
		if err := ctx.Err(); err != nil {
			drain(next, i+batchSize < len(files))
			return err
		}
		out, shape, err := b.session.Run(t.x, t.shape)
		if err != nil {
			drain(next, i+batchSize < len(files))
			return fmt.Errorf("features: %w", err)
		}
		done(i, splitRows(out, int(shape[0])))
	}
	return nil
}

// drain waits for a pending prepare goroutine so none outlives extract.
func drain(ch <-chan batchTensor, pending bool) {
	if pending {
		<-ch
	}
}

// splitRows cuts a [n, d] output into n rows (copies, so the cache does
// not pin the whole batch).
func splitRows(out []float32, n int) [][]float32 {
	d := len(out) / n
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = append([]float32(nil), out[i*d:(i+1)*d]...)
	}
	return rows
}
