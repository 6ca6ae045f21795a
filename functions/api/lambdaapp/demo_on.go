//go:build cgo

package lambdaapp

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"quarry/demo"
	"quarry/demo/hubsource"
	"quarry/hub"
	"quarry/ml/classify"
	"quarry/ml/onnxrt"
)

// HasDemo reports whether this build serves the demo.
const HasDemo = true

// demoMaxFile is the largest demo image on Lambda: a 6 MB request with
// base64 and multipart overhead holds about 4 MiB.
const demoMaxFile = 4 << 20

// registerDemo mounts the demo (builds with cgo: the container-image
// DemoFunction of template.yaml, which carries libonnxruntime). Without a
// loadable library the demo answers 503, as in `quarry serve`. The
// runtime lives as long as the function instance.
func registerDemo(app *fiber.App, svc *hub.Service, cfg Config, log *slog.Logger) error {
	logf := func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }
	dc := demo.Config{Source: hubsource.New(svc), Flagger: hubsource.NewFlagger(svc), PublicURL: cfg.PublicURL,
		MaxFileSize: demoMaxFile, Caller: hubsource.CallerFunc(svc), CSRF: hubsource.CSRFFunc, Logf: logf}
	rt, err := onnxrt.Open(cfg.ORTLib, onnxrt.Options{NoSpinning: true})
	switch {
	case err == nil:
		dc.Classifier = classify.New(rt, classify.Options{})
		log.Info("demo: ONNX Runtime loaded", "version", rt.Version(), "lib", cfg.ORTLib)
	case errors.Is(err, onnxrt.ErrLibraryNotFound):
		dc.Unavailable = "The demo is not set up: the ONNX Runtime library is missing at " + cfg.ORTLib + "."
	default:
		dc.Unavailable = fmt.Sprintf("The demo is not set up: the ONNX Runtime library at %s cannot be loaded: %v.", cfg.ORTLib, err)
	}
	if _, err := demo.Register(app, dc); err != nil {
		return fmt.Errorf("lambdaapp: demo: %w", err)
	}
	return nil
}
