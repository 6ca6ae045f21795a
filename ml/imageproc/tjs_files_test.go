package imageproc_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"quarry/internal/mltest"
)

// tjsFile is one input file of the transformers.js comparison.
type tjsFile struct {
	Name string // format_variant, shown in the log table
	Path string
}

// photoLike is a deterministic synthetic image with smooth gradients,
// fine noise, a saturated disc and thin lines (sharp colour edges), and,
// when alpha is set, a varying alpha channel.
func photoLike(w, h int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	seed := uint32(7)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			n := float64(seed>>24) / 255
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := [3]float64{200*fx + 40*math.Sin(fy*9) + 12*n, 180*fy + 50*math.Cos(fx*7+fy*3) + 12*n, 120 + 100*math.Sin(fx*fy*20)}
			if dx, dy := float64(x-w/2), float64(y-h/3); dx*dx+dy*dy < float64(h*h)/25 {
				c = [3]float64{230, 20, 40}
			}
			if x%31 < 2 {
				c = [3]float64{20, 20, 250}
			}
			a := uint8(255)
			if alpha {
				a = uint8(255 - (x+2*y)%220)
			}
			img.SetNRGBA(x, y, color.NRGBA{clamp8(c[0]), clamp8(c[1]), clamp8(c[2]), a})
		}
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

// convertTo draws src into a new image made by mk (colour model conversion).
func convertTo[T image.Image](src image.Image, mk func(image.Rectangle) T, set func(T, int, int, color.Color)) T {
	b := src.Bounds()
	dst := mk(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			set(dst, x, y, src.At(x, y))
		}
	}
	return dst
}

// wide16 spreads 8-bit samples over 16 bits with varying low bytes, so that
// a decoder that rounds instead of truncating (or vice versa) shows up.
func wide16(v uint8, x, y int) uint16 { return uint16(v)<<8 | uint16((x*53+y*97)%256) }

// syntheticFiles writes the generated test files (every format Go can
// encode, plus a minimal RGB TIFF writer for 3-sample TIFFs) into dir.
func syntheticFiles(t *testing.T, dir string) []tjsFile {
	t.Helper()
	src := photoLike(97, 61, false)
	translucent := photoLike(97, 61, true)
	gray := convertTo(src, image.NewGray, func(m *image.Gray, x, y int, c color.Color) { m.Set(x, y, c) })
	gray16 := image.NewGray16(src.Bounds())
	rgb16 := image.NewRGBA64(src.Bounds())
	nrgba16 := image.NewNRGBA64(src.Bounds())
	for y := 0; y < 61; y++ {
		for x := 0; x < 97; x++ {
			gray16.SetGray16(x, y, color.Gray16{wide16(gray.GrayAt(x, y).Y, x, y)})
			c, a := src.NRGBAAt(x, y), translucent.NRGBAAt(x, y)
			rgb16.SetRGBA64(x, y, color.RGBA64{wide16(c.R, x, y), wide16(c.G, y, x), wide16(c.B, x+1, y), 0xffff})
			nrgba16.SetNRGBA64(x, y, color.NRGBA64{wide16(a.R, x, y), wide16(a.G, y, x), wide16(a.B, x+1, y), wide16(a.A, x, y+1)})
		}
	}
	var buf bytes.Buffer
	if err := gif.Encode(&buf, src, nil); err != nil { // Plan 9 palette, Floyd-Steinberg
		t.Fatal(err)
	}
	g, err := gif.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	paletted := g.(*image.Paletted)
	transparent := image.NewPaletted(paletted.Rect, append(color.Palette{}, paletted.Palette...))
	copy(transparent.Pix, paletted.Pix)
	transparent.Palette[0] = color.RGBA{}
	for i := 0; i < len(transparent.Pix); i += 7 {
		transparent.Pix[i] = 0
	}
	pngOf := func(m image.Image) func(*bytes.Buffer) error {
		return func(b *bytes.Buffer) error { return png.Encode(b, m) }
	}
	files := []struct {
		name string
		enc  func(*bytes.Buffer) error
	}{
		{"png_rgb", pngOf(src)},
		{"png_rgba", pngOf(translucent)},
		{"png_gray", pngOf(gray)},
		{"png_gray16", pngOf(gray16)},
		{"png_rgb16", pngOf(rgb16)},
		{"png_rgba16", pngOf(nrgba16)},
		{"png_paletted", pngOf(paletted)},
		{"gif", func(b *bytes.Buffer) error { return gif.Encode(b, paletted, nil) }},
		{"gif_transparent", func(b *bytes.Buffer) error { return gif.Encode(b, transparent, nil) }},
		{"bmp_rgb", func(b *bytes.Buffer) error { return bmp.Encode(b, src) }},
		{"bmp_rgba", func(b *bytes.Buffer) error { return bmp.Encode(b, translucent) }},
		{"tiff_rgb8", func(b *bytes.Buffer) error { return writeRGBTIFF(b, src, false) }},
		{"tiff_rgb16", func(b *bytes.Buffer) error { return writeRGBTIFF(b, rgb16, true) }},
		{"tiff_rgba8_deflate", func(b *bytes.Buffer) error {
			return tiff.Encode(b, translucent, &tiff.Options{Compression: tiff.Deflate})
		}},
		{"tiff_rgba16", func(b *bytes.Buffer) error { return tiff.Encode(b, nrgba16, nil) }},
		{"tiff_gray8", func(b *bytes.Buffer) error { return tiff.Encode(b, gray, nil) }},
		{"tiff_gray16", func(b *bytes.Buffer) error { return tiff.Encode(b, gray16, nil) }},
		{"jpeg_go420", func(b *bytes.Buffer) error { return jpeg.Encode(b, src, &jpeg.Options{Quality: 90}) }},
		{"jpeg_gogray", func(b *bytes.Buffer) error { return jpeg.Encode(b, gray, &jpeg.Options{Quality: 90}) }},
	}
	var out []tjsFile
	for _, f := range files {
		var b bytes.Buffer
		if err := f.enc(&b); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		out = append(out, writeFile(t, dir, f.name, b.Bytes()))
	}
	return out
}

