package tiles

import (
	"image"
	"math"
)

// rgb is a colour with channels in 0..255 (not clamped while painting).
type rgb struct{ r, g, b float64 }

func (c rgb) scale(k float64) rgb { return rgb{c.r * k, c.g * k, c.b * k} }

func (c rgb) mix(d rgb, t float64) rgb {
	return rgb{lerp(c.r, d.r, t), lerp(c.g, d.g, t), lerp(c.b, d.b, t)}
}

// jitter scales each channel of c by 1±amount, drawn from u1..u3 in [0,1).
func (c rgb) jitter(amount, u1, u2, u3 float64) rgb {
	return rgb{c.r * (1 + amount*(2*u1-1)), c.g * (1 + amount*(2*u2-1)), c.b * (1 + amount*(2*u3-1))}
}

// canvas is a float RGB raster.
type canvas struct {
	w, h int
	pix  []rgb
}

func newCanvas(w, h int) *canvas { return &canvas{w: w, h: h, pix: make([]rgb, w*h)} }

func (c *canvas) in(x, y int) bool { return x >= 0 && y >= 0 && x < c.w && y < c.h }

func (c *canvas) at(x, y int) rgb { return c.pix[y*c.w+x] }

func (c *canvas) set(x, y int, v rgb) { c.pix[y*c.w+x] = v }

// blend mixes v into pixel (x, y) with opacity a; pixels outside are ignored.
func (c *canvas) blend(x, y int, v rgb, a float64) {
	if a <= 0 || !c.in(x, y) {
		return
	}
	i := y*c.w + x
	c.pix[i] = c.pix[i].mix(v, math.Min(a, 1))
}

// each calls fn for every pixel of the box around (cx, cy) with radius r
// that lies on the canvas, with the pixel centre's offset from (cx, cy).
func (c *canvas) each(cx, cy, r float64, fn func(x, y int, dx, dy float64)) {
	x0, x1 := max(0, int(math.Floor(cx-r))), min(c.w-1, int(math.Ceil(cx+r)))
	y0, y1 := max(0, int(math.Floor(cy-r))), min(c.h-1, int(math.Ceil(cy+r)))
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			fn(x, y, float64(x)+0.5-cx, float64(y)+0.5-cy)
		}
	}
}

// image converts the canvas to an 8-bit RGBA image.
func (c *canvas) image() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
	for i, p := range c.pix {
		img.Pix[4*i] = to8(p.r)
		img.Pix[4*i+1] = to8(p.g)
		img.Pix[4*i+2] = to8(p.b)
		img.Pix[4*i+3] = 255
	}
	return img
}

func to8(v float64) uint8 {
	return uint8(math.Max(0, math.Min(255, math.Round(v))))
}

// boxBlur softens the canvas with a 3x3 mean, mixed in with strength t.
func (c *canvas) boxBlur(t float64) {
	src := append([]rgb(nil), c.pix...)
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			var s rgb
			n := 0.0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if xx, yy := x+dx, y+dy; c.in(xx, yy) {
						p := src[yy*c.w+xx]
						s = rgb{s.r + p.r, s.g + p.g, s.b + p.b}
						n++
					}
				}
			}
			c.pix[y*c.w+x] = src[y*c.w+x].mix(s.scale(1/n), t)
		}
	}
}
