package imageproc

// Nearest-neighbour and bicubic resizing, bit-exact with transformers.js in
// Node: sharp's affine([w/W, 0, 0, h/H], {interpolator}) with libvips 8.18's
// nearest or bicubic interpolator on 3-band uchar. The coordinates follow
// the bilinear case (see resize.go) with one change: libvips embeds the
// input in a border of window_offset + 1 pixels of background and displaces
// the transform to match, so an interpolator with a window offset (bicubic:
// a 4x4 stencil, offset 1) sees x = 2 + ia + ia + ... and
// y = (id*Y + 1) + 1, two additions; the fraction that picks its weights
// comes from those values. Nearest has no offset, like bilinear.
//
// Bicubic (Catmull-Rom) in libvips, for uchar:
//   - The fraction is quantised to 1/64 with round-to-nearest:
//     t = ((int(x*128) & 127) + 1) >> 1, from the embedded coordinate x.
//   - The weights for t come from Nicolas Robidoux's ten-flop Catmull-Rom
//     formula at float32(t)/64, scaled by 4096 and truncated toward zero.
//   - Each of the four stencil rows is summed with the horizontal weights
//     and rounded ((v + 2048) >> 12, arithmetic shift, so negative sums
//     round toward -inf at the half); the four row values are summed with
//     the vertical weights and rounded the same way, then clamped to 0..255.
//   - Taps outside the image read black (sharp's affine background); the
//     stencil spans input columns floor(pos)-1 .. floor(pos)+2.

// transformScale is libvips' VIPS_TRANSFORM_SCALE: weight tables have
// entries for fractions in steps of 1/64.
const transformScale = 64

// catmullRomTable holds the fixed-point Catmull-Rom weights for the 65
// quantised fractions 0, 1/64, ..., 1 (read-only after initialisation).
var catmullRomTable = func() (t [transformScale + 1][4]int32) {
	for i := range t {
		x := float64(float32(i) / transformScale)
		for k, c := range catmullRom(x) {
			t[i][k] = int32(c * weightScale) // C's double-to-int: truncation
		}
	}
	return t
}()

// catmullRom returns the four Catmull-Rom weights at fraction x with the
// operation order of libvips' calculate_coefficients_catmull (the order
// decides the last bits, and so the truncated fixed-point weights).
func catmullRom(x float64) [4]float64 {
	cr1 := 1 - x
	cr2 := -0.5 * x
	cr3 := cr1 * cr2
	c0 := cr1 * cr3
	c3 := x * cr3
	cr4 := c3 - c0
	c1 := cr1 - c0 + cr4
	c2 := x - c3 - cr4
	return [4]float64{c0, c1, c2, c3}
}

// affineInverse returns libvips' inverse of the scale matrix
// [w/W, 0, 0, h/H]: t = 1/det, ia = t*d, id = t*a.
func (m *RGB) affineInverse(w, h int) (ia, id float64) {
	a, d := float64(w)/float64(m.Width), float64(h)/float64(m.Height)
	inv := 1 / (a * d) // det = a*d - b*c, with b = c = 0
	return inv * d, inv * a
}

// affineXs returns the embedded x coordinate of every output column:
// start, start+ia, start+ia+ia, ... (accumulated as libvips does).
func affineXs(n int, ia, start float64) []float64 {
	xs := make([]float64, n)
	x := start
	for i := range xs {
		xs[i] = x
		x += ia
	}
	return xs
}

// resizeNearest is libvips' affine with the nearest interpolator: the
// source pixel at floor(position), positions as for bilinear.
func (m *RGB) resizeNearest(w, h int) *RGB {
	out := &RGB{Pix: make([]uint8, 3*w*h), Width: w, Height: h}
	ia, id := m.affineInverse(w, h)
	var cols []int // byte offset of each output column's source pixel
	for _, x := range affineXs(w, ia, 1) {
		px := int(x) - 1
		if px >= m.Width {
			break // background from here right
		}
		cols = append(cols, 3*px)
	}
	stride := 3 * m.Width
	for Y := range h {
		py := int(float64(id*float64(Y))+1) - 1 // no fused multiply-add, as libvips
		if py >= m.Height {
			break
		}
		row := m.Pix[py*stride : (py+1)*stride]
		o := out.Pix[3*w*Y:]
		for X, off := range cols {
			copy(o[3*X:3*X+3], row[off:off+3])
		}
	}
	return out
}

