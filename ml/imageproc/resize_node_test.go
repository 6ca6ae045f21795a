package imageproc_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"quarry/ml/imageproc"
)

// resizeCase is one resize of the sweep: a W x H input to w x h.
type resizeCase struct{ W, H, w, h int }

// resizeCases is the sweep of TestResizeAgreesWithTransformersJS: every
// pair of a list of widths (1 px, odd, prime, powers of two, the ratios of
// real configs, up and down) with pseudo-random heights, many random small
// sizes, and a few large ones (a photo to 224 x 224, long thin images).
func resizeCases() []resizeCase {
	rng := lcg(11)
	sizes := []int{1, 2, 3, 5, 7, 8, 13, 16, 31, 48, 61, 64, 77, 97, 123, 224}
	var cases []resizeCase
	for _, W := range sizes {
		for _, w := range sizes {
			cases = append(cases, resizeCase{W, 1 + rng.intn(80), w, 1 + rng.intn(80)})
		}
	}
	for range 2500 {
		cases = append(cases, resizeCase{1 + rng.intn(70), 1 + rng.intn(70), 1 + rng.intn(70), 1 + rng.intn(70)})
	}
	return append(cases,
		resizeCase{1, 1, 9, 7}, resizeCase{9, 7, 1, 1}, resizeCase{123, 77, 48, 48},
		resizeCase{77, 77, 224, 224}, resizeCase{640, 480, 224, 224}, resizeCase{1600, 1200, 224, 224},
		resizeCase{3000, 20, 2999, 21}, resizeCase{2, 3, 2048, 3}, resizeCase{5, 1500, 3, 224})
}

// lcg is a small deterministic generator for test inputs.
type lcg uint32

func (r *lcg) next() uint32   { *r = *r*1664525 + 1013904223; return uint32(*r) >> 8 }
func (r *lcg) intn(n int) int { return int(r.next() % uint32(n)) }

// resizeInput is case i's input: random bytes for even i, and for odd i
// linear ramps (smooth data, where weighted sums often land on or near
// exact halves of a level).
func resizeInput(rng *lcg, i int, c resizeCase) *imageproc.RGB {
	m := &imageproc.RGB{Pix: make([]uint8, 3*c.W*c.H), Width: c.W, Height: c.H}
	kx, ky := 1+rng.intn(64), 1+rng.intn(64)
	for p := range m.Pix {
		if i%2 == 0 {
			m.Pix[p] = uint8(rng.next())
			continue
		}
		x, y, ch := p/3%c.W, p/3/c.W, p%3
		m.Pix[p] = uint8(x*kx + y*ky + 85*ch)
	}
	return m
}

// bicubicOffsetCases are stretches of a few pixels to 128*q (q odd) on one
// axis: their positions fall on or near the edges of the 1/64 weight
// steps, so the +2 start of the bicubic stencil (1 + window offset)
// matters there; a +1 start differs in about a quarter of them.
func bicubicOffsetCases() []resizeCase {
	var cases []resizeCase
	for q := 3; q <= 23; q += 2 {
		for n := 2; n <= 9; n++ {
			cases = append(cases, resizeCase{n, 2, 128 * q, 3}, resizeCase{2, n, 3, 128 * q})
		}
	}
	return cases
}

// lanczosCases add large one-axis reductions (box shrinks by many
// integer factors, long kernels), medium two-axis ones and one-axis
// enlargements, the parts of sharp's resize that the common sweep
// exercises least.
func lanczosCases() []resizeCase {
	rng := lcg(99)
	var cases []resizeCase
	for range 150 {
		n := 50 + rng.intn(3950)
		m := 1 + rng.intn(max(1, n*9/10))
		cases = append(cases, resizeCase{n, 3, m, 3}, resizeCase{3, n, 3, m})
	}
	for range 60 {
		cases = append(cases, resizeCase{100 + rng.intn(700), 100 + rng.intn(700), 10 + rng.intn(190), 10 + rng.intn(190)})
	}
	for range 100 {
		n := 2 + rng.intn(60)
		m := n + 1 + rng.intn(1000)
		cases = append(cases, resizeCase{n, 2, m, 3}, resizeCase{2, n, 3, m})
	}
	return append(cases, resizeCase{4000, 3000, 224, 224})
}

