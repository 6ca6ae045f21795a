package jpegdec

// lookBits is the width of the fast Huffman lookup: codes up to this long
// are decoded with one table access.
const lookBits = 9

// huffTable is a decoding table built from a DHT segment (ITU-T T.81
// Annex C: code lengths to canonical codes; F.2.2.3: decoding with
// MAXCODE / VALPTR).
type huffTable struct {
	// fast[b] for the next lookBits bits b: symbol<<8 | code length, or 0
	// when the code is longer than lookBits.
	fast [1 << lookBits]uint16
	// maxCode[l] is the largest code of length l (-1 when none), valPtr[l]
	// the index in vals of the first code of length l minus that code.
	maxCode [17]int32
	valPtr  [17]int32
	vals    []uint8
	defined bool
}

// build fills t from the 16 code-length counts and the symbol values,
// rejecting tables whose codes overflow their length (as libjpeg does).
func (t *huffTable) build(counts [16]uint8, vals []uint8) error {
	total := 0
	for _, c := range counts {
		total += int(c)
	}
	if total != len(vals) || total > 256 {
		return corrupt("bad Huffman table size")
	}
	*t = huffTable{vals: append([]uint8(nil), vals...), defined: true}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.valPtr[l] = k - code
		if code+n > 1<<l { // more codes than this length can hold
			return corrupt("bad Huffman table")
		}
		if n == 0 {
			t.maxCode[l] = -1
		} else {
			for i := int32(0); i < n; i++ {
				if l <= lookBits {
					shift := uint(lookBits - l)
					base := (code + i) << shift
					for j := int32(0); j < 1<<shift; j++ {
						t.fast[base+j] = uint16(t.vals[k+i])<<8 | uint16(l)
					}
				}
			}
			code += n
			k += n
			t.maxCode[l] = code - 1
		}
		code <<= 1
	}
	return nil
}

// bitReader reads entropy-coded data: it removes the 0x00 stuffed after
// 0xFF bytes and stops at a marker, after which it supplies zero bits and
// counts them, so that a scan that reads past its data is detected.
type bitReader struct {
	data   []byte
	pos    int    // next byte of data
	acc    uint64 // bits, most significant first
	n      uint   // valid bits in acc
	fake   uint   // how many of the last n bits are padding past a marker
	marker bool   // a marker (or the end of data) was reached
}

// fill tops acc up to at least 57 bits.
func (r *bitReader) fill() {
	for r.n <= 56 {
		var b byte
		if !r.marker && r.pos < len(r.data) {
			b = r.data[r.pos]
			if b == 0xFF {
				if r.pos+1 < len(r.data) && r.data[r.pos+1] == 0x00 {
					r.pos += 2
				} else {
					r.marker = true // leave pos at the marker
					b = 0
					r.fake += 8
				}
			} else {
				r.pos++
			}
		} else {
			r.marker = true
			r.fake += 8
		}
		r.acc |= uint64(b) << (56 - r.n)
		r.n += 8
	}
}

// overrun reports whether more bits were consumed than the scan held.
func (r *bitReader) overrun() bool { return r.fake > r.n }

// bits returns the next k (<= 16) bits.
func (r *bitReader) bits(k uint) int32 {
	if k == 0 {
		return 0
	}
	if r.n < k {
		r.fill()
	}
	v := int32(r.acc >> (64 - k))
	r.acc <<= k
	r.n -= k
	return v
}

// bit returns the next bit.
func (r *bitReader) bit() bool {
	if r.n == 0 {
		r.fill()
	}
	v := r.acc>>63 != 0
	r.acc <<= 1
	r.n--
	return v
}

// receiveExtend reads a k-bit magnitude category value and sign-extends it
// (T.81 F.2.2.1, EXTEND).
func (r *bitReader) receiveExtend(k uint) int32 {
	if k == 0 {
		return 0
	}
	v := r.bits(k)
	if v < 1<<(k-1) {
		v += -1<<k + 1
	}
	return v
}

// decode reads one Huffman-coded symbol.
func (r *bitReader) decode(t *huffTable) (uint8, error) {
	if r.n < 16 {
		r.fill()
	}
	if e := t.fast[r.acc>>(64-lookBits)]; e != 0 {
		l := uint(e & 0xFF)
		r.acc <<= l
		r.n -= l
		return uint8(e >> 8), nil
	}
	code := int32(r.acc >> (64 - lookBits))
	l := lookBits
	for {
		l++
		code = code<<1 | int32(r.acc>>(64-uint(l))&1)
		if l > 16 {
			return 0, corrupt("bad Huffman code")
		}
		if code <= t.maxCode[l] {
			break
		}
	}
	r.acc <<= uint(l)
	r.n -= uint(l)
	idx := code + t.valPtr[l]
	if idx < 0 || int(idx) >= len(t.vals) {
		return 0, corrupt("bad Huffman code")
	}
	return t.vals[idx], nil
}

// restart resets the reader after a restart marker (or for a new scan)
// starting at byte pos.
func (r *bitReader) restart(pos int) {
	*r = bitReader{data: r.data, pos: pos}
}
