// Package mltest locates the machine-learning assets that scripts/setup-ml.sh
// installs (ONNX Runtime, the converted backbone, Debian darknet photos) for
// tests. A missing asset skips the test locally and fails it when CI is set,
// so CI never passes without having run the real thing.
package mltest

import (
	"os"
	"path/filepath"
	"testing"
)

// DarknetDir holds the real photos shipped by the Debian package darknet.
const DarknetDir = "/usr/share/darknet/data"

// DarknetPhotos are the photos the darknet package ships.
var DarknetPhotos = []string{"dog.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg", "kite.jpg", "person.jpg", "scream.jpg"}

// Root returns the repository root (the directory holding go.mod).
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("mltest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Require returns path if it exists. Otherwise it skips the test, or fails
// it when the CI environment variable is set.
func Require(tb testing.TB, path string) string {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s missing (run scripts/setup-ml.sh): %v", path, err)
		}
		tb.Skipf("%s missing: run scripts/setup-ml.sh (make setup)", path)
	}
	return path
}

// ORTLibrary returns the ONNX Runtime shared library path.
func ORTLibrary(tb testing.TB) string {
	tb.Helper()
	return Require(tb, filepath.Join(Root(tb), "third_party", "onnxruntime", "lib", "libonnxruntime.so.1"))
}

// NSFWJSDir returns the directory of the TF.js MobileNetV2 graph model.
func NSFWJSDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Dir(Require(tb, filepath.Join(Root(tb), "third_party", "nsfwjs", "model.min.js")))
}

// BackboneDir returns the converted backbone's model directory (with
// onnx/model.onnx, config.json and preprocessor_config.json).
func BackboneDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(Root(tb), "third_party", "models", "mobilenet-v2-140-224")
	Require(tb, filepath.Join(dir, "onnx", "model.onnx"))
	return dir
}

// Photo returns the path of one darknet photo.
func Photo(tb testing.TB, name string) string {
	tb.Helper()
	return Require(tb, filepath.Join(DarknetDir, name))
}