// cubicTap is where one output column or row samples the input: the index
// of the first of its four taps (may be -1 or past the end: black) and its
// weights, or bg when it lies outside the image altogether.
type cubicTap struct {
	first int
	w     [4]int32
	bg    bool
}

// cubicTapAt returns the tap of embedded coordinate x on an axis of size n.
func cubicTapAt(x float64, n int) cubicTap {
	f := int(x) - 2 // floor of the input position (x >= 1)
	if f < -1 || f > n-1 {
		return cubicTap{bg: true}
	}
	t := ((int(x*2*transformScale) & (2*transformScale - 1)) + 1) >> 1
	return cubicTap{first: f - 1, w: catmullRomTable[t]}
}

// resizeBicubic is sharp's affine with libvips' bicubic interpolator: no
// input displacement, black beyond the edges.
func (m *RGB) resizeBicubic(w, h int) *RGB {
	ia, id := m.affineInverse(w, h)
	return m.cubicAffine(w, h, ia, id, 1, false)
}

// cubicAffine is libvips' affine with the bicubic interpolator and inverse
// scales ia, id. shift is 1 - idx (libvips adds 1 for its border): 1 for
// sharp's affine, 0.5 for vips_resize's upsizing, whose idx is 0.5.
// copyEdge replicates the edge pixels (libvips' extend copy) where sharp's
// affine reads black.
func (m *RGB) cubicAffine(w, h int, ia, id, shift float64, copyEdge bool) *RGB {
	out := &RGB{Pix: make([]uint8, 3*w*h), Width: w, Height: h}
	cols := make([]cubicTap, w)
	for X, x := range affineXs(w, ia, shift+1) {
		cols[X] = cubicTapAt(x, m.Width)
	}
	stride := 3 * m.Width
	for Y := range h {
		ty := cubicTapAt(float64(id*float64(Y))+shift+1, m.Height)
		if ty.bg {
			continue
		}
		var rows [4][]uint8
		for j := range rows {
			r := ty.first + j
			if copyEdge {
				r = min(max(r, 0), m.Height-1)
			}
			if r >= 0 && r < m.Height {
				rows[j] = m.Pix[r*stride : (r+1)*stride]
			}
		}
		cubicRow(out.Pix[3*w*Y:3*w*(Y+1)], &rows, cols, ty.w, m.Width, copyEdge)
	}
	return out
}

// cubicRow fills one output row from its four input rows (nil: black);
// taps beyond the left and right edges read black, or the edge pixel with
// copyEdge.
func cubicRow(o []uint8, rows *[4][]uint8, cols []cubicTap, wy [4]int32, width int, copyEdge bool) {
	for X, c := range cols {
		if c.bg {
			continue
		}
		inside := c.first >= 0 && c.first+3 < width
		for k := range 3 {
			var v int32
			for j, row := range rows {
				if row == nil {
					continue
				}
				var s int32
				if inside {
					p := row[3*c.first+k:]
					s = c.w[0]*int32(p[0]) + c.w[1]*int32(p[3]) + c.w[2]*int32(p[6]) + c.w[3]*int32(p[9])
				} else {
					s = cubicEdgeSum(row, c, k, width, copyEdge)
				}
				v += wy[j] * fixedRound(s)
			}
			o[3*X+k] = clampByte(fixedRound(v))
		}
	}
}

// cubicEdgeSum is the horizontal sum of a stencil that crosses an edge.
func cubicEdgeSum(row []uint8, c cubicTap, k, width int, copyEdge bool) int32 {
	var s int32
	for i, wt := range c.w {
		col := c.first + i
		if copyEdge {
			col = min(max(col, 0), width-1)
		}
		if col >= 0 && col < width {
			s += wt * int32(row[3*col+k])
		}
	}
	return s
}

// fixedRound is libvips' unsigned_fixed_round: (v + 2048) >> 12 with an
// arithmetic shift.
func fixedRound(v int32) int32 { return (v + weightScale/2) >> weightShift }

func clampByte(v int32) uint8 {
	return uint8(min(max(v, 0), 255))
}
