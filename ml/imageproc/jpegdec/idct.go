package jpegdec

// The accurate integer inverse DCT of libjpeg ("ISLOW", its default): the
// Loeffler-Ligtenberg-Moschytz factorisation with 13-bit fixed-point
// constants, columns first with 2 extra bits of precision kept between
// the passes, then rows, each result rounded, offset by 128 and clamped
// through libjpeg's 1024-entry range-limit table (which wraps values that
// overflow far out of range instead of saturating them).
const (
	constBits = 13
	pass1Bits = 2
)

// The constants of the factorisation, round(x * 2^13) for the x in each
// name (TestIDCTConstants recomputes them); constants, not variables, so
// that the compiler folds them into the multiplications.
const (
	fix0298631336 = 2446
	fix0390180644 = 3196
	fix0541196100 = 4433
	fix0765366865 = 6270
	fix0899976223 = 7373
	fix1175875602 = 9633
	fix1501321110 = 12299
	fix1847759065 = 15137
	fix1961570560 = 16069
	fix2053119869 = 16819
	fix2562915447 = 20995
	fix3072711026 = 25172
)

// rangeLimit maps (v & 1023) of an IDCT output v to a sample: v+128
// clamped to [0, 255] for v in [-512, 511], wrapping outside.
var rangeLimit = func() (t [1024]uint8) {
	for i := range t {
		v := i
		if i >= 512 {
			v = i - 1024
		}
		t[i] = uint8(min(max(v+128, 0), 255))
	}
	return t
}()

// descale divides by 2^n, rounding half up.
func descale(x int, n uint) int { return (x + 1<<(n-1)) >> n }

// idct1D is the shared even/odd butterfly of both passes: it returns the
// four sums (tmp10..tmp13, scaled by 2^13) and the four odd-part terms.
func idct1D(in0, in1, in2, in3, in4, in5, in6, in7 int) (e [4]int, o [4]int) {
	// Even part: inputs 0, 2, 4, 6.
	z1 := (in2 + in6) * fix0541196100
	t2 := z1 - in6*fix1847759065
	t3 := z1 + in2*fix0765366865
	t0 := (in0 + in4) << constBits
	t1 := (in0 - in4) << constBits
	e = [4]int{t0 + t3, t1 + t2, t1 - t2, t0 - t3}
	// Odd part: inputs 7, 5, 3, 1.
	s1, s2, s3, s4 := in7+in1, in5+in3, in7+in3, in5+in1
	z5 := (s3 + s4) * fix1175875602
	a0 := in7 * fix0298631336
	a1 := in5 * fix2053119869
	a2 := in3 * fix3072711026
	a3 := in1 * fix1501321110
	s1 *= -fix0899976223
	s2 *= -fix2562915447
	s3 = s3*-fix1961570560 + z5
	s4 = s4*-fix0390180644 + z5
	o = [4]int{a0 + s1 + s3, a1 + s2 + s4, a2 + s2 + s3, a3 + s1 + s4}
	return e, o
}

// idctBlock dequantises coefficients (natural order) with q, inverse
// transforms them and writes the 8x8 samples to dst with the given stride.
func idctBlock(coef *[64]int16, q *[64]uint16, dst []uint8, stride int) {
	var ws [64]int
	for col := 0; col < 8; col++ {
		// libjpeg keeps quantisation values as 16-bit signed multipliers.
		c0, c1, c2, c3 := int(coef[col]), int(coef[8+col]), int(coef[16+col]), int(coef[24+col])
		c4, c5, c6, c7 := int(coef[32+col]), int(coef[40+col]), int(coef[48+col]), int(coef[56+col])
		if c1|c2|c3|c4|c5|c6|c7 == 0 {
			dc := c0 * int(int16(q[col])) << pass1Bits
			for row := 0; row < 8; row++ {
				ws[row*8+col] = dc
			}
			continue
		}
		e, o := idct1D(c0*int(int16(q[col])), c1*int(int16(q[8+col])), c2*int(int16(q[16+col])), c3*int(int16(q[24+col])),
			c4*int(int16(q[32+col])), c5*int(int16(q[40+col])), c6*int(int16(q[48+col])), c7*int(int16(q[56+col])))
		const n = constBits - pass1Bits
		ws[0*8+col] = descale(e[0]+o[3], n)
		ws[7*8+col] = descale(e[0]-o[3], n)
		ws[1*8+col] = descale(e[1]+o[2], n)
		ws[6*8+col] = descale(e[1]-o[2], n)
		ws[2*8+col] = descale(e[2]+o[1], n)
		ws[5*8+col] = descale(e[2]-o[1], n)
		ws[3*8+col] = descale(e[3]+o[0], n)
		ws[4*8+col] = descale(e[3]-o[0], n)
	}
	for row := 0; row < 8; row++ {
		w := ws[row*8 : row*8+8 : row*8+8]
		out := dst[row*stride : row*stride+8 : row*stride+8]
		const n = constBits + pass1Bits + 3
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			v := rangeLimit[descale(w[0], pass1Bits+3)&1023]
			for i := range out {
				out[i] = v
			}
			continue
		}
		e, o := idct1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
		out[0] = rangeLimit[descale(e[0]+o[3], n)&1023]
		out[7] = rangeLimit[descale(e[0]-o[3], n)&1023]
		out[1] = rangeLimit[descale(e[1]+o[2], n)&1023]
		out[6] = rangeLimit[descale(e[1]-o[2], n)&1023]
		out[2] = rangeLimit[descale(e[2]+o[1], n)&1023]
		out[5] = rangeLimit[descale(e[2]-o[1], n)&1023]
		out[3] = rangeLimit[descale(e[3]+o[0], n)&1023]
		out[4] = rangeLimit[descale(e[3]-o[0], n)&1023]
	}
}
