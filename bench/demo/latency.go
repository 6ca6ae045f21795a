package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"quarry/ml/imageproc"
	"quarry/ml/modelrepo"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
)

// stats are latency percentiles in milliseconds.
type stats struct {
	N             int
	P50, P99, Avg float64
}

func summarize(d []time.Duration) stats {
	s := slices.Clone(d)
	slices.Sort(s)
	ms := func(x time.Duration) float64 { return float64(x) / 1e6 }
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	pick := func(q float64) float64 { return ms(s[min(len(s)-1, int(q*float64(len(s))))]) }
	return stats{N: len(s), P50: pick(0.50), P99: pick(0.99), Avg: ms(sum) / float64(len(s))}
}

func (s stats) String() string {
	return fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, mean %.2f ms (n=%d)", s.P50, s.P99, s.Avg, s.N)
}

// rawSession is the published model opened directly with ONNX Runtime.
type rawSession struct {
	rt   *onnxrt.Runtime
	sess *onnxrt.Session
	pre  *imageproc.Config
}

// openRaw loads the model in dir (the files the server serves) with the
// same intra-op thread count as the server.
func openRaw(lib, dir string, threads int) (*rawSession, error) {
	read := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(name))) }
	preData, err := read(modelrepo.PreprocessorFile)
	if err != nil {
		return nil, err
	}
	pre, err := imageproc.ParseConfig(preData)
	if err != nil {
		return nil, err
	}
	model, err := read(modelrepo.ModelFile)
	if err != nil {
		return nil, err
	}
	rt, err := onnxrt.Open(lib, onnxrt.Options{IntraOpThreads: threads, NoSpinning: true}) // as the server
	if err != nil {
		return nil, err
	}
	sess, err := rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{"logits"})
	if err != nil {
		rt.Close()
		return nil, err
	}
	return &rawSession{rt: rt, sess: sess, pre: pre}, nil
}

func (r *rawSession) close() {
	r.sess.Close()
	r.rt.Close()
}

// tensor decodes and preprocesses one image as the server does.
func (r *rawSession) tensor(data []byte) ([]float32, []int64, error) {
	d, err := imageproc.Decode(data, 0)
	if err != nil {
		return nil, nil, err
	}
	t, h, w, err := r.pre.Preprocess(d.Image)
	if err != nil {
		return nil, nil, err
	}
	return t, []int64{1, 3, int64(h), int64(w)}, nil
}

// latencyResult compares run/predict with a bare Session.Run.
type latencyResult struct {
	Raw, RawIdle, RawPre, Predict, UploadPredict stats
	Config                                       stats // GET config: model resolution, no inference
	Block                                        int   // requests of one kind in a row
}

// idleGap is how long the CPU idles before the "after idle" raw run: about
// the gap between two sequential HTTP requests' runs in the server. On
// these machines a run after a short idle is slower than a run right after
// another (threads parked, caches and clocks cold), and every sequential
// HTTP request pays that; the figure shows how much of the overhead it is.
const idleGap = 2 * time.Millisecond

// measureLatency times ways of classifying one JPEG: Session.Run on the
// preprocessed tensor, back to back and after idleGap; decode + preprocess
// + Run; run/predict of the image
// uploaded once; upload + run/predict; and GET config (resolving the model
// per request, no inference). The ways take turns in blocks of `block`
// sequential calls, each block after `warm` untimed calls, so that
// background load hits them alike. Blocks rather than single calls: the
// bench's and the server's ONNX Runtime thread pools each busy-wait a
// moment after a run, and alternating call by call would make every run
// compete with the other pool's spinning threads.
func measureLatency(h *hub, root string, raw *rawSession, jpg []byte, n, warm, block int) (*latencyResult, error) {
	x, shape, err := raw.tensor(jpg)
	if err != nil {
		return nil, err
	}
	paths, err := h.upload(root, []string{"tile.jpg"}, [][]byte{jpg})
	if err != nil {
		return nil, err
	}
	ways := []func() error{
		func() error { _, _, err := raw.sess.Run(x, shape); return err },
		func() error { _, _, err := raw.sess.Run(x, shape); return err }, // timed after idleGap
		func() error {
			x, shape, err := raw.tensor(jpg)
			if err == nil {
				_, _, err = raw.sess.Run(x, shape)
			}
			return err
		},
		func() error { _, err := h.predict(root, paths[0]); return err },
		func() error {
			p, err := h.upload(root, []string{"tile.jpg"}, [][]byte{jpg})
			if err == nil {
				_, err = h.predict(root, p[0])
			}
			return err
		},
		func() error { _, err := h.do("GET", root+"/config", "", nil, false); return err },
	}
	times := make([][]time.Duration, len(ways))
	for len(times[0]) < n {
		for w, fn := range ways {
			for i := -warm; i < min(block, n-len(times[w])); i++ {
				if w == 1 {
					time.Sleep(idleGap)
				}
				start := time.Now()
				if err := fn(); err != nil {
					return nil, err
				}
				if i >= 0 {
					times[w] = append(times[w], time.Since(start))
				}
			}
		}
	}
	return &latencyResult{Raw: summarize(times[0]), RawIdle: summarize(times[1]), RawPre: summarize(times[2]),
		Predict: summarize(times[3]), UploadPredict: summarize(times[4]), Config: summarize(times[5]),
		Block: block}, nil
}
