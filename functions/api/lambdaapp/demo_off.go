//go:build !cgo

package lambdaapp

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// registerDemo does nothing in builds without cgo (the API function): the
// demo needs ONNX Runtime through cgo and runs in its own container-image
// function (template.yaml, DemoFunction).
func registerDemo(app *fiber.App, svc *hub.Service, cfg Config, log *slog.Logger) error { return nil }

// HasDemo reports whether this build serves the demo.
const HasDemo = false
