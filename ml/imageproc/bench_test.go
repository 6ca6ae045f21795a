package imageproc_test

import (
	"bytes"
	"image/jpeg"
	"image/png"
	"testing"

	"quarry/ml/imageproc"
	"quarry/train/tiles"
)

// benchConfig is the preprocessing of the converted MobileNetV2 backbone:
// stretch to 224 x 224, rescale, no crop.
const benchConfig = `{"do_resize": true, "size": {"height": 224, "width": 224}, "resample": 2,
 "do_rescale": true, "rescale_factor": 0.00392156862745098, "do_normalize": true,
 "image_mean": [0, 0, 0], "image_std": [1, 1, 1], "do_center_crop": false}`

// BenchmarkDecodePreprocess times what the demo does per image before the
// model runs, for a 224 px synthetic tile as JPEG and PNG.
func BenchmarkDecodePreprocess(b *testing.B) {
	cfg, err := imageproc.ParseConfig([]byte(benchConfig))
	if err != nil {
		b.Fatal(err)
	}
	img := tiles.Generate(7, true, tiles.DefaultSize)
	var jpg, pngData bytes.Buffer
	if err := jpeg.Encode(&jpg, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	if err := png.Encode(&pngData, img); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{{"jpeg", jpg.Bytes()}, {"png", pngData.Bytes()}} {
		b.Run(tc.name+"/decode", func(b *testing.B) {
			for b.Loop() {
				if _, err := imageproc.Decode(tc.data, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
		d, err := imageproc.Decode(tc.data, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name+"/preprocess", func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := cfg.Preprocess(d.Image); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResize times the backbone's stretch of a 4000 x 3000 photo to
// 224 x 224, and an upscale of a 77 px tile to 224 x 224, with each filter.
func BenchmarkResize(b *testing.B) {
	for _, c := range []struct {
		name         string
		inW, inH, to int
	}{{"4000x3000_to_224", 4000, 3000, 224}, {"77x77_to_224", 77, 77, 224}} {
		m := &imageproc.RGB{Pix: make([]uint8, 3*c.inW*c.inH), Width: c.inW, Height: c.inH}
		for i := range m.Pix {
			m.Pix[i] = uint8(i*7 + i/4099)
		}
		for _, f := range []struct {
			name   string
			filter imageproc.Filter
		}{{"bilinear", imageproc.Bilinear}, {"nearest", imageproc.Nearest},
			{"bicubic", imageproc.Bicubic}, {"lanczos", imageproc.Lanczos}} {
			b.Run(c.name+"/"+f.name, func(b *testing.B) {
				for b.Loop() {
					m.ResizeWith(c.to, c.to, f.filter)
				}
			})
		}
	}
}
