package imageproc_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"quarry/internal/mltest"
	"quarry/ml/imageproc"
)

// tjsTolerance is the demo issue's bound on |Quarry - transformers.js| per
// input value.
const tjsTolerance = 1e-3

// tjsConfigs are the preprocessor configs compared on every file, besides
// the converted backbone's own (added by TestPreprocessAgreesWithTransformersJS).
// "identity" (no resize) isolates decoding from resizing.
var tjsConfigs = []struct{ name, json string }{
	{"identity", `{"image_processor_type": "MobileNetV2ImageProcessor", "do_resize": false}`},
	{"stretch", `{"image_processor_type": "MobileNetV2ImageProcessor", "size": {"height": 120, "width": 160},
		"do_normalize": true, "image_mean": [0.5, 0.4, 0.3], "image_std": [0.2, 0.25, 0.5]}`},
	{"shortest_crop", `{"image_processor_type": "MobileNetV2ImageProcessor", "size": {"shortest_edge": 72},
		"do_center_crop": true, "crop_size": {"height": 64, "width": 64},
		"do_normalize": true, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}`},
	{"no_normalize", `{"image_processor_type": "MobileNetV2ImageProcessor", "size": {"height": 48, "width": 48}, "rescale_factor": 0.5}`},
	// The other resample filters: PIL codes, a name, and 5 (hamming),
	// which transformers.js resizes bilinearly in Node.
	{"nearest", `{"image_processor_type": "MobileNetV2ImageProcessor", "size": {"height": 120, "width": 160}, "resample": 0}`},
	{"bicubic_crop", `{"image_processor_type": "MobileNetV2ImageProcessor", "size": {"shortest_edge": 72}, "resample": "bicubic",
		"do_center_crop": true, "crop_size": {"height": 64, "width": 64},
		"do_normalize": true, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}`},
	{"lanczos", `{"image_processor_type": "MobileNetV2ImageProcessor", "size": {"height": 120, "width": 160}, "resample": 1,
		"do_normalize": true, "image_mean": [0.5, 0.4, 0.3], "image_std": [0.2, 0.25, 0.5]}`},
	{"lanczos_crop", `{"image_processor_type": "MobileNetV2ImageProcessor", "size": {"shortest_edge": 72}, "resample": 1,
		"do_center_crop": true, "crop_size": {"height": 64, "width": 64}}`},
	{"hamming", `{"image_processor_type": "MobileNetV2ImageProcessor", "size": {"height": 48, "width": 48}, "resample": 5}`},
}

// tjsResult is one line printed by testdata/tjs_preprocess.mjs.
type tjsResult struct {
	Image  int    `json:"image"`
	Config string `json:"config"`
	Dims   []int  `json:"dims"`
	Error  string `json:"error"`
}

// tjsUnreadable are the files that transformers.js cannot read in Node:
// sharp's libvips has no BMP loader. Quarry still decodes them.
var tjsUnreadable = map[string]bool{"bmp_rgb": true, "bmp_rgba": true}

