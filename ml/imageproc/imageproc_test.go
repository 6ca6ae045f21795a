package imageproc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// pattern is the 37x23 test image also built by testdata/golden.mjs.
func pattern() *image.NRGBA {
	const w, h = 37, 23
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c [3]uint8
			for ch := range c {
				c[ch] = uint8((x*37 + y*91 + ch*53 + ((x*y)%17)*7) % 256)
			}
			img.SetNRGBA(x, y, color.NRGBA{c[0], c[1], c[2], 255})
		}
	}
	return img
}

func TestResizeMatchesTransformersJS(t *testing.T) {
	src := ToRGB(pattern())
	for _, s := range [][2]int{{16, 12}, {50, 40}, {37, 7}} {
		want, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("tjs_resize_%dx%d.bin", s[0], s[1])))
		if err != nil {
			t.Fatal(err)
		}
		if got := src.Resize(s[0], s[1]).Pix; !bytes.Equal(got, want) {
			t.Errorf("resize to %dx%d differs from transformers.js", s[0], s[1])
		}
	}
}

func TestResizeSmall(t *testing.T) {
	// Values measured with transformers.js 4.3.1 RawImage.resize in Node:
	// corner-aligned sampling, black beyond the right/bottom edge.
	cases := []struct {
		in, out int
		want    []uint8
	}{
		{8, 3, []uint8{0, 27, 53}},
		{8, 4, []uint8{0, 20, 40, 60}},
		{4, 8, []uint8{0, 5, 10, 15, 20, 25, 30, 15}},
		{3, 7, []uint8{0, 4, 9, 13, 17, 17, 9}},
	}
	for _, c := range cases {
		m := &RGB{Pix: make([]uint8, 3*c.in*c.in), Width: c.in, Height: c.in}
		for y := 0; y < c.in; y++ {
			for x := 0; x < c.in; x++ {
				m.set(x, y, uint8(10*x), uint8(10*y), 100)
			}
		}
		r := m.Resize(c.out, c.out)
		var row []uint8
		for x := 0; x < c.out; x++ {
			row = append(row, r.Pix[3*x])
		}
		if diff := cmp.Diff(c.want, row); diff != "" {
			t.Errorf("%d -> %d: %s", c.in, c.out, diff)
		}
	}
}

