package jpegdec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"quarry/internal/mltest"
	"quarry/ml/imageproc/jpegdec"
)

// testFiles are the committed JPEGs of ml/imageproc/testdata (every
// sampling, progressive, restart intervals, RGB; see mkjpeg.sh).
func testFiles(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "src_*.jpg"))
	if err != nil || len(paths) < 10 {
		t.Fatalf("test JPEGs: %v (%d)", err, len(paths))
	}
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = data
	}
	return out
}

// TestDecodeCloseToImageJPEG checks every committed file and the darknet
// photos against Go's decoder: same size and colour model, and samples a
// few levels apart at most (the two differ in IDCT, chroma upsampling and
// colour rounding; the exact comparison with libjpeg-turbo is
// imageproc's TestPreprocessAgreesWithTransformersJS).
func TestDecodeCloseToImageJPEG(t *testing.T) {
	files := testFiles(t)
	for _, p := range mltest.DarknetPhotos {
		data, err := os.ReadFile(mltest.Photo(t, p))
		if err != nil {
			t.Fatal(err)
		}
		files[p] = data
	}
	for name, data := range files {
		got, err := jpegdec.Decode(data, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if got.Bounds() != want.Bounds() {
			t.Fatalf("%s: bounds %v, image/jpeg %v", name, got.Bounds(), want.Bounds())
		}
		_, gray := got.(*image.Gray)
		if _, wantGray := want.(*image.Gray); gray != wantGray {
			t.Errorf("%s: grey %v, image/jpeg grey %v", name, gray, wantGray)
		}
		b := got.Bounds()
		sum, worst := 0, 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
				w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
				for _, d := range []int{int(g.R) - int(w.R), int(g.G) - int(w.G), int(g.B) - int(w.B)} {
					sum += max(d, -d)
					worst = max(worst, d, -d)
				}
			}
		}
		// Chroma upsampling moves the synthetic files' sharp colour edges
		// by up to ~90 levels (4 on average); photos differ by about one.
		if mean := float64(sum) / float64(3*b.Dx()*b.Dy()); mean > 6 || worst > 128 {
			t.Errorf("%s: mean |diff| %.2f, max %d levels from image/jpeg", name, mean, worst)
		}
	}
}

// sofIndex returns the offset of the first SOFn marker.
func sofIndex(t *testing.T, data []byte) int {
	t.Helper()
	for i := 2; i+1 < len(data); i++ {
		if data[i] == 0xFF && data[i+1] >= 0xC0 && data[i+1] <= 0xC2 {
			return i
		}
	}
	t.Fatal("no SOF marker")
	return 0
}

func patched(data []byte, at int, b ...byte) []byte {
	out := append([]byte(nil), data...)
	copy(out[at:], b)
	return out
}

// withSegment inserts a marker segment right after SOI.
func withSegment(data []byte, marker byte, payload []byte) []byte {
	out := append([]byte{0xFF, 0xD8, 0xFF, marker}, byte((len(payload)+2)>>8), byte(len(payload)+2))
	out = append(out, payload...)
	return append(out, data[2:]...)
}

func TestDecodeErrors(t *testing.T) {
	files := testFiles(t)
	base, restart := files["src_420.jpg"], files["src_restart.jpg"]
	sof := sofIndex(t, base)
	huge := patched(base, sof+5, 0x75, 0x30, 0x75, 0x30) // 30000 x 30000
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, jpegdec.ErrCorrupt},
		{"not a jpeg", []byte("GIF89a..."), jpegdec.ErrCorrupt},
		{"header only", base[:sof+10], jpegdec.ErrCorrupt},
		{"too many pixels", huge, jpegdec.ErrTooManyPixels},
		{"arithmetic coding", patched(base, sof+1, 0xC9), jpegdec.ErrUnsupported},
		{"12-bit samples", patched(base, sof+4, 12), jpegdec.ErrUnsupported},
		{"zero height (DNL)", patched(base, sof+5, 0, 0), jpegdec.ErrUnsupported},
		{"bad sampling factor", patched(base, sof+11, 0x50), jpegdec.ErrCorrupt},
		{"overfull Huffman table", withSegment(base, 0xC4, append([]byte{0x00, 3}, make([]byte, 15+3)...)), jpegdec.ErrCorrupt},
	}
	for i := 1; i < 8; i++ {
		cases = append(cases, struct {
			name string
			data []byte
			want error
		}{"truncated", base[:len(base)*i/8], jpegdec.ErrCorrupt})
	}
	// A wrong restart marker number: swap RST0 for RST5.
	if i := bytes.Index(restart, []byte{0xFF, 0xD0}); i > 0 {
		cases = append(cases, struct {
			name string
			data []byte
			want error
		}{"wrong restart marker", patched(restart, i+1, 0xD5), jpegdec.ErrCorrupt})
	} else {
		t.Fatal("src_restart.jpg has no RST0")
	}
	for _, c := range cases {
		if _, err := jpegdec.Decode(c.data, 1_000_000); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestDecodeConfig(t *testing.T) {
	for name, data := range testFiles(t) {
		cfg, err := jpegdec.DecodeConfig(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wantComps := 3
		if name == "src_gray.jpg" {
			wantComps = 1
		}
		prog := name == "src_progressive.jpg" || name == "src_progressive444.jpg"
		if cfg.Width != 123 || cfg.Height != 77 || cfg.Components != wantComps || cfg.Progressive != prog {
			t.Errorf("%s: %+v", name, cfg)
		}
	}
}

// TestFourComponentsUnsupported: a CMYK frame header is refused as
// unsupported (imageproc then falls back to image/jpeg).
func TestFourComponentsUnsupported(t *testing.T) {
	sof := []byte{0xFF, 0xC0, 0, 20, 8, 0, 8, 0, 8, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0}
	data := append([]byte{0xFF, 0xD8}, sof...)
	data = binary.BigEndian.AppendUint16(data, 0xFFD9)
	if _, err := jpegdec.Decode(data, 0); !errors.Is(err, jpegdec.ErrUnsupported) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzDecode: no input panics or exceeds the pixel limit, and every
// failure is one of the package's errors.
func FuzzDecode(f *testing.F) {
	for _, data := range testFiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := jpegdec.Decode(data, 1<<20)
		if err != nil {
			if !errors.Is(err, jpegdec.ErrCorrupt) && !errors.Is(err, jpegdec.ErrUnsupported) && !errors.Is(err, jpegdec.ErrTooManyPixels) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		cfg, err := jpegdec.DecodeConfig(data)
		if err != nil {
			t.Fatalf("decoded, but DecodeConfig fails: %v", err)
		}
		if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height || int64(cfg.Width)*int64(cfg.Height) > 1<<20 {
			t.Fatalf("bounds %v, config %+v", b, cfg)
		}
	})
}
