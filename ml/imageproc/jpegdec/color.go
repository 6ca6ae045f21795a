package jpegdec

import "image"

// Output: inverse DCT of buffered coefficients, upsampling of subsampled
// components and colour conversion, as libjpeg-turbo does by default.
//
// Upsampling (libjpeg's "fancy" upsampling): a component at half the
// horizontal resolution is interpolated with a triangle filter, each output
// sample 3/4 of the nearer input sample and 1/4 of the farther one, with
// alternating rounding biases (1 and 2 out of 4); at half resolution in
// both directions the same filter is applied vertically first (sums of
// 3*near + far) and then horizontally (biases 8 and 7 out of 16); at half
// vertical resolution only, vertically with biases 1 and 2. The first and
// last rows and columns use themselves as the missing neighbour. Any other
// ratio, and components at most 2 samples wide, are replicated.
//
// Colour (JFIF YCbCr to RGB in 16-bit fixed point): R = Y + 1.402 Cr',
// G = Y - 0.34414 Cb' - 0.71414 Cr', B = Y + 1.772 Cb' with Cb' = Cb - 128,
// each term tabulated per 8-bit value and rounded as libjpeg rounds it.

const (
	scaleBits = 16
	oneHalf   = 1 << (scaleBits - 1)
)

func fix16(x float64) int { return int(x*(1<<scaleBits) + 0.5) }

// yccTables holds, per 8-bit chroma value, the R, B and G terms.
type yccTables struct {
	crR, cbB [256]int
	crG, cbG [256]int
}

var ycc = func() *yccTables {
	t := &yccTables{}
	for i := range 256 {
		x := i - 128
		t.crR[i] = (fix16(1.40200)*x + oneHalf) >> scaleBits
		t.cbB[i] = (fix16(1.77200)*x + oneHalf) >> scaleBits
		t.crG[i] = -fix16(0.71414) * x
		t.cbG[i] = -fix16(0.34414)*x + oneHalf
	}
	return t
}()