func TestPreprocessMatchesTransformersJS(t *testing.T) {
	for _, name := range []string{"stretch", "shortest_crop", "no_normalize"} {
		cfgJSON, err := os.ReadFile(filepath.Join("testdata", "tjs_config_"+name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join("testdata", "tjs_pixels_"+name+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(raw)/4)
		for i := range want {
			want[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		cfg, err := ParseConfig(cfgJSON)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := cfg.Batch([]image.Image{pattern()})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
		}
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("%s: value %d = %v, transformers.js %v", name, i, got[i], want[i])
			}
		}
	}
}

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name, json string
		want       Config
	}{
		{"defaults", `{"size": {"height": 224, "width": 224}}`,
			Config{DoConvertRGB: true, DoResize: true, Size: Size{Height: 224, Width: 224}, Resample: 2, DoRescale: true, RescaleFactor: 1.0 / 255}},
		{"int size is shortest and longest edge", `{"size": 224, "do_rescale": false}`,
			Config{DoConvertRGB: true, DoResize: true, Size: Size{ShortestEdge: 224, LongestEdge: 224}, Resample: 2, RescaleFactor: 1.0 / 255}},
		{"normalize with scalars and legacy names", `{"feature_extractor_type": "ViTFeatureExtractor", "do_normalize": true, "mean": 0.5, "std": [0.1, 0.2, 0.3], "do_resize": false, "size": 10}`,
			Config{ProcessorType: "ViTFeatureExtractor", DoConvertRGB: true, Size: Size{ShortestEdge: 10, LongestEdge: 10}, Resample: 2, DoRescale: true, RescaleFactor: 1.0 / 255,
				DoNormalize: true, Mean: [3]float64{0.5, 0.5, 0.5}, Std: [3]float64{0.1, 0.2, 0.3}}},
		{"resample code", `{"size": 8, "resample": 0}`,
			Config{DoConvertRGB: true, DoResize: true, Size: Size{ShortestEdge: 8, LongestEdge: 8}, Resample: Nearest, DoRescale: true, RescaleFactor: 1.0 / 255}},
		{"resample name", `{"size": 8, "resample": "lanczos"}`,
			Config{DoConvertRGB: true, DoResize: true, Size: Size{ShortestEdge: 8, LongestEdge: 8}, Resample: Lanczos, DoRescale: true, RescaleFactor: 1.0 / 255}},
		{"resample code as a string", `{"size": 8, "resample": "3"}`,
			Config{DoConvertRGB: true, DoResize: true, Size: Size{ShortestEdge: 8, LongestEdge: 8}, Resample: Bicubic, DoRescale: true, RescaleFactor: 1.0 / 255}},
		{"resample null", `{"size": 8, "resample": null}`,
			Config{DoConvertRGB: true, DoResize: true, Size: Size{ShortestEdge: 8, LongestEdge: 8}, Resample: Bilinear, DoRescale: true, RescaleFactor: 1.0 / 255}},
		{"bad resample unused without resize", `{"resample": 9}`,
			Config{DoConvertRGB: true, Resample: Bilinear, DoRescale: true, RescaleFactor: 1.0 / 255}},
		{"mean ignored without do_normalize", `{"image_mean": [1,2,3], "image_std": [1,1,1], "do_center_crop": true, "crop_size": 32}`,
			Config{DoConvertRGB: true, Resample: 2, DoRescale: true, RescaleFactor: 1.0 / 255, DoCenterCrop: true, CropSize: Size{Height: 32, Width: 32}}},
	}
	for _, c := range cases {
		got, err := ParseConfig([]byte(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(&c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, js := range []string{
		`{"do_normalize": true}`,
		`{"do_normalize": true, "image_mean": [0.5, 0.5], "image_std": [1, 1, 1]}`,
		`{"do_normalize": true, "image_mean": 0, "image_std": 0}`,
		`{"size": {"height": 10}}`,
		`{"do_resize": true}`,
		`{"do_center_crop": true}`,
		`{"size": -3}`,
		`{"size": 8, "resample": 6}`,
		`{"size": 8, "resample": 2.5}`,
		`{"size": 8, "resample": "cubic"}`,
		`{"size": 8, "resample": "02"}`,
		`{"size": 8, "resample": [1]}`,
		`not json`,
	} {
		if _, err := ParseConfig([]byte(js)); err == nil {
			t.Errorf("%s: no error", js)
		}
	}
}

func TestOutputSize(t *testing.T) {
	cases := []struct {
		size         Size
		w, h, ow, oh int
	}{
		{Size{Height: 224, Width: 224}, 768, 576, 224, 224},
		{Size{ShortestEdge: 256}, 768, 576, 341, 256},
		{Size{ShortestEdge: 256}, 576, 768, 256, 341},
		{Size{ShortestEdge: 224, LongestEdge: 224}, 768, 576, 224, 168},
		{Size{ShortestEdge: 100}, 50, 30, 166, 100},
	}
	for _, c := range cases {
		cfg := &Config{DoResize: true, Size: c.size}
		if ow, oh := cfg.OutputSize(c.w, c.h); ow != c.ow || oh != c.oh {
			t.Errorf("%+v %dx%d: got %dx%d, want %dx%d", c.size, c.w, c.h, ow, oh, c.ow, c.oh)
		}
	}
}

func TestCenterCrop(t *testing.T) {
	m := ToRGB(pattern())
	c := m.CenterCrop(5, 3)
	// floor((37-5)/2) = 16, floor((23-3)/2) = 10
	if got, want := c.Pix[0], m.Pix[3*(10*37+16)]; got != want {
		t.Fatalf("crop origin %d, want %d", got, want)
	}
	p := m.CenterCrop(41, 23) // pad 2 columns left, 2 right
	if p.Pix[0] != 0 || p.Pix[3*2] != m.Pix[0] {
		t.Fatalf("padding: %v", p.Pix[:9])
	}
}

func encode(t *testing.T, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf, pattern()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeFormats(t *testing.T) {
	webp, err := os.ReadFile(filepath.Join("testdata", "pattern.webp"))
	if err != nil {
		t.Fatal(err)
	}
	want := ToRGB(pattern()).Pix
	cases := []struct {
		format   string
		data     []byte
		lossless bool
	}{
		{"png", encode(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }), true},
		{"jpeg", encode(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, &jpeg.Options{Quality: 95}) }), false},
		{"gif", encode(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }), false},
		{"bmp", encode(t, func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) }), true},
		{"tiff", encode(t, func(b *bytes.Buffer, m image.Image) error {
			return tiff.Encode(b, m, &tiff.Options{Compression: tiff.Deflate})
		}), true},
		{"webp", webp, true},
	}
	for _, c := range cases {
		d, err := Decode(c.data, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		if d.Format != c.format {
			t.Errorf("format %q, want %q", d.Format, c.format)
		}
		got := ToRGB(d.Image)
		if got.Width != 37 || got.Height != 23 {
			t.Fatalf("%s: %dx%d", c.format, got.Width, got.Height)
		}
		if c.lossless && !bytes.Equal(got.Pix, want) {
			t.Errorf("%s: pixels differ from the source", c.format)
		}
	}
}

