package pipeline_test

import (
	"archive/zip"
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"quarry/internal/mltest"
	"quarry/ml/onnxrt"
	"quarry/train/tiles"
)

// openRuntime opens ONNX Runtime with one thread per core.
func openRuntime(tb testing.TB) *onnxrt.Runtime {
	tb.Helper()
	rt, err := onnxrt.Open(mltest.ORTLibrary(tb), onnxrt.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.Close() })
	return rt
}

// tileSets caches generated tile sets by size of class, for the whole test
// binary (generation takes seconds).
type tileSets struct {
	mu   sync.Mutex
	dirs map[int]string
	root string
}

var sets = &tileSets{dirs: map[int]string{}}

// tileSet returns a directory with n mine and n no_mine 224-px tiles.
func tileSet(tb testing.TB, n int) string {
	tb.Helper()
	sets.mu.Lock()
	defer sets.mu.Unlock()
	if d, ok := sets.dirs[n]; ok {
		return d
	}
	if sets.root == "" {
		root, err := os.MkdirTemp("", "quarry-pipeline-test-")
		if err != nil {
			tb.Fatal(err)
		}
		sets.root = root
	}
	dir := filepath.Join(sets.root, "tiles", string(rune('a'+len(sets.dirs))))
	if _, err := tiles.GenerateSet(dir, 2026, n, tiles.DefaultSize); err != nil {
		tb.Fatal(err)
	}
	sets.dirs[n] = dir
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sets.root != "" {
		os.RemoveAll(sets.root)
	}
	os.Exit(code)
}

// zipDir writes the files of dir into a zip at path.
func zipDir(tb testing.TB, dir, path string) {
	tb.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := w.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return err
	})
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = os.WriteFile(path, buf.Bytes(), 0o644)
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// smallPNG returns a distinct 8x8 PNG for seed.
func smallPNG(tb testing.TB, seed int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(seed*31 + i*7)
	}
	img.Set(0, 0, color.RGBA{uint8(seed), uint8(seed >> 8), 1, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// writeFiles writes name -> content under a new temporary directory.
func writeFiles(tb testing.TB, files map[string][]byte) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}