func clamp255(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// output turns the decoded components into the final image.
func (d *decoder) output() (image.Image, error) {
	if d.multiScan {
		if d.progressive && d.needsSmoothing() {
			return nil, unsupported("progressive image with incomplete coefficients (libjpeg smooths it)")
		}
		for i := range d.comps {
			d.inverseDCT(&d.comps[i])
		}
	}
	if len(d.comps) == 1 {
		return d.gray(), nil
	}
	return d.color(), nil
}

// needsSmoothing reports whether libjpeg-turbo would apply its block
// smoothing: some low AC coefficient of a component never reached full
// precision (while every DC did).
func (d *decoder) needsSmoothing() bool {
	useful := false
	for i := range d.comps {
		c := &d.comps[i]
		if c.coefBits[0] < 0 {
			return false
		}
		q := &d.qt[c.tq]
		if q[0] == 0 || q[1] == 0 || q[8] == 0 || q[16] == 0 || q[9] == 0 || q[2] == 0 {
			return false
		}
		for _, b := range c.coefBits[1:] {
			useful = useful || b != 0
		}
	}
	return useful
}

// inverseDCT transforms the visible blocks of buffered coefficients.
func (d *decoder) inverseDCT(c *component) {
	c.plane = make([]uint8, c.bw*c.bh*64)
	stride := c.bw * 8
	for by := 0; by < ceilDiv(c.ch, 8); by++ {
		for bx := 0; bx < ceilDiv(c.cw, 8); bx++ {
			blk := (*[64]int16)(c.coefs[(by*c.bw+bx)*64:])
			idctBlock(blk, &d.qt[c.tq], c.plane[by*8*stride+bx*8:], stride)
		}
	}
	c.coefs = nil
}

// gray returns the single component, sharing its samples.
func (d *decoder) gray() *image.Gray {
	c := &d.comps[0]
	stride := c.bw * 8
	return &image.Gray{Pix: c.plane[:(d.height-1)*stride+d.width], Stride: stride, Rect: image.Rect(0, 0, d.width, d.height)}
}

// isRGB tells whether three components hold RGB rather than YCbCr, with
// libjpeg's rules: a JFIF marker means YCbCr; else an Adobe marker's
// transform flag decides; else component ids 'R', 'G', 'B' mean RGB.
func (d *decoder) isRGB() bool {
	switch {
	case d.jfif:
		return false
	case d.adobe:
		return d.transform == 0
	}
	return d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B'
}

// color upsamples each row of the three components to full width and
// converts it.
func (d *decoder) color() *image.NRGBA {
	w, h := d.width, d.height
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rowW := d.mcusX * d.hmax * 8
	var rows [3][]uint8
	var scratch [3][]int
	for i := range rows {
		rows[i] = make([]uint8, rowW)
		scratch[i] = make([]int, rowW)
	}
	rgb := d.isRGB()
	t := ycc
	for y := 0; y < h; y++ {
		for i := range d.comps {
			d.upsampleRow(&d.comps[i], y, rows[i], scratch[i])
		}
		out := img.Pix[4*y*w : 4*(y+1)*w]
		r0, r1, r2 := rows[0][:w], rows[1][:w], rows[2][:w]
		if rgb {
			for x := range w {
				out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = r0[x], r1[x], r2[x], 0xFF
			}
			continue
		}
		for x := range w {
			yy, cb, cr := int(r0[x]), r1[x], r2[x]
			o := out[4*x : 4*x+4 : 4*x+4]
			o[0] = clamp255(yy + t.crR[cr])
			o[1] = clamp255(yy + (t.cbG[cb]+t.crG[cr])>>scaleBits)
			o[2] = clamp255(yy + t.cbB[cb])
			o[3] = 0xFF
		}
	}
	return img
}

// upsampleRow writes full-resolution row y of component c into dst.
func (d *decoder) upsampleRow(c *component, y int, dst []uint8, sums []int) {
	hx, vy := d.hmax/c.h, d.vmax/c.v
	stride := c.bw * 8
	cy := y / vy
	row := c.plane[cy*stride : cy*stride+c.cw]
	switch {
	case hx == 1 && vy == 1:
		copy(dst, row)
	case hx == 2 && vy == 1 && c.cw > 2:
		h2v1(dst, row)
	case hx == 2 && vy == 2 && c.cw > 2:
		far := d.farRow(c, cy, y%2 == 1)
		for x := range row {
			sums[x] = 3*int(row[x]) + int(far[x])
		}
		h2v2(dst, sums[:c.cw])
	case hx == 1 && vy == 2:
		far := d.farRow(c, cy, y%2 == 1)
		bias := 1 + y%2
		for x := range row {
			dst[x] = uint8((3*int(row[x]) + int(far[x]) + bias) >> 2)
		}
	default:
		for x := range row {
			v := row[x]
			for k := 0; k < hx; k++ {
				dst[x*hx+k] = v
			}
		}
	}
}

// farRow is the row that the vertical triangle filter mixes in for output
// row y: the one above the source row for the upper output row, below it
// for the lower one, the row itself at the component's top and bottom.
func (d *decoder) farRow(c *component, cy int, lower bool) []uint8 {
	fy := cy - 1
	if lower {
		fy = cy + 1
	}
	fy = min(max(fy, 0), c.ch-1)
	stride := c.bw * 8
	return c.plane[fy*stride : fy*stride+c.cw]
}

// h2v1 doubles a row horizontally with the triangle filter.
func h2v1(dst, in []uint8) {
	n := len(in)
	dst[0] = in[0]
	dst[1] = uint8((3*int(in[0]) + int(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := 3 * int(in[i])
		dst[2*i] = uint8((v + int(in[i-1]) + 1) >> 2)
		dst[2*i+1] = uint8((v + int(in[i+1]) + 2) >> 2)
	}
	dst[2*n-2] = uint8((3*int(in[n-1]) + int(in[n-2]) + 1) >> 2)
	dst[2*n-1] = in[n-1]
}

// h2v2 doubles a row of vertical sums (3*near + far) horizontally.
func h2v2(dst []uint8, s []int) {
	n := len(s)
	dst[0] = uint8((4*s[0] + 8) >> 4)
	dst[1] = uint8((3*s[0] + s[1] + 7) >> 4)
	for i := 1; i < n-1; i++ {
		v := 3 * s[i]
		dst[2*i] = uint8((v + s[i-1] + 8) >> 4)
		dst[2*i+1] = uint8((v + s[i+1] + 7) >> 4)
	}
	dst[2*n-2] = uint8((3*s[n-1] + s[n-2] + 8) >> 4)
	dst[2*n-1] = uint8((4*s[n-1] + 7) >> 4)
}
