package imageproc

import "image"

// Lossy WebP colour the way libwebp outputs it (and so sharp, libvips and
// transformers.js in Node): golang.org/x/image/webp decodes the VP8 planes
// exactly, but leaves 4:2:0 chroma to image.YCbCr's nearest-sample lookup
// and JPEG's conversion equations. libwebp instead interpolates chroma
// ("fancy upsampling": each output sample mixes the four nearest chroma
// samples 9:3:3:1, computed as two rounded averages) and converts with
// BT.601 limited-range equations in 14-bit fixed point.

// webpRGB converts a decoded lossy WebP (*image.YCbCr 4:2:0, or
// *image.NYCbCrA with alpha) to NRGBA; other images are returned as they are.
func webpRGB(img image.Image) image.Image {
	var src *image.YCbCr
	var alpha []uint8
	alphaStride := 0
	switch m := img.(type) {
	case *image.YCbCr:
		src = m
	case *image.NYCbCrA:
		src, alpha, alphaStride = &m.YCbCr, m.A, m.AStride
	default:
		return img
	}
	if src.SubsampleRatio != image.YCbCrSubsampleRatio420 || src.Rect.Min != (image.Point{}) {
		return img
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	chroma := func(cy int) ([]uint8, []uint8) {
		o := cy * src.CStride
		return src.Cb[o : o+(w+1)/2], src.Cr[o : o+(w+1)/2]
	}
	// Output rows come in pairs (2k-1, 2k) between chroma rows k-1 and k;
	// the first row, and the last one when the height is even, use one
	// chroma row twice.
	u0, v0 := chroma(0)
	webpRowPair(out, src, 0, -1, u0, v0, u0, v0, w)
	for y := 1; y < h; y += 2 {
		tu, tv := chroma((y - 1) / 2)
		cu, cv := tu, tv
		if y+1 < h {
			cu, cv = chroma((y + 1) / 2)
		}
		bottom := y + 1
		if bottom >= h {
			bottom = -1
		}
		webpRowPair(out, src, y, bottom, tu, tv, cu, cv, w)
	}
	if alpha != nil {
		for y := 0; y < h; y++ {
			row := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				row[4*x+3] = alpha[y*alphaStride+x]
			}
		}
	}
	return out
}

// webpRowPair writes output row top (nearer the top chroma row tu/tv) and,
// unless bottom < 0, row bottom (nearer cu/cv), interpolating chroma
// between the two rows and between neighbouring columns. U and V are
// processed together packed in one word (U low, V high), as libwebp does,
// so its rounding is reproduced exactly.
func webpRowPair(out *image.NRGBA, src *image.YCbCr, top, bottom int, tu, tv, cu, cv []uint8, w int) {
	pack := func(u, v uint8) uint32 { return uint32(u) | uint32(v)<<16 }
	put := func(y, x int, uv uint32) {
		yy := int(src.Y[y*src.YStride+x])
		o := out.Pix[y*out.Stride+4*x : y*out.Stride+4*x+4 : y*out.Stride+4*x+4]
		u, v := int(uv&0xFF), int(uv>>16&0xFF)
		o[0], o[1], o[2], o[3] = webpR(yy, v), webpG(yy, u, v), webpB(yy, u), 0xFF
	}
	tl, l := pack(tu[0], tv[0]), pack(cu[0], cv[0])
	put(top, 0, (3*tl+l+0x00020002)>>2)
	if bottom >= 0 {
		put(bottom, 0, (3*l+tl+0x00020002)>>2)
	}
	last := (w - 1) >> 1
	for x := 1; x <= last; x++ {
		t, c := pack(tu[x], tv[x]), pack(cu[x], cv[x])
		avg := tl + t + l + c + 0x00080008
		d12 := (avg + 2*(t+l)) >> 3
		d03 := (avg + 2*(tl+c)) >> 3
		put(top, 2*x-1, (d12+tl)>>1)
		put(top, 2*x, (d03+t)>>1)
		if bottom >= 0 {
			put(bottom, 2*x-1, (d03+l)>>1)
			put(bottom, 2*x, (d12+c)>>1)
		}
		tl, l = t, c
	}
	if w&1 == 0 {
		put(top, w-1, (3*tl+l+0x00020002)>>2)
		if bottom >= 0 {
			put(bottom, w-1, (3*l+tl+0x00020002)>>2)
		}
	}
}

// libwebp's YUV to RGB: 8-bit products scaled by 2^8, results with 6
// fractional bits, clipped.
func multHi(v, c int) int { return (v * c) >> 8 }

func clip8(v int) uint8 {
	const mask = 256<<6 - 1
	if v&^mask == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

func webpR(y, v int) uint8 { return clip8(multHi(y, 19077) + multHi(v, 26149) - 14234) }
func webpG(y, u, v int) uint8 {
	return clip8(multHi(y, 19077) - multHi(u, 6419) - multHi(v, 13320) + 8708)
}
func webpB(y, u int) uint8 { return clip8(multHi(y, 19077) + multHi(u, 33050) - 17685) }
