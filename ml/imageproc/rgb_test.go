package imageproc

import (
	"image"
	"image/color"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestToRGBFromYCbCrMatchesGenericPath checks the row-wise JPEG colour
// conversion against image.YCbCr.At for every subsampling, on whole
// images and on sub-images whose origins are odd.
func TestToRGBFromYCbCrMatchesGenericPath(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411,
		image.YCbCrSubsampleRatio410}
	for _, ratio := range ratios {
		full := image.NewYCbCr(image.Rect(-3, 5, 38, 30), ratio)
		for i := range full.Y {
			full.Y[i] = uint8(i * 7)
		}
		for i := range full.Cb {
			full.Cb[i], full.Cr[i] = uint8(i*13+40), uint8(255-i*5)
		}
		for _, img := range []image.Image{full, full.SubImage(image.Rect(0, 8, 27, 29)), full.SubImage(image.Rect(1, 7, 3, 8))} {
			b := img.Bounds()
			got := ToRGB(img)
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					want := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
					i := 3 * ((y-b.Min.Y)*b.Dx() + x - b.Min.X)
					if g := got.Pix[i : i+3]; g[0] != want.R || g[1] != want.G || g[2] != want.B {
						t.Fatalf("%v %v pixel (%d,%d): got %v, want %v", ratio, b, x, y, g, want)
					}
				}
			}
		}
	}
}

// TestBatchIntoReusesMemory: a large enough dst is written in place (the
// classifier recycles its tensors) with the values Batch computes.
func TestBatchIntoReusesMemory(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"do_resize": true, "size": {"height": 8, "width": 8}, "do_rescale": true,
		"rescale_factor": 0.00392156862745098, "do_normalize": true, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}`))
	if err != nil {
		t.Fatal(err)
	}
	imgs := []image.Image{pattern(), pattern().SubImage(image.Rect(3, 2, 30, 20))}
	for n := 1; n <= 2; n++ {
		want, wantShape, err := cfg.Batch(imgs[:n])
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, 0, 2*3*8*8)
		got, shape, err := cfg.BatchInto(dst, imgs[:n])
		if err != nil {
			t.Fatal(err)
		}
		if &got[0] != &dst[:1][0] {
			t.Fatalf("%d images: BatchInto did not write into dst", n)
		}
		if !cmp.Equal(got, want) || !cmp.Equal(shape, wantShape) {
			t.Fatalf("%d images: BatchInto = %v %v, Batch = %v %v", n, got, shape, want, wantShape)
		}
	}
	small := make([]float32, 0, 10) // too small: a fresh tensor, same values
	got, _, err := cfg.BatchInto(small, imgs)
	if want, _, _ := cfg.Batch(imgs); err != nil || !cmp.Equal(got, want) {
		t.Fatalf("BatchInto with a small dst = %v, %v", got, err)
	}
}
