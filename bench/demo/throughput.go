package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// throughputResult holds images/s of Quarry's HTTP API and transformers.js.
type throughputResult struct {
	Quarry        float64 // best of the rounds, images/s
	QuarryRounds  []float64
	TJS           tjsResult
	LabelMismatch int // images whose top label differs between the two
	Raw           rawCeiling
}

// rawCeiling is what ONNX Runtime alone does with the same images, already
// preprocessed, in this process: the ceiling of any wrapper around it.
type rawCeiling struct {
	Sequential float64 // images/s, one image per Session.Run
	Batched    float64 // images/s, batches of BatchSize
	BatchSize  int
}

// rawThroughput runs the preprocessed images through raw's session one at
// a time and in batches of 16, best of `rounds` each.
func rawThroughput(raw *rawSession, files []string, rounds int) (rawCeiling, error) {
	const batch = 16
	var tensors [][]float32
	var shape []int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return rawCeiling{}, err
		}
		x, s, err := raw.tensor(data)
		if err != nil {
			return rawCeiling{}, err
		}
		tensors, shape = append(tensors, x), s
	}
	best := func(size int) (float64, error) {
		top := 0.0
		for range rounds + 1 { // the first round warms up
			start := time.Now()
			for i := 0; i < len(tensors); i += size {
				part := tensors[i:min(i+size, len(tensors))]
				in := slices.Concat(part...)
				if _, _, err := raw.sess.Run(in, []int64{int64(len(part)), shape[1], shape[2], shape[3]}); err != nil {
					return 0, err
				}
			}
			top = max(top, float64(len(tensors))/time.Since(start).Seconds())
		}
		return top, nil
	}
	seq, err := best(1)
	if err != nil {
		return rawCeiling{}, err
	}
	batched, err := best(batch)
	return rawCeiling{Sequential: seq, Batched: batched, BatchSize: batch}, err
}

// tjsResult is what tjs.mjs prints.
type tjsResult struct {
	Version    string   `json:"version"`
	Threads    int      `json:"threads"`
	Sequential float64  `json:"sequential_ips"`
	Batched    float64  `json:"batched_ips"`
	BatchSize  int      `json:"batch_size"`
	Labels     []string `json:"labels"`
}

// quarryRound classifies every image through the HTTP API: one multipart
// upload of all images, then run/predict with `inflight` requests at once.
// It returns images/s and the top labels.
func quarryRound(h *hub, root string, names []string, data [][]byte, inflight int) (float64, []string, error) {
	start := time.Now()
	paths, err := h.upload(root, names, data)
	if err != nil {
		return 0, nil, err
	}
	labels := make([]string, len(paths))
	errs := make([]error, inflight)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p, err := h.predict(root, paths[i])
				if err != nil {
					errs[w] = err
					continue
				}
				labels[i] = p.Label
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, nil, err
		}
	}
	return float64(len(paths)) / time.Since(start).Seconds(), labels, nil
}

// measureThroughput runs one warm-up and `rounds` timed Quarry rounds,
// half of them before tjs.mjs (same image files) and half after, so that
// a change in background load shows in the rounds.
func measureThroughput(h *hub, cfg *config, root, model string, files []string, rounds int) (*throughputResult, error) {
	names := make([]string, len(files))
	data := make([][]byte, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		names[i], data[i] = filepath.Base(f), b
	}
	res := &throughputResult{}
	var labels []string
	quarry := func(n int, timed bool) error {
		for range n {
			ips, l, err := quarryRound(h, root, names, data, cfg.inflight)
			if err != nil {
				return err
			}
			if timed {
				res.QuarryRounds = append(res.QuarryRounds, ips)
			}
			labels = l
		}
		return nil
	}
	if err := quarry(1, false); err != nil {
		return nil, err
	}
	if err := quarry((rounds+1)/2, true); err != nil {
		return nil, err
	}
	tjs, err := runTJS(cfg, model, files)
	if err != nil {
		return nil, err
	}
	if err := quarry(rounds/2, true); err != nil {
		return nil, err
	}
	res.Quarry, res.TJS = slices.Max(res.QuarryRounds), *tjs
	for i := range labels {
		if i >= len(tjs.Labels) || tjs.Labels[i] != labels[i] {
			res.LabelMismatch++
		}
	}
	return res, nil
}

// runTJS runs tjs.mjs (transformers.js from e2e/node_modules) on files.
func runTJS(cfg *config, model string, files []string) (*tjsResult, error) {
	list := filepath.Join(cfg.work, "tjs-images.json")
	b, _ := json.Marshal(files)
	if err := os.WriteFile(list, b, 0o644); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfg.node, filepath.Join(cfg.self, "tjs.mjs"))
	cmd.Env = append(os.Environ(), "QUARRY_ENDPOINT="+cfg.url, "TJS_MODEL="+model, "TJS_IMAGES="+list,
		"TJS_CACHE="+filepath.Join(cfg.work, "tjs-cache"), fmt.Sprintf("TJS_THREADS=%d", cfg.threads),
		"TJS_MODULES="+cfg.nodeModules, fmt.Sprintf("TJS_ROUNDS=%d", cfg.rounds))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("node tjs.mjs: %v\n%s", err, stderr.String())
	}
	var res tjsResult
	if err := json.Unmarshal(lastLine(stdout.Bytes()), &res); err != nil {
		return nil, fmt.Errorf("tjs.mjs printed %q: %v", stdout.String(), err)
	}
	return &res, nil
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}
