package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"quarry/demo"
	"quarry/demo/hubsource"
	"quarry/hub"
	"quarry/ml/classify"
	"quarry/ml/onnxrt"
)

// ortLibRel is where `make setup` puts the ONNX Runtime library, relative
// to the repository root.
var ortLibRel = filepath.Join("third_party", "onnxruntime", "lib", "libonnxruntime.so.1")

// notSetUp starts the message the demo answers with (503) when the ONNX
// Runtime library cannot be loaded.
const notSetUp = "The demo is not set up: run make setup"

// demoFlags are the serve flags of the demo and its inference runtime.
type demoFlags struct {
	ortLib      *string
	threads     *int
	maxFileSize *int64
	rate        *float64
	burst       *int
}

func addDemoFlags(fs *flag.FlagSet, getenv func(string) string) (*demoFlags, error) {
	threads, err := envInt(getenv, "QUARRY_ORT_THREADS", 0)
	if err != nil {
		return nil, err
	}
	maxFile, err := envInt(getenv, "QUARRY_DEMO_MAX_FILE_SIZE", 10<<20)
	if err != nil {
		return nil, err
	}
	burst, err := envInt(getenv, "QUARRY_DEMO_BURST", 20)
	if err != nil {
		return nil, err
	}
	rate := 2.0
	if v := getenv("QUARRY_DEMO_RATE"); v != "" {
		if rate, err = strconv.ParseFloat(v, 64); err != nil {
			return nil, usagef("QUARRY_DEMO_RATE=%q: not a number", v)
		}
	}
	return &demoFlags{
		ortLib:      fs.String("ort-lib", getenv("QUARRY_ORT_LIB"), "ONNX Runtime library (QUARRY_ORT_LIB; default "+ortLibRel+" under the working directory or the binary's parent)"),
		threads:     fs.Int("threads", threads, "ONNX Runtime intra-op threads per model run, 0 = one per core (QUARRY_ORT_THREADS)"),
		maxFileSize: fs.Int64("demo-max-file-size", int64(maxFile), "largest image a demo accepts, in bytes (QUARRY_DEMO_MAX_FILE_SIZE)"),
		rate:        fs.Float64("demo-rate", rate, "demo inference requests per second per client address, negative = unlimited (QUARRY_DEMO_RATE)"),
		burst:       fs.Int("demo-burst", burst, "demo rate-limit burst (QUARRY_DEMO_BURST)"),
	}, nil
}

func envInt(getenv func(string) string, key string, def int) (int, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, usagef("%s=%q: not a non-negative integer", key, v)
	}
	return n, nil
}

// ortLibPath returns the library to load: the flag's, else the first of
// the default locations that exists (else the first, for the message).
func (f *demoFlags) ortLibPath() string {
	if *f.ortLib != "" {
		return *f.ortLib
	}
	candidates := []string{ortLibRel}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(filepath.Dir(exe)), ortLibRel))
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return candidates[0]
}

// demoService is the demo mounted on the server and what it holds open.
type demoService struct {
	srv *demo.Server
	rt  *onnxrt.Runtime      // nil when not set up
	clf *classify.Classifier // nil when not set up
}

// runSlots is how many model runs may use the cores at once without
// oversubscribing them: cores / intra-op threads (0 threads = all cores).
func runSlots(threads int) int {
	if threads <= 0 {
		return 1
	}
	return max(1, runtime.NumCPU()/threads)
}

// registerDemo mounts the demo on app (before the web pages' catch-all
// routes). Without a loadable ONNX Runtime the demo still resolves models
// but answers 503 "not set up: run make setup"; the hub API is unaffected.
func registerDemo(app *fiber.App, svc *hub.Service, f *demoFlags, publicURL string, logf func(string, ...any)) (*demoService, error) {
	d := &demoService{}
	cfg := demo.Config{Source: hubsource.New(svc), Flagger: hubsource.NewFlagger(svc), PublicURL: publicURL,
		MaxFileSize: *f.maxFileSize, RateLimit: demo.RateLimit{PerSecond: *f.rate, Burst: *f.burst},
		Caller: hubsource.CallerFunc(svc), CSRF: hubsource.CSRFFunc, Logf: logf}
	lib := f.ortLibPath()
	rt, err := onnxrt.Open(lib, onnxrt.Options{IntraOpThreads: *f.threads, NoSpinning: true})
	switch {
	case err == nil:
		d.rt, d.clf = rt, classify.New(rt, classify.Options{MaxConcurrent: runSlots(*f.threads)})
		cfg.Classifier = d.clf
		logf("demo: ONNX Runtime %s from %s", rt.Version(), lib)
	case errors.Is(err, onnxrt.ErrLibraryNotFound):
		cfg.Unavailable = fmt.Sprintf("%s (the ONNX Runtime library is missing at %s).", notSetUp, lib)
		logf("demo: %s", cfg.Unavailable)
	default:
		cfg.Unavailable = fmt.Sprintf("%s (the ONNX Runtime library at %s cannot be loaded: %v).", notSetUp, lib, err)
		logf("demo: %s", cfg.Unavailable)
	}
	if d.srv, err = demo.Register(app, cfg); err != nil {
		d.close()
		return nil, fmt.Errorf("serve: demo: %w", err)
	}
	return d, nil
}

// stopStreams ends the demo's open event streams (heartbeats, queue/data)
// so that the HTTP server can shut down.
func (d *demoService) stopStreams() {
	if d.srv != nil {
		d.srv.Close()
	}
}

// close releases the inference runtime, once no request uses it.
func (d *demoService) close() {
	if d.clf != nil {
		d.clf.Close()
	}
	if d.rt != nil {
		d.rt.Close()
	}
}
