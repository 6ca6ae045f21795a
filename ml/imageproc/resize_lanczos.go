package imageproc

import "math"

// Lanczos resizing, bit-exact with transformers.js in Node: RawImage.resize
// with resample 1 calls sharp's resize({width, height, fit: 'fill', kernel:
// 'lanczos3'}), which for raw 3-band input is libvips 8.18's vips_resize
// with hscale = 1/(W/w), vscale = 1/(H/h) (both as doubles) and gap 2:
//
//  1. Each shrinking axis, vertical first, is a vips_reducev / reduceh by
//     1/scale: with gap 2 that is first an integer box shrink by
//     k = floor(size/out/2) when k > 1 (output ceil(size/k), the last box
//     padded with copies of the edge pixel, mean computed as libvips'
//     highway code does: ((sum + k/2) * floor(2^24/k)) >> 24), then a
//     lanczos3 convolution by the remaining factor s = shrink/k.
//  2. The convolution has n = 2*rint(3s)+1 taps. Output i is centred at
//     X = (i+0.5)*s - 0.5 - offset (offset = (1+extra)/2 - 1, extra =
//     out*s - size, accumulated X += s), its taps start at int(X) - (n-1)/2,
//     edge pixels are repeated, and its weights are one of 65 masks picked
//     by t = ((int(X*128) & 127) + 1) >> 1: sinc(u)*sinc(u/3) at
//     u = (i - (t/64 + n/2.0 - 1)) * (1/s), normalised to sum 1, scaled by
//     4096 and truncated; the sum is rounded with (v + 2048) >> 12 and
//     clamped.
//  3. Any growing axis goes through libvips' affine with the bicubic
//     interpolator, idx = idy = 0.5 and extend copy, with scale 1 on a
//     shrunk or unchanged axis (which the 0.5 displacement still shifts by
//     half a pixel, as libvips does).
//
// TestResizeAgreesWithTransformersJS checks this against transformers.js.
// The box mean is the highway (SIMD) one that sharp's prebuilt libvips
// uses; with vectors disabled (VIPS_NOVECTOR) libvips divides exactly and
// can differ by one level. One libvips detail is not reproduced: reducev restarts its accumulation
// of Y at the top of each region it computes, which depends on libvips'
// tiling; Quarry accumulates from row 0. The sweep has found no case where
// this changes a byte.

// resizeLanczos is sharp's lanczos3 resize of m to w x h.
func (m *RGB) resizeLanczos(w, h int) *RGB {
	hscale := math.Max(1/(float64(m.Width)/float64(w)), 1/float64(m.Width))
	vscale := math.Max(1/(float64(m.Height)/float64(h)), 1/float64(m.Height))
	cur := m
	if vscale < 1 {
		cur = cur.reduce(1/vscale, h, true)
	}
	if hscale < 1 {
		cur = cur.reduce(1/hscale, w, false)
	}
	if hscale > 1 || vscale > 1 {
		a, d := 1.0, 1.0
		if hscale > 1 {
			a = hscale
		}
		if vscale > 1 {
			d = vscale
		}
		inv := 1 / (a * d)
		cur = cur.cubicAffine(w, h, inv*d, inv*a, 0.5, true)
	}
	return cur
}

// reduce is vips_reducev (vertical) or vips_reduceh by factor shrink >= 1
// with the lanczos3 kernel and gap 2, to n output rows or columns (libvips
// computes n as round(size/shrink), which is n for shrink = 1/(1/(size/n))).
func (m *RGB) reduce(shrink float64, n int, vertical bool) *RGB {
	size := m.Width
	if vertical {
		size = m.Height
	}
	extra := float64(n)*shrink - float64(size)
	if k := max(1, int(math.Floor(float64(size)/float64(n)/2))); k > 1 {
		if vertical {
			m = m.shrinkV(k)
		} else {
			m = m.shrinkH(k)
		}
		shrink /= float64(k)
		extra /= float64(k)
	}
	if shrink == 1 {
		return m
	}
	plan := newLanczosPlan(shrink, extra, n)
	if vertical {
		return m.reduceV(plan)
	}
	return m.reduceH(plan)
}

// lanczosPlan is one reduce's convolution: per output index, the first
// (possibly out-of-range) input index of its taps and its weights.
type lanczosPlan struct {
	first []int
	masks [][]int32 // per output index, shared between indices with one t
}

// newLanczosPlan builds the plan of a lanczos3 reduce by shrink to n.
func newLanczosPlan(shrink, extra float64, n int) *lanczosPlan {
	taps := 2*int(math.RoundToEven(3*shrink)) + 1
	var table [transformScale + 1][]int32
	for t := range table {
		table[t] = lanczosMask(taps, shrink, float64(float32(t)/transformScale))
	}
	p := &lanczosPlan{first: make([]int, n), masks: make([][]int32, n)}
	offset := (1+extra)/2 - 1
	X := 0.5*shrink - 0.5 - offset
	for i := range n {
		t := ((int(X*2*transformScale) & (2*transformScale - 1)) + 1) >> 1
		p.first[i] = int(X) - (taps-1)/2
		p.masks[i] = table[t]
		X += shrink
	}
	return p
}

