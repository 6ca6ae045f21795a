// Command demo measures the try-it-out demo of issue 4 against a running
// `quarry serve` (started by bench/demo.sh with --threads N and the base
// model imported): run/predict latency against a bare ONNX Runtime
// Session.Run in this process, throughput of the HTTP API against
// transformers.js's pipeline (tjs.mjs, same model, images and threads), and
// the server's RSS with 5 models loaded and after many requests. It prints
// a summary and writes the figures as JSON to -out.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"

	"quarry/ml/modelrepo"
	"quarry/train/tiles"
)

// baseModel is the backbone `quarry import-base` publishes.
const baseModel = "quarry/mobilenet-v2-140-224"

// config holds the command line.
type config struct {
	url, token, user, lib, node, nodeModules, self, work, out               string
	pid, threads, n, warm, block, images, inflight, rounds, requests, steps int
}

func parseFlags() *config {
	c := &config{}
	flag.StringVar(&c.url, "url", "", "server base URL")
	flag.StringVar(&c.token, "token", "", "write token of -user")
	flag.StringVar(&c.user, "user", "", "namespace to publish the benchmark models in")
	flag.StringVar(&c.lib, "ort-lib", "third_party/onnxruntime/lib/libonnxruntime.so.1", "ONNX Runtime library")
	flag.StringVar(&c.node, "node", "node", "node executable")
	flag.StringVar(&c.nodeModules, "node-modules", "e2e/node_modules", "node_modules holding @huggingface/transformers")
	flag.StringVar(&c.self, "dir", "bench/demo", "directory of tjs.mjs")
	flag.StringVar(&c.work, "work", "", "scratch directory")
	flag.StringVar(&c.out, "out", "", "JSON results file")
	flag.IntVar(&c.pid, "pid", 0, "server process id (for its RSS)")
	flag.IntVar(&c.threads, "threads", 2, "ONNX Runtime intra-op threads (the server's --threads)")
	flag.IntVar(&c.n, "n", 200, "timed sequential requests per latency figure")
	flag.IntVar(&c.warm, "warm", 3, "untimed requests before each latency block")
	flag.IntVar(&c.block, "block", 20, "sequential requests of one kind per latency block")
	flag.IntVar(&c.images, "images", 64, "images of the throughput run")
	flag.IntVar(&c.inflight, "inflight", 4, "concurrent requests of the throughput and memory runs")
	flag.IntVar(&c.rounds, "rounds", 3, "timed throughput rounds (best is reported)")
	flag.IntVar(&c.requests, "requests", 1000, "requests per step of the memory run")
	flag.IntVar(&c.steps, "steps", 4, "steps of the memory run")
	flag.Parse()
	return c
}

func main() {
	cfg := parseFlags()
	if cfg.url == "" || cfg.token == "" || cfg.user == "" || cfg.work == "" || cfg.pid == 0 {
		fmt.Fprintln(os.Stderr, "demo bench: -url, -token, -user, -work and -pid are required")
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "demo bench:", err)
		os.Exit(1)
	}
}

// results is what -out receives.
type results struct {
	Threads    int               `json:"threads"`
	Latency    *latencyResult    `json:"latency"`
	Throughput *throughputResult `json:"throughput"`
	Memory     *memoryResult     `json:"memory"`
}

func run(cfg *config) error {
	h := newHub(cfg.url, cfg.token)
	backbone, err := h.download(baseModel, cfg.work)
	if err != nil {
		return err
	}
	roots, err := publishModels(h, cfg, backbone, 5)
	if err != nil {
		return err
	}
	res := &results{Threads: cfg.threads}
	logf("memory: %d models, %d x %d requests", len(roots), cfg.steps, cfg.requests)
	if res.Memory, err = measureMemory(h, cfg.pid, roots, jpegTiles(8, 500), cfg.requests, cfg.steps, cfg.inflight); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	model := cfg.user + "/bench-1"
	dir, err := h.download(model, cfg.work)
	if err != nil {
		return err
	}
	raw, err := openRaw(cfg.lib, dir, cfg.threads)
	if err != nil {
		return err
	}
	logf("latency: %d sequential requests per figure in blocks of %d", cfg.n, cfg.block)
	res.Latency, err = measureLatency(h, roots[0], raw, jpegTiles(1, 7)[0], cfg.n, cfg.warm, cfg.block)
	defer raw.close()
	if err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	files, err := pngTiles(cfg.work, cfg.images)
	if err != nil {
		return err
	}
	logf("throughput: %d images, Quarry then transformers.js", cfg.images)
	if res.Throughput, err = measureThroughput(h, cfg, roots[0], model, files, cfg.rounds); err != nil {
		return fmt.Errorf("throughput: %w", err)
	}
	if res.Throughput.Raw, err = rawThroughput(raw, files, cfg.rounds); err != nil {
		return fmt.Errorf("raw throughput: %w", err)
	}
	report(os.Stdout, cfg, res)
	b, _ := json.MarshalIndent(res, "", "  ")
	return os.WriteFile(cfg.out, b, 0o644)
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "demo bench: "+format+"\n", args...) }

// publishModels publishes n classifiers USER/bench-1..n over the backbone,
// each with its own seeded linear head and 2..n+1 labels, and returns their
// demo roots.
func publishModels(h *hub, cfg *config, backbone string, n int) ([]string, error) {
	var roots []string
	for i := 1; i <= n; i++ {
		labels := []string{tiles.LabelMine, tiles.LabelNoMine}
		for k := 2; k <= i; k++ {
			labels = append(labels, fmt.Sprintf("class_%d", k))
		}
		repo := fmt.Sprintf("%s/bench-%d", cfg.user, i)
		W, b := seededHead(uint64(i), len(labels), 1792)
		files, err := modelrepo.Build(backbone, W, b, labels, modelrepo.Options{ModelID: repo, BaseModel: baseModel})
		if err != nil {
			return nil, err
		}
		if err := h.publish(repo, files); err != nil {
			return nil, fmt.Errorf("publish %s: %w", repo, err)
		}
		roots = append(roots, cfg.url+"/"+repo+"/demo")
	}
	return roots, nil
}

// seededHead is a fixed linear head from a seeded generator (as e2e does).
func seededHead(seed uint64, n, dim int) ([][]float32, []float32) {
	r := rand.New(rand.NewPCG(seed, 4))
	W := make([][]float32, n)
	b := make([]float32, n)
	for i := range W {
		W[i] = make([]float32, dim)
		for j := range W[i] {
			W[i][j] = float32(r.NormFloat64() * 0.03)
		}
		b[i] = float32(0.2 - 0.4*float64(i)/float64(n-1))
	}
	return W, b
}

// jpegTiles returns n 224 px synthetic tiles as JPEG (quality 90).
func jpegTiles(n int, seed int64) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		var buf bytes.Buffer
		jpeg.Encode(&buf, tiles.Generate(seed+int64(i), i%2 == 0, tiles.DefaultSize), &jpeg.Options{Quality: 90})
		out[i] = buf.Bytes()
	}
	return out
}

// pngTiles writes n 224 px tiles (half with a mining site) as PNG files.
func pngTiles(dir string, n int) ([]string, error) {
	dir = filepath.Join(dir, "tiles")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for i := range n {
		var buf bytes.Buffer
		if err := png.Encode(&buf, tiles.Generate(int64(1000+i), i%2 == 0, tiles.DefaultSize)); err != nil {
			return nil, err
		}
		p := filepath.Join(dir, fmt.Sprintf("tile-%03d.png", i))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	return files, nil
}