func TestDecodeSixteenBitTIFF(t *testing.T) {
	img := image.NewRGBA64(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.RGBA64{0x1234, 0xff00, 0x00ff, 0xffff})
	img.Set(1, 0, color.RGBA64{0xffff, 0, 0x8000, 0xffff})
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	d, err := Decode(buf.Bytes(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint8{0x12, 0xff, 0x00, 0xff, 0, 0x80}, ToRGB(d.Image).Pix); diff != "" {
		t.Fatal(diff)
	}
}

// pngHeader returns a PNG signature and IHDR announcing w x h, no pixel data.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

func TestDecodeErrors(t *testing.T) {
	jpg := encode(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	cases := []struct {
		name string
		data []byte
		max  int64
		want error
	}{
		{"not an image", []byte("hello, this is text"), 0, ErrUnknownFormat},
		{"empty", nil, 0, ErrUnknownFormat},
		{"decompression bomb header", pngHeader(30000, 30000), 0, ErrTooManyPixels},
		{"over a custom limit", jpg, 37*23 - 1, ErrTooManyPixels},
		{"truncated jpeg", jpg[:len(jpg)/2], 0, ErrCorrupt},
		{"header only png", pngHeader(10, 10), 0, ErrCorrupt},
	}
	for _, c := range cases {
		if _, err := Decode(c.data, c.max); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := Decode(jpg, 37*23); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

// withOrientation inserts an APP1 EXIF segment with the given orientation
// after the SOI marker of a JPEG.
func withOrientation(jpg []byte, o uint16, bigEndian bool) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	tiffHdr := []byte("II*\x00")
	if bigEndian {
		bo, tiffHdr = binary.BigEndian, []byte("MM\x00*")
	}
	t := append([]byte{}, tiffHdr...)
	t = bo.AppendUint32(t, 8)
	t = bo.AppendUint16(t, 1)      // one entry
	t = bo.AppendUint16(t, 0x0112) // Orientation
	t = bo.AppendUint16(t, 3)      // SHORT
	t = bo.AppendUint32(t, 1)
	t = bo.AppendUint16(t, o)
	t = append(t, 0, 0)
	t = bo.AppendUint32(t, 0) // no next IFD
	seg := append([]byte("Exif\x00\x00"), t...)
	app1 := []byte{0xFF, 0xE1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	return append(out, jpg[2:]...)
}

func TestEXIFOrientation(t *testing.T) {
	// A 6x4 white image with a red 2x2 block (one chroma block) at stored (0,0).
	src := image.NewNRGBA(image.Rect(0, 0, 6, 4))
	for i := range src.Pix {
		src.Pix[i] = 255
	}
	for _, p := range []image.Point{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		src.SetNRGBA(p.X, p.Y, color.NRGBA{255, 0, 0, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		o          uint16
		w, h, x, y int // displayed size and position of the red pixel
	}{
		{1, 6, 4, 0, 0}, {2, 6, 4, 5, 0}, {3, 6, 4, 5, 3}, {4, 6, 4, 0, 3},
		{5, 4, 6, 0, 0}, {6, 4, 6, 3, 0}, {7, 4, 6, 3, 5}, {8, 4, 6, 0, 5},
	}
	for _, c := range cases {
		for _, big := range []bool{false, true} {
			d, err := Decode(withOrientation(buf.Bytes(), c.o, big), 0)
			if err != nil {
				t.Fatal(err)
			}
			m := ToRGB(d.Image)
			if m.Width != c.w || m.Height != c.h {
				t.Fatalf("orientation %d: %dx%d, want %dx%d", c.o, m.Width, m.Height, c.w, c.h)
			}
			if r, g := m.at(c.x, c.y, 0), m.at(c.x, c.y, 1); r < 200 || g > 80 {
				t.Errorf("orientation %d (big endian %v): pixel (%d,%d) = %d,%d, want red", c.o, big, c.x, c.y, r, g)
			}
		}
	}
}

// TestToRGBFromRGBAMatchesGenericPath checks the *image.RGBA fast path
// against color.NRGBAModel on every alpha value, opaque and translucent.
func TestToRGBFromRGBAMatchesGenericPath(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 256, 7))
	for x := 0; x < 256; x++ {
		for y := 0; y < 7; y++ {
			a := uint8(x)
			c := uint8((x*37 + y*91) % 256)
			// Premultiplied values never exceed alpha.
			img.Pix[img.PixOffset(x, y)+0] = uint8(int(c) * int(a) / 255)
			img.Pix[img.PixOffset(x, y)+1] = uint8(int(255-c) * int(a) / 255)
			img.Pix[img.PixOffset(x, y)+2] = uint8(int(c/2) * int(a) / 255)
			img.Pix[img.PixOffset(x, y)+3] = a
		}
	}
	got := ToRGB(img)
	for y := 0; y < 7; y++ {
		for x := 0; x < 256; x++ {
			want := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			i := 3 * (y*256 + x)
			if g := got.Pix[i : i+3]; g[0] != want.R || g[1] != want.G || g[2] != want.B {
				t.Fatalf("pixel (%d,%d) alpha %d: got %v, want %v", x, y, x, g, want)
			}
		}
	}
}
