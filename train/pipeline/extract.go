package pipeline

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"quarry/ml/onnxrt"
)

// featureSet gives the features of the split's images per backbone dir.
type featureSet struct {
	keys  map[string]string // backbone dir -> cache key
	cache *FeatureCache
}

// rows returns the feature rows of items for a backbone dir.
func (f featureSet) rows(dir string, items []Item) ([][]float32, error) {
	out := make([][]float32, len(items))
	for i, it := range items {
		row, ok := f.cache.Get(f.keys[dir], it.Hash)
		if !ok {
			return nil, fmt.Errorf("features: no features for %s", it.Path)
		}
		out[i] = row
	}
	return out, nil
}

// features extracts, once per backbone and distinct image, the features the
// candidates need, reporting progress with an ETA after every batch.
func (r *run) features(ctx context.Context) (featureSet, error) {
	_, done := r.phase(PhaseFeatures)
	defer done()
	fs := featureSet{keys: map[string]string{}, cache: r.opts.Cache}
	if fs.cache == nil {
		fs.cache = NewFeatureCache()
	}
	var dirs []string
	for _, c := range r.opts.Candidates {
		if _, ok := fs.keys[c.BackboneDir]; !ok {
			fs.keys[c.BackboneDir] = ""
			dirs = append(dirs, c.BackboneDir)
		}
	}
	backbones := make([]*backbone, 0, len(dirs))
	defer func() {
		for _, b := range backbones {
			b.close()
		}
	}()
	todo := map[string][]Item{}
	total := 0
	for _, dir := range dirs {
		b, err := loadBackbone(r.opts.Runtime, dir)
		if err != nil {
			return fs, err
		}
		backbones = append(backbones, b)
		fs.keys[dir] = b.key
		todo[dir] = r.missing(fs.cache, b.key)
		total += len(todo[dir])
	}
	t0 := r.opts.Now()
	r.emit(Event{Phase: PhaseFeatures, Total: total})
	finished := 0
	for i, dir := range dirs {
		b, items := backbones[i], todo[dir]
		files := make([]string, len(items))
		for j, it := range items {
			files[j] = it.file
		}
		err := b.extract(ctx, files, r.opts.BatchSize, r.opts.Threads, func(first int, rows [][]float32) {
			for j, row := range rows {
				fs.cache.put(b.key, items[first+j].Hash, row)
			}
			finished += len(rows)
			el := r.opts.Now().Sub(t0)
			r.emit(Event{Phase: PhaseFeatures, Done: finished, Total: total, Elapsed: el, ETA: eta(el, finished, total)})
		})
		if err != nil {
			return fs, err
		}
	}
	return fs, nil
}

// missing returns one item per distinct image of the split whose features
// are not cached for the backbone key.
func (r *run) missing(cache *FeatureCache, key string) []Item {
	var out []Item
	seen := map[string]bool{}
	for _, list := range [][]Item{r.res.Train, r.res.Validation} {
		for _, it := range list {
			if seen[it.Hash] {
				continue
			}
			seen[it.Hash] = true
			if _, ok := cache.Get(key, it.Hash); !ok {
				out = append(out, it)
			}
		}
	}
	return out
}

// Throughput compares feature extraction through the pipeline with raw
// ONNX Runtime batches on the same images.
type Throughput struct {
	Images int
	// Pipeline is images/s of the pipeline's extraction (read, decode,
	// preprocess on the decoding workers, overlapped with ONNX Runtime).
	Pipeline float64
	// Raw is images/s of session runs alone on already preprocessed
	// batches of the same size.
	Raw float64
	// Ratio is Pipeline / Raw.
	Ratio float64
	// RawCPU and PipelineCPU are the process CPU time (user + system, all
	// threads) per image of the best round of each; unlike the rates they
	// hardly depend on other load on the machine.
	RawCPU, PipelineCPU time.Duration
}

// throughputRounds is the number of alternating measurements of each kind.
const throughputRounds = 3

// FeaturesThroughput measures, on the same image files and backbone,
// feature extraction through the pipeline (no cache) and raw ONNX Runtime
// batch throughput on tensors preprocessed beforehand (batchSize and
// threads as in Options; 0 takes the defaults). Both are measured
// three times, alternately, and the best of each is kept.
func FeaturesThroughput(ctx context.Context, rt *onnxrt.Runtime, backboneDir string, files []string,
	batchSize, threads int) (Throughput, error) {
	if len(files) == 0 {
		return Throughput{}, fmt.Errorf("pipeline: throughput: no images")
	}
	o, err := Options{Dataset: "-", Runtime: rt, Candidates: []CandidateSpec{{Head: "logreg", BackboneDir: backboneDir}},
		BatchSize: batchSize, Threads: threads}.withDefaults()
	if err != nil {
		return Throughput{}, fmt.Errorf("pipeline: throughput: %w", err)
	}
	b, err := loadBackbone(rt, backboneDir)
	if err != nil {
		return Throughput{}, fmt.Errorf("pipeline: throughput: %w", err)
	}
	defer b.close()
	var batches []batchTensor
	for i := 0; i < len(files); i += o.BatchSize {
		t := b.prepare(ctx, files[i:min(i+o.BatchSize, len(files))], o.Threads)
		if t.err != nil {
			return Throughput{}, fmt.Errorf("pipeline: throughput: %w", t.err)
		}
		batches = append(batches, t)
	}
	// Warm up once so neither measurement pays for ORT's first run, then
	// alternate the two measurements and keep the best of each (the
	// machine may be shared).
	if _, _, err := b.session.Run(batches[0].x, batches[0].shape); err != nil {
		return Throughput{}, fmt.Errorf("pipeline: throughput: %w", err)
	}
	var raw, piped measure
	for range throughputRounds {
		m := start()
		for _, t := range batches {
			if _, _, err := b.session.Run(t.x, t.shape); err != nil {
				return Throughput{}, fmt.Errorf("pipeline: throughput: %w", err)
			}
		}
		raw = raw.best(m.stop())
		m = start()
		if err := b.extract(ctx, files, o.BatchSize, o.Threads, func(int, [][]float32) {}); err != nil {
			return Throughput{}, fmt.Errorf("pipeline: throughput: %w", err)
		}
		piped = piped.best(m.stop())
	}
	n := float64(len(files))
	tp := Throughput{Images: len(files), Pipeline: n / piped.wall.Seconds(), Raw: n / raw.wall.Seconds(),
		RawCPU: raw.cpu / time.Duration(len(files)), PipelineCPU: piped.cpu / time.Duration(len(files))}
	tp.Ratio = tp.Pipeline / tp.Raw
	return tp, nil
}

// measure is the wall and process CPU time of a measurement.
type measure struct {
	wall, cpu time.Duration
	t0        time.Time
	c0        time.Duration
}

func start() measure { return measure{t0: time.Now(), c0: processCPU()} }

func (m measure) stop() measure {
	return measure{wall: time.Since(m.t0), cpu: processCPU() - m.c0}
}

// best keeps the faster of two measurements (the zero measure is slowest).
func (m measure) best(o measure) measure {
	if m.wall == 0 || o.wall < m.wall {
		return o
	}
	return m
}

// processCPU is the process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
