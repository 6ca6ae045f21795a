package imageproc

import (
	"fmt"
	"image"
	"math"
	"strconv"
)

// OutputSize returns the resized width and height for a w x h source,
// following transformers.js's get_resize_output_image_size.
func (c *Config) OutputSize(w, h int) (int, int) {
	if !c.DoResize {
		return w, h
	}
	s := c.Size
	if s.ShortestEdge <= 0 && s.LongestEdge <= 0 {
		return s.Width, s.Height
	}
	short := 1.0
	if s.ShortestEdge > 0 {
		short = math.Max(float64(s.ShortestEdge)/float64(w), float64(s.ShortestEdge)/float64(h))
	}
	nw, nh := float64(w)*short, float64(h)*short
	long := 1.0
	if s.LongestEdge > 0 {
		long = math.Min(float64(s.LongestEdge)/nw, float64(s.LongestEdge)/nh)
	}
	return roundDown2(nw * long), roundDown2(nh * long)
}

// roundDown2 is Math.floor(Number(v.toFixed(2))).
func roundDown2(v float64) int {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return int(math.Floor(f))
}

// TensorSize returns the height and width of the tensor Preprocess makes
// from a w x h image.
func (c *Config) TensorSize(w, h int) (int, int) {
	if c.DoCenterCrop {
		return c.CropSize.Height, c.CropSize.Width
	}
	ow, oh := c.OutputSize(w, h)
	return oh, ow
}

// Preprocess turns one image into a float32 CHW tensor [3, H, W]: RGB,
// resize, centre crop, rescale, normalize, in transformers.js's order and
// arithmetic (rescale and normalize are computed in float64 and stored as
// float32, like its Float32Array).
func (c *Config) Preprocess(img image.Image) ([]float32, int, int, error) {
	return c.preprocessInto(nil, img)
}

// preprocessInto is Preprocess writing into dst's memory when it is large
// enough.
func (c *Config) preprocessInto(dst []float32, img image.Image) ([]float32, int, int, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, 0, 0, fmt.Errorf("imageproc: preprocess: empty image")
	}
	m := ToRGB(img)
	if c.DoResize {
		w, h := c.OutputSize(m.Width, m.Height)
		if w <= 0 || h <= 0 {
			return nil, 0, 0, fmt.Errorf("imageproc: preprocess: %dx%d resizes to %dx%d", m.Width, m.Height, w, h)
		}
		m = m.ResizeWith(w, h, c.Resample)
	}
	if c.DoCenterCrop {
		m = m.CenterCrop(c.CropSize.Width, c.CropSize.Height)
	}
	return c.tensor(dst, m), m.Height, m.Width, nil
}

// tensor writes m's input values into dst (reallocated when too small).
func (c *Config) tensor(dst []float32, m *RGB) []float32 {
	plane := m.Width * m.Height
	out := dst[:0]
	if cap(out) < 3*plane {
		out = make([]float32, 3*plane)
	}
	out = out[:3*plane]
	lut := c.valueTable()
	r, g, b := out[:plane], out[plane:2*plane], out[2*plane:]
	pix := m.Pix[:3*plane]
	for i := range plane {
		r[i], g[i], b[i] = lut[0][pix[3*i]], lut[1][pix[3*i+1]], lut[2][pix[3*i+2]]
	}
	return out
}

// valueTable returns, per channel, the input value of every 8-bit sample:
// the same float64 arithmetic as transformers.js, done 3 x 256 times
// instead of once per sample.
func (c *Config) valueTable() *[3][256]float32 {
	var lut [3][256]float32
	for ch := range 3 {
		for s := range 256 {
			v := float32(s)
			if c.DoRescale {
				v = float32(c.RescaleFactor * float64(v))
			}
			if c.DoNormalize {
				v = float32((float64(v) - c.Mean[ch]) / c.Std[ch])
			}
			lut[ch][s] = v
		}
	}
	return &lut
}

// Batch preprocesses several images into one NCHW tensor and its shape
// [N, 3, H, W]. All images must yield the same H and W (true whenever the
// config has a fixed size or a centre crop).
func (c *Config) Batch(imgs []image.Image) ([]float32, []int64, error) {
	return c.BatchInto(nil, imgs)
}

// BatchInto is Batch reusing dst's memory when it is large enough, so that
// a caller can recycle tensors (a 224 px image is 600 KB of float32).
func (c *Config) BatchInto(dst []float32, imgs []image.Image) ([]float32, []int64, error) {
	if len(imgs) == 0 {
		return nil, nil, fmt.Errorf("imageproc: batch: no images")
	}
	out := dst[:0]
	var h0, w0 int
	for i, img := range imgs {
		free := out[len(out):cap(out)]
		t, h, w, err := c.preprocessInto(free, img)
		if err != nil {
			return nil, nil, fmt.Errorf("imageproc: batch image %d: %w", i, err)
		}
		if i > 0 && (h != h0 || w != w0) {
			return nil, nil, fmt.Errorf("imageproc: batch image %d is %dx%d, image 0 is %dx%d", i, w, h, w0, h0)
		}
		switch {
		case i == 0 && len(imgs) > 1 && cap(t) < len(imgs)*len(t):
			out, h0, w0 = append(make([]float32, 0, len(imgs)*len(t)), t...), h, w
		case i == 0:
			out, h0, w0 = t, h, w
		case len(t) <= len(free) && &free[0] == &t[0]: // written in place
			out = out[:len(out)+len(t)]
		default:
			out = append(out, t...)
		}
	}
	return out, []int64{int64(len(imgs)), 3, int64(h0), int64(w0)}, nil
}