// TestResizeAgreesWithTransformersJS runs transformers.js's
// RawImage.resize in Node with each resample filter Quarry implements
// (bilinear, nearest, bicubic: sharp's affine; lanczos: sharp's resize)
// on about 2,800 images of many sizes, up- and downscaling, plus cases
// aimed at each filter's weak spots, and requires RGB.ResizeWith to give
// the same bytes for every one.
func TestResizeAgreesWithTransformersJS(t *testing.T) {
	node, e2eDir := nodeWithTransformers(t)
	for _, c := range []struct {
		name   string
		filter imageproc.Filter
		extra  []resizeCase
	}{
		{"bilinear", imageproc.Bilinear, nil},
		{"nearest", imageproc.Nearest, nil},
		{"bicubic", imageproc.Bicubic, bicubicOffsetCases()},
		{"lanczos", imageproc.Lanczos, lanczosCases()},
	} {
		t.Run(c.name, func(t *testing.T) {
			compareResizes(t, node, e2eDir, c.filter, append(resizeCases(), c.extra...))
		})
	}
}

// compareResizes resizes every case with transformers.js (resample code
// f) and with RGB.ResizeWith and requires identical bytes.
func compareResizes(t *testing.T, node, e2eDir string, f imageproc.Filter, cases []resizeCase) {
	dir := t.TempDir()
	rng := lcg(5)
	inputs := make([]*imageproc.RGB, len(cases))
	var in bytes.Buffer
	for i, c := range cases {
		inputs[i] = resizeInput(&rng, i, c)
		in.Write(inputs[i].Pix)
	}
	inPath, outPath := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin")
	if err := os.WriteFile(inPath, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	list := make([][4]int, len(cases))
	for i, c := range cases {
		list[i] = [4]int{c.W, c.H, c.w, c.h}
	}
	job, err := json.Marshal(map[string]any{"in": inPath, "out": outPath, "resample": int(f), "cases": list})
	if err != nil {
		t.Fatal(err)
	}
	runNodeScript(t, node, e2eDir, "tjs_resize.mjs", writeFile(t, dir, "job.json", job).Path)
	want, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	failed, values := 0, 0
	for i, c := range cases {
		n := 3 * c.w * c.h
		if len(want) < n {
			t.Fatalf("transformers.js wrote too little output (case %d of %d)", i, len(cases))
		}
		got := inputs[i].ResizeWith(c.w, c.h, f).Pix
		if diff := firstDiff(got, want[:n]); diff != "" {
			failed++
			if failed <= 10 {
				t.Errorf("%dx%d -> %dx%d (case %d): %s", c.W, c.H, c.w, c.h, i, diff)
			}
		}
		values += n
		want = want[n:]
	}
	if len(want) != 0 {
		t.Errorf("transformers.js wrote %d bytes more than expected", len(want))
	}
	if failed > 0 {
		t.Errorf("%d of %d resizes differ from transformers.js", failed, len(cases))
	}
	t.Logf("%d resizes, %d values compared", len(cases), values)
}

// firstDiff describes the first differing byte of got and want, and how
// many differ, or returns "".
func firstDiff(got, want []uint8) string {
	first, n := -1, 0
	for i := range got {
		if got[i] != want[i] {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d values differ, first at byte %d: got %d, transformers.js %d", n, first, got[first], want[first])
}

// runNodeScript runs testdata/SCRIPT with its source on stdin (so that
// Node resolves its imports from e2e/node_modules) and env TJS_JOB=job.
func runNodeScript(t *testing.T, node, e2eDir, script, job string) {
	t.Helper()
	src, err := os.Open(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cmd := exec.Command(node, "--input-type=module")
	cmd.Dir, cmd.Stdin = e2eDir, src
	cmd.Env = append(os.Environ(), "TJS_JOB="+job)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, out)
	}
}
