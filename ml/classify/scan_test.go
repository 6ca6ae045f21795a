package classify_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"

	"quarry/ml/classify"
	"quarry/ml/imageproc"
)

// redSquareTile is a grey w x h image with a red square at r.
func redSquareTile(w, h int, r image.Rectangle) *image.NRGBA {
	img := solid(w, h, color.NRGBA{120, 120, 120, 255})
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetNRGBA(x, y, color.NRGBA{240, 20, 20, 255})
		}
	}
	return img
}

func TestScan(t *testing.T) {
	dir := colourModel(t)
	c := newClassifier(t, classify.Options{MaxBatch: 7})
	red := image.Rect(64, 32, 96, 64)
	tile := encodePNG(t, redSquareTile(200, 120, red))
	res, err := c.Scan(context.Background(), "colour", dir.loader(), tile, classify.ScanOptions{Window: 32, HeatMapSide: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.Label != "red" || res.Threshold != 0.9 || res.StrideX != 16 || res.WindowW != 32 {
		t.Fatalf("result %+v: defaults not taken from config.json", res)
	}
	// x: 0,16,...,160 and 168 (edge); y: 0,16,...,80 and 88.
	if got, want := len(res.Windows), 12*7; got != want {
		t.Fatalf("%d windows, want %d", got, want)
	}
	for _, w := range res.Windows {
		r := image.Rect(w.X, w.Y, w.X+w.W, w.Y+w.H)
		switch {
		case r == red && w.Score < 0.99:
			t.Errorf("window on the red square scored %v", w.Score)
		case !r.Overlaps(red) && w.Score > 0.01:
			t.Errorf("window %v away from red scored %v", r, w.Score)
		}
	}
	if len(res.Positives) == 0 || res.Positives[0].X != 64 || res.Positives[0].Y != 32 {
		t.Fatalf("positives %+v, want the red square first", res.Positives)
	}
	for _, p := range res.Positives {
		if p.Score < 0.9 {
			t.Fatalf("positive %+v under threshold", p)
		}
	}
	checkHeatMap(t, res, 50, 30)
}

func checkHeatMap(t *testing.T, res *classify.ScanResult, w, h int) {
	t.Helper()
	hm, err := png.Decode(bytes.NewReader(res.HeatMap))
	if err != nil {
		t.Fatal(err)
	}
	if b := hm.Bounds(); b.Dx() != w || b.Dy() != h || res.HeatMapWidth != w || res.HeatMapHeight != h {
		t.Fatalf("heat map %v (%dx%d), want %dx%d", b, res.HeatMapWidth, res.HeatMapHeight, w, h)
	}
	_, _, _, hot := hm.At(20, 12).RGBA() // inside the red square (80,48)/4
	_, _, _, cold := hm.At(2, 28).RGBA()
	if hot <= cold*4 || hot == 0 {
		t.Fatalf("heat map alpha hot %d, cold %d", hot, cold)
	}
}

func TestScanErrors(t *testing.T) {
	dir := colourModel(t)
	c := newClassifier(t, classify.Options{ScanMaxPixels: 1_000_000})
	tile := encodePNG(t, redSquareTile(64, 64, image.Rect(0, 0, 10, 10)))
	cases := []struct {
		name string
		data []byte
		opts classify.ScanOptions
		want error
	}{
		{"pixel limit", hugePNGHeader(t, 30000, 30000), classify.ScanOptions{}, imageproc.ErrTooManyPixels},
		{"over scan limit", hugePNGHeader(t, 1001, 1000), classify.ScanOptions{}, imageproc.ErrTooManyPixels},
		{"unknown label", tile, classify.ScanOptions{Label: "blue"}, classify.ErrBadOption},
		{"threshold", tile, classify.ScanOptions{Threshold: 2}, classify.ErrBadOption},
		{"not an image", []byte("GIF89a nope"), classify.ScanOptions{}, imageproc.ErrCorrupt},
	}
	for _, tc := range cases {
		if _, err := c.Scan(context.Background(), "colour", dir.loader(), tc.data, tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	// A tile smaller than the window gives one window.
	res, err := c.Scan(context.Background(), "colour", dir.loader(), tile, classify.ScanOptions{Window: 100})
	if err != nil || len(res.Windows) != 1 || res.Windows[0].W != 64 {
		t.Fatalf("small tile: %+v, %v", res, err)
	}
}

func TestScanMaxWindows(t *testing.T) {
	dir := colourModel(t)
	c := newClassifier(t, classify.Options{MaxWindows: 20})
	tile := encodePNG(t, redSquareTile(80, 64, image.Rect(0, 0, 10, 10)))
	res, err := c.Scan(context.Background(), "colour", dir.loader(), tile, classify.ScanOptions{Window: 16})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Windows) > 20 || res.StrideX != 16 {
		t.Fatalf("%d windows, stride %d: want at most 20 with stride 16", len(res.Windows), res.StrideX)
	}
	c2 := newClassifier(t, classify.Options{MaxWindows: 10})
	if _, err := c2.Scan(context.Background(), "colour", dir.loader(), tile, classify.ScanOptions{Window: 16}); !errors.Is(err, classify.ErrBadOption) {
		t.Fatalf("err = %v, want ErrBadOption", err)
	}
}

func TestHeatMapAspect(t *testing.T) {
	for _, tc := range []struct{ w, h, side, ww, wh int }{
		{5000, 2500, 1024, 1024, 512}, {300, 200, 1024, 300, 200}, {100, 4000, 1024, 26, 1024},
	} {
		b, w, h, err := classify.HeatMap(tc.w, tc.h, []classify.Window{{X: 0, Y: 0, W: tc.w, H: tc.h, Score: 1}}, tc.side)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || w != tc.ww || h != tc.wh || cfg.Width != w || cfg.Height != h {
			t.Errorf("%dx%d: heat map %dx%d (%+v, %v), want %dx%d", tc.w, tc.h, w, h, cfg, err, tc.ww, tc.wh)
		}
	}
}