func writeFile(t *testing.T, dir, name string, data []byte) tjsFile {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return tjsFile{Name: name, Path: p}
}

// writeRGBTIFF writes an uncompressed, single-strip, 3-sample RGB TIFF
// (Go's encoder always adds an alpha sample), 8 or 16 bits per sample.
func writeRGBTIFF(b *bytes.Buffer, m image.Image, sixteen bool) error {
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	bps := 8
	if sixteen {
		bps = 16
	}
	var pix []byte
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBA64Model.Convert(m.At(x, y)).(color.RGBA64)
			for _, v := range []uint16{c.R, c.G, c.B} {
				if sixteen {
					pix = binary.LittleEndian.AppendUint16(pix, v)
				} else {
					pix = append(pix, uint8(v>>8))
				}
			}
		}
	}
	const nTags = 10
	ifd := 8
	bpsOff := ifd + 2 + 12*nTags + 4
	dataOff := bpsOff + 6
	le := binary.LittleEndian
	out := []byte("II*\x00")
	out = le.AppendUint32(out, uint32(ifd))
	out = le.AppendUint16(out, nTags)
	tag := func(id, typ uint16, n, v uint32) {
		out = le.AppendUint16(out, id)
		out = le.AppendUint16(out, typ)
		out = le.AppendUint32(out, n)
		if typ == 3 && n == 1 {
			out = le.AppendUint16(out, uint16(v))
			out = append(out, 0, 0)
		} else {
			out = le.AppendUint32(out, v)
		}
	}
	tag(256, 4, 1, uint32(w))        // ImageWidth
	tag(257, 4, 1, uint32(h))        // ImageLength
	tag(258, 3, 3, uint32(bpsOff))   // BitsPerSample
	tag(259, 3, 1, 1)                // no compression
	tag(262, 3, 1, 2)                // RGB
	tag(273, 4, 1, uint32(dataOff))  // StripOffsets
	tag(277, 3, 1, 3)                // SamplesPerPixel
	tag(278, 4, 1, uint32(h))        // RowsPerStrip
	tag(279, 4, 1, uint32(len(pix))) // StripByteCounts
	tag(284, 3, 1, 1)                // chunky
	out = le.AppendUint32(out, 0)    // no next IFD
	for range 3 {
		out = le.AppendUint16(out, uint16(bps))
	}
	_, err := b.Write(append(out, pix...))
	return err
}

// withOrientation inserts an APP1 EXIF segment with the given orientation
// (little-endian TIFF) after the SOI marker of a JPEG.
func withOrientation(jpg []byte, o uint16) []byte {
	le := binary.LittleEndian
	t := []byte("II*\x00")
	t = le.AppendUint32(t, 8)
	t = le.AppendUint16(t, 1)
	t = le.AppendUint16(t, 0x0112)
	t = le.AppendUint16(t, 3)
	t = le.AppendUint32(t, 1)
	t = le.AppendUint16(t, o)
	t = append(t, 0, 0)
	t = le.AppendUint32(t, 0)
	seg := append([]byte("Exif\x00\x00"), t...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, 0xE1)
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// storedFiles lists the committed JPEG/WebP files (see testdata/mkjpeg.sh),
// the darknet photos, and EXIF-oriented copies of a photo and of a
// synthetic JPEG, written into dir.
func storedFiles(t *testing.T, dir string) []tjsFile {
	t.Helper()
	var out []tjsFile
	for _, n := range []string{"444", "422", "420", "440", "411", "gray", "progressive", "progressive444",
		"restart", "optimized", "q100", "rgb"} {
		out = append(out, tjsFile{Name: "jpeg_" + n, Path: filepath.Join("testdata", "src_"+n+".jpg")})
	}
	out = append(out, tjsFile{Name: "webp_lossless", Path: filepath.Join("testdata", "pattern.webp")},
		tjsFile{Name: "webp_lossy", Path: filepath.Join("testdata", "src_lossy.webp")},
		tjsFile{Name: "webp_lossy_alpha", Path: filepath.Join("testdata", "src_lossy_alpha.webp")})
	for _, p := range mltest.DarknetPhotos {
		out = append(out, tjsFile{Name: "photo_" + p[:len(p)-4], Path: mltest.Photo(t, p)})
	}
	for _, base := range []struct{ name, path string }{
		{"photo_dog", mltest.Photo(t, "dog.jpg")},
		{"jpeg_420", filepath.Join("testdata", "src_420.jpg")},
	} {
		data, err := os.ReadFile(base.path)
		if err != nil {
			t.Fatal(err)
		}
		for o := uint16(2); o <= 8; o++ {
			name := base.name + "_exif" + string(rune('0'+o))
			out = append(out, writeFile(t, dir, name, withOrientation(data, o)))
		}
	}
	for i := range out {
		if abs, err := filepath.Abs(out[i].Path); err == nil {
			out[i].Path = abs
		}
	}
	return out
}
