package imageproc

// Bilinear resizing, bit-exact with transformers.js in Node: RawImage.resize
// calls sharp's affine([w/W, 0, 0, h/H], {interpolator: 'bilinear'}), that
// is libvips 8.18's vips_affine with its bilinear interpolator on a 3-band
// uchar image (no alpha, so no premultiplication and no float detour). The
// libvips facts this reproduces, all of which move samples across 8-bit
// rounding boundaries:
//
//   - The inverse matrix is computed as t = 1/det then ia = t*d, id = t*a
//     (with det = a*d - b*c), not as 1/a or d/det; the three differ in the
//     last bits.
//   - The input is embedded in a one-pixel border of background (black,
//     sharp's default) and the transform is displaced by that pixel, so
//     input coordinates are carried as 1 + position: x = 1 + ia + ia + ...
//     (accumulated left to right, one addition per output pixel, from the
//     row start, which is 0 because libvips generates full-width strips),
//     y = 1 + id*Y. The fractional parts, and so the weights, come from
//     these values, not from X*W/w.
//   - Output pixels whose floored position falls outside [-1, size-1] on
//     either axis are background; taps beyond the edges read the black
//     border (so upscaling darkens the last row and column).
//   - Weights are 12-bit fixed point: tx = trunc(frac(x)*4096), likewise
//     ty; c4 = (ty*tx)>>12, c2 = ((4096-ty)*tx)>>12, c3 = ty-c4,
//     c1 = (4096-ty)-c2; value = (c1*p1 + c2*p2 + c3*p3 + c4*p4 + 2048)>>12.
//
// TestResizeAgreesWithTransformersJS checks this, and the other filters of
// ResizeWith, against transformers.js on thousands of sizes.

const (
	weightShift = 12 // VIPS_INTERPOLATE_SHIFT
	weightScale = 1 << weightShift
)

// Filter is a resampling method, numbered as PIL's (and so as the resample
// field of preprocessor_config.json).
type Filter int

// The PIL filter codes transformers.js maps to its resize methods.
const (
	Nearest  Filter = 0
	Lanczos  Filter = 1
	Bilinear Filter = 2
	Bicubic  Filter = 3
	Box      Filter = 4 // resized bilinearly, as transformers.js does in Node
	Hamming  Filter = 5 // resized bilinearly, as transformers.js does in Node
)

// ResizeWith scales m to w x h as transformers.js's RawImage.resize does in
// Node with the given filter: nearest, bilinear and bicubic are libvips'
// affine with that interpolator; lanczos is sharp's resize with the lanczos3
// kernel; box and hamming fall back to bilinear. A same-size resize returns
// m itself, whatever the filter.
func (m *RGB) ResizeWith(w, h int, f Filter) *RGB {
	if w == m.Width && h == m.Height {
		return m
	}
	switch f {
	case Nearest:
		return m.resizeNearest(w, h)
	case Bicubic:
		return m.resizeBicubic(w, h)
	case Lanczos:
		return m.resizeLanczos(w, h)
	default:
		return m.Resize(w, h)
	}
}

// resizeColumn is where one output column samples the input: the byte
// offset of its left tap in a row, its horizontal weight, and whether its
// right tap is inside the image (else it reads the black border).
type resizeColumn struct {
	off   int
	tx    int32
	right bool
}

// Resize scales m to w x h exactly as transformers.js does in Node (see the
// libvips facts above): corner-aligned bilinear sampling without
// antialiasing, fixed-point weights, black beyond the right and bottom
// edges.
func (m *RGB) Resize(w, h int) *RGB {
	if w == m.Width && h == m.Height {
		return m
	}
	out := &RGB{Pix: make([]uint8, 3*w*h), Width: w, Height: h}
	a, d := float64(w)/float64(m.Width), float64(h)/float64(m.Height)
	inv := 1 / (a * d) // det = a*d - b*c, with b = c = 0
	ia, id := inv*d, inv*a
	cols := m.resizeColumns(w, ia)
	for Y := range h {
		// The explicit conversion keeps the product rounded on its own
		// (no fused multiply-add), as libvips computes it.
		iy := float64(id*float64(Y)) + 1
		py := int(iy) - 1 // input row of the upper taps
		if py >= m.Height {
			break // background from here down
		}
		ty := int32((iy - float64(int(iy))) * weightScale)
		stride := 3 * m.Width
		r0 := m.Pix[py*stride : (py+1)*stride]
		var r1 []uint8
		if py+1 < m.Height {
			r1 = m.Pix[(py+1)*stride : (py+2)*stride]
		}
		resizeRow(out.Pix[3*w*Y:3*w*(Y+1)], r0, r1, cols, ty)
	}
	return out
}

// resizeColumns returns the sampling of every output column that is not
// background; x runs 1, 1+ia, 1+ia+ia, ... as in libvips.
func (m *RGB) resizeColumns(w int, ia float64) []resizeColumn {
	cols := make([]resizeColumn, 0, w)
	ix := 1.0
	for range w {
		px := int(ix) - 1 // input column of the left taps
		if px >= m.Width {
			break
		}
		cols = append(cols, resizeColumn{
			off:   3 * px,
			tx:    int32((ix - float64(int(ix))) * weightScale),
			right: px+1 < m.Width,
		})
		ix += ia
	}
	return cols
}

// resizeRow fills one output row from input rows r0 (upper taps) and r1
// (lower taps, nil for the black border) with vertical weight ty.
func resizeRow(o, r0, r1 []uint8, cols []resizeColumn, ty int32) {
	yd := weightScale - ty
	for X, c := range cols {
		c4 := (ty * c.tx) >> weightShift
		c2 := (yd * c.tx) >> weightShift
		c3, c1 := ty-c4, yd-c2
		q := o[3*X : 3*X+3]
		p1 := r0[c.off : c.off+3]
		if c.right && r1 != nil {
			p2 := r0[c.off+3 : c.off+6]
			p3 := r1[c.off : c.off+3]
			p4 := r1[c.off+3 : c.off+6]
			for k := range 3 {
				v := c1*int32(p1[k]) + c2*int32(p2[k]) + c3*int32(p3[k]) + c4*int32(p4[k])
				q[k] = uint8((v + weightScale/2) >> weightShift)
			}
			continue
		}
		for k := range 3 {
			v := c1 * int32(p1[k])
			if c.right {
				v += c2 * int32(r0[c.off+3+k])
			}
			if r1 != nil {
				v += c3 * int32(r1[c.off+k])
				if c.right {
					v += c4 * int32(r1[c.off+3+k])
				}
			}
			q[k] = uint8((v + weightScale/2) >> weightShift)
		}
	}
}