// TestPreprocessAgreesWithTransformersJS runs transformers.js 4.x in Node
// (RawImage.read + AutoProcessor, as pipeline('image-classification')
// does) on real files of every supported format and compares its
// pixel_values with Config.Preprocess(Decode(file)) value by value, for
// several preprocessor configs including the converted backbone's. The
// log has the max |diff| of every file and config.
func TestPreprocessAgreesWithTransformersJS(t *testing.T) {
	node, e2eDir := nodeWithTransformers(t)
	dir := t.TempDir()
	files := append(syntheticFiles(t, dir), storedFiles(t, dir)...)
	backbone := mltest.Require(t, filepath.Join(mltest.Root(t), "third_party", "models", "mobilenet-v2-140-224", "preprocessor_config.json"))
	mobilenet, err := os.ReadFile(backbone)
	if err != nil {
		t.Fatal(err)
	}
	configs := map[string]*imageproc.Config{}
	var names []string
	models := filepath.Join(dir, "models")
	for _, c := range append(tjsConfigs, struct{ name, json string }{"mobilenet", string(mobilenet)}) {
		cfg, err := imageproc.ParseConfig([]byte(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		configs[c.name] = cfg
		names = append(names, c.name)
		if err := os.MkdirAll(filepath.Join(models, c.name), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(models, c.name), "preprocessor_config.json", []byte(c.json))
	}
	results, unreadable := runTransformersJS(t, node, e2eDir, dir, models, files, names)

	var table strings.Builder
	fmt.Fprintf(&table, "max |Quarry - transformers.js| per input value (n: values over %g)\n%-22s", tjsTolerance, "file")
	for _, n := range names {
		fmt.Fprintf(&table, " %20s", n)
	}
	table.WriteString("\n")
	for i, f := range files {
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := imageproc.Decode(data, 0)
		if err != nil {
			t.Errorf("%s: Quarry cannot decode what transformers.js can: %v", f.Name, err)
			continue
		}
		fmt.Fprintf(&table, "%-22s", f.Name)
		if msg, ok := unreadable[i]; ok || tjsUnreadable[f.Name] {
			if !ok || !tjsUnreadable[f.Name] {
				t.Errorf("%s: transformers.js read error %q, expected one: %v", f.Name, msg, tjsUnreadable[f.Name])
			}
			fmt.Fprintf(&table, " transformers.js cannot read it: %s\n", msg)
			continue
		}
		for _, n := range names {
			cmp := compareTensor(t, f.Name, n, configs[n], d, results[tjsKey{i, n}], filepath.Join(dir, fmt.Sprintf("%d_%s.bin", i, n)))
			fmt.Fprintf(&table, " %13.3g (n=%3d)", cmp.max, cmp.over)
			cmp.check(t, f.Name, n)
		}
		table.WriteString("\n")
	}
	t.Log(table.String())
}

// tjsComparison is how one tensor differs from transformers.js's.
type tjsComparison struct {
	max       float64 // max |diff|
	over, all int     // values over tjsTolerance, and all values
}

// check asserts the bound for every config, resizing included
// (RGB.ResizeWith reproduces sharp's resizes bit for bit, so the values
// agree exactly; the bound leaves room only for float rounding).
func (c tjsComparison) check(t *testing.T, file, config string) {
	t.Helper()
	if c.max > tjsTolerance {
		t.Errorf("%s/%s: values differ from transformers.js by up to %.3g (%d of %d values over %g)", file, config, c.max, c.over, c.all, tjsTolerance)
	}
}

type tjsKey struct {
	image  int
	config string
}

// nodeWithTransformers returns the node binary and the e2e directory whose
// node_modules hold @huggingface/transformers and sharp (make setup); it
// skips the test when they are missing, or fails it under CI.
func nodeWithTransformers(t *testing.T) (string, string) {
	t.Helper()
	e2eDir := filepath.Join(mltest.Root(t), "e2e")
	for _, pkg := range []string{"@huggingface/transformers", "sharp"} {
		mltest.Require(t, filepath.Join(e2eDir, "node_modules", filepath.FromSlash(pkg), "package.json"))
	}
	node, err := exec.LookPath("node")
	if err != nil {
		node = mltest.Require(t, "/usr/bin/node")
	}
	return node, e2eDir
}

// runTransformersJS runs testdata/tjs_preprocess.mjs on every file and
// config and returns the dims it reports, and the read errors by file;
// the tensors are in out.
func runTransformersJS(t *testing.T, node, e2eDir, out, models string, files []tjsFile, configs []string) (map[tjsKey][]int, map[int]string) {
	t.Helper()
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	job, err := json.Marshal(map[string]any{"models": models, "out": out, "images": paths, "configs": configs})
	if err != nil {
		t.Fatal(err)
	}
	jobPath := writeFile(t, out, "job.json", job).Path
	script, err := os.Open(filepath.Join("testdata", "tjs_preprocess.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	defer script.Close()
	// The script comes on stdin so that Node resolves its imports from
	// e2e/node_modules (the working directory).
	cmd := exec.Command(node, "--input-type=module")
	cmd.Dir, cmd.Stdin = e2eDir, script
	cmd.Env = append(os.Environ(), "TJS_JOB="+jobPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node tjs_preprocess.mjs: %v\n%s", err, stderr.String())
	}
	results, unreadable := map[tjsKey][]int{}, map[int]string{}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	for sc.Scan() {
		var r tjsResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("node output %q: %v", sc.Text(), err)
		}
		if r.Error != "" {
			unreadable[r.Image] = r.Error
			continue
		}
		results[tjsKey{r.Image, r.Config}] = r.Dims
	}
	if want := (len(files) - len(unreadable)) * len(configs); len(results) != want {
		t.Fatalf("node reported %d results, want %d\n%s", len(results), want, stderr.String())
	}
	return results, unreadable
}

// compareTensor compares Quarry's tensor for one file and config with
// transformers.js's, failing the test when the shapes differ.
func compareTensor(t *testing.T, file, config string, cfg *imageproc.Config, d *imageproc.Decoded, dims []int, binPath string) tjsComparison {
	t.Helper()
	got, h, w, err := cfg.Preprocess(d.Image)
	if err != nil {
		t.Fatalf("%s/%s: %v", file, config, err)
	}
	if len(dims) != 4 || dims[0] != 1 || dims[1] != 3 || dims[2] != h || dims[3] != w {
		t.Fatalf("%s/%s: transformers.js dims %v, Quarry [1 3 %d %d]", file, config, dims, h, w)
	}
	raw, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*len(got) {
		t.Fatalf("%s/%s: %d bytes from transformers.js, want %d", file, config, len(raw), 4*len(got))
	}
	c := tjsComparison{all: len(got)}
	for i, g := range got {
		want := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		diff := math.Abs(float64(g) - float64(want))
		c.max = math.Max(c.max, diff)
		if diff > tjsTolerance {
			c.over++
		}
	}
	return c
}
