package jpegdec_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"

	"quarry/ml/imageproc/jpegdec"
	"quarry/train/tiles"
)

// benchPhoto is a deterministic w x h image with photo-like gradients and
// noise (a JPEG of it compresses like a photo, not like flat colour).
func benchPhoto(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	seed := uint32(3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			n := float64(seed>>24) / 16
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			img.SetNRGBA(x, y, color.NRGBA{uint8(120 + 100*math.Sin(fx*13) + n), uint8(120 + 90*math.Cos(fy*11+fx*5) + n),
				uint8(128 + 100*math.Sin((fx+fy)*7)), 255})
		}
	}
	return img
}

// BenchmarkDecode compares jpegdec with image/jpeg on a 224 px tile (what
// the demo classifies) and a 4000 x 3000 photo, both 4:2:0 quality 90.
// image/jpeg leaves colour conversion to the caller; jpegdec includes it.
func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct {
		name string
		img  image.Image
	}{{"tile224", tiles.Generate(7, true, tiles.DefaultSize)}, {"photo4000", benchPhoto(4000, 3000)}} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, c.img, &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		b.Run(c.name+"/jpegdec", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := jpegdec.Decode(data, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/image-jpeg", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