// lanczosMask returns libvips' fixed-point lanczos3 weights of the given
// number of taps for fraction x, as calculate_coefficients computes them.
func lanczosMask(taps int, shrink, x float64) []int32 {
	half := x + float64(taps)/2 - 1
	scale := 1 / shrink
	c := make([]float64, taps)
	sum := 0.0
	for i := range c {
		xp := (float64(i) - half) * scale
		if xp >= -3 && xp <= 3 {
			c[i] = sinc(xp) * sinc(xp/3)
		}
		sum += c[i]
	}
	mask := make([]int32, taps)
	for i := range c {
		mask[i] = int32(int16(int32(c[i] / sum * weightScale)))
	}
	return mask
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

// reduceV convolves every column of m with the plan's vertical taps.
func (m *RGB) reduceV(p *lanczosPlan) *RGB {
	stride := 3 * m.Width
	out := &RGB{Pix: make([]uint8, stride*len(p.first)), Width: m.Width, Height: len(p.first)}
	acc := make([]int32, stride)
	row := func(r int) []uint8 {
		r = min(max(r, 0), m.Height-1)
		return m.Pix[r*stride : (r+1)*stride]
	}
	for y, first := range p.first {
		for i := range acc {
			acc[i] = weightScale / 2
		}
		mask := p.masks[y]
		i := 0
		for ; i+4 <= len(mask); i += 4 { // four taps a pass: fewer loads and stores of acc
			w0, w1, w2, w3 := mask[i], mask[i+1], mask[i+2], mask[i+3]
			r0, r1, r2, r3 := row(first+i), row(first+i+1), row(first+i+2), row(first+i+3)
			r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
			for j, v := range r0 {
				acc[j] += w0*int32(v) + w1*int32(r1[j]) + w2*int32(r2[j]) + w3*int32(r3[j])
			}
		}
		for ; i < len(mask); i++ {
			for j, v := range row(first + i) {
				acc[j] += mask[i] * int32(v)
			}
		}
		o := out.Pix[y*stride : (y+1)*stride]
		for j, v := range acc {
			o[j] = clampByte(v >> weightShift)
		}
	}
	return out
}

// reduceH convolves every row of m with the plan's horizontal taps.
func (m *RGB) reduceH(p *lanczosPlan) *RGB {
	w := len(p.first)
	out := &RGB{Pix: make([]uint8, 3*w*m.Height), Width: w, Height: m.Height}
	for y := range m.Height {
		row := m.Pix[3*m.Width*y : 3*m.Width*(y+1)]
		o := out.Pix[3*w*y : 3*w*(y+1)]
		for x, first := range p.first {
			r, g, b := int32(weightScale/2), int32(weightScale/2), int32(weightScale/2)
			for i, wt := range p.masks[x] {
				c := 3 * min(max(first+i, 0), m.Width-1)
				r += wt * int32(row[c])
				g += wt * int32(row[c+1])
				b += wt * int32(row[c+2])
			}
			o[3*x], o[3*x+1], o[3*x+2] = clampByte(r>>weightShift), clampByte(g>>weightShift), clampByte(b>>weightShift)
		}
	}
	return out
}

// boxMean is libvips' highway mean of k summed samples, with
// mul = boxMultiplier(k).
func boxMean(sum uint32, k int, mul uint32) uint8 {
	return uint8(((sum + uint32(k/2)) * mul) >> 24)
}

// boxMultiplier is floor(2^32 / (256*k)), the highway code's reciprocal.
func boxMultiplier(k int) uint32 { return uint32((1 << 24) / k) }

// shrinkV averages blocks of k rows (vips_shrinkv with ceil).
func (m *RGB) shrinkV(k int) *RGB {
	stride := 3 * m.Width
	h := (m.Height + k - 1) / k
	out := &RGB{Pix: make([]uint8, stride*h), Width: m.Width, Height: h}
	sum := make([]uint32, stride)
	mul := boxMultiplier(k)
	row := func(r int) []uint8 {
		r = min(r, m.Height-1)
		return m.Pix[r*stride : (r+1)*stride]
	}
	for y := range h {
		i := 0
		if k%2 == 1 {
			for j, v := range row(y * k) {
				sum[j] = uint32(v)
			}
			i = 1
		} else {
			clear(sum)
		}
		for ; i < k; i += 2 { // two rows a pass
			a, b := row(y*k+i), row(y*k+i+1)
			b = b[:len(a)]
			for j, v := range a {
				sum[j] += uint32(v) + uint32(b[j])
			}
		}
		o := out.Pix[y*stride : (y+1)*stride]
		for j, s := range sum {
			o[j] = boxMean(s, k, mul)
		}
	}
	return out
}

// shrinkH averages blocks of k columns (vips_shrinkh with ceil).
func (m *RGB) shrinkH(k int) *RGB {
	w := (m.Width + k - 1) / k
	out := &RGB{Pix: make([]uint8, 3*w*m.Height), Width: w, Height: m.Height}
	mul := boxMultiplier(k)
	for y := range m.Height {
		row := m.Pix[3*m.Width*y : 3*m.Width*(y+1)]
		o := out.Pix[3*w*y : 3*w*(y+1)]
		for x := range w {
			var r, g, b uint32
			for i := range k {
				c := 3 * min(x*k+i, m.Width-1)
				r, g, b = r+uint32(row[c]), g+uint32(row[c+1]), b+uint32(row[c+2])
			}
			o[3*x], o[3*x+1], o[3*x+2] = boxMean(r, k, mul), boxMean(g, k, mul), boxMean(b, k, mul)
		}
	}
	return out
}
