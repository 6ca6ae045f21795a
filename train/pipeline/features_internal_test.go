package pipeline

import (
	"image"
	"image/color"
	"slices"
	"testing"

	"quarry/ml/imageproc"
)

// TestOpaqueNRGBAKeepsPixels checks the RGBA fast path gives exactly the
// tensor of the slow path, and leaves translucent images alone.
func TestOpaqueNRGBAKeepsPixels(t *testing.T) {
	cfg, err := imageproc.ParseConfig([]byte(`{"image_processor_type": "MobileNetV2ImageProcessor",
		"size": {"height": 8, "width": 8}, "do_resize": true, "do_rescale": true, "rescale_factor": 0.00392156862745098,
		"do_normalize": true, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}`))
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(2, 3, 13, 12))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	fast := opaqueNRGBA(img)
	if _, ok := fast.(*image.NRGBA); !ok {
		t.Fatalf("opaque RGBA not converted: %T", fast)
	}
	want, _, _, err := cfg.Preprocess(img)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _, err := cfg.Preprocess(fast)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatal("fast path changed the tensor")
	}
	img.Set(4, 5, color.RGBA{10, 10, 10, 100})
	if _, ok := opaqueNRGBA(img).(*image.RGBA); !ok {
		t.Fatal("translucent RGBA was converted")
	}
}
