// Package jpegdec decodes JPEG images into exactly the 8-bit samples that
// libjpeg-turbo's default decompression produces (the decoder behind
// transformers.js in Node, through sharp and libvips): the accurate
// integer inverse DCT, "fancy" triangle-filter upsampling of 2:1 chroma,
// and fixed-point YCbCr to RGB conversion. It handles baseline, extended
// and progressive Huffman-coded JPEGs with 8-bit samples and one (grey) or
// three (YCbCr or RGB) components, any sampling factors and restart
// intervals. It is written from ITU-T T.81 and the published descriptions
// of libjpeg's algorithms.
//
// Arithmetic coding, 12-bit and lossless JPEGs, CMYK/YCCK and progressive
// JPEGs whose scans leave coefficients incomplete (which libjpeg smooths)
// are refused with ErrUnsupported, so that callers can fall back to
// another decoder. Bad data never panics: it yields ErrCorrupt.
package jpegdec

import (
	"errors"
	"fmt"
	"image"
)

// Errors, wrapped with details; test with errors.Is.
var (
	// ErrCorrupt: the data is not a valid JPEG or is truncated.
	ErrCorrupt = errors.New("jpeg data is corrupt or truncated")
	// ErrUnsupported: a valid JPEG of a kind this package does not decode.
	ErrUnsupported = errors.New("unsupported kind of jpeg")
	// ErrTooManyPixels: the frame is larger than the caller's limit.
	ErrTooManyPixels = errors.New("jpeg has too many pixels")
)

func corrupt(msg string) error     { return fmt.Errorf("jpegdec: %w: %s", ErrCorrupt, msg) }
func unsupported(msg string) error { return fmt.Errorf("jpegdec: %w: %s", ErrUnsupported, msg) }

// Config is what the frame header says.
type Config struct {
	Width, Height, Components int
	Progressive               bool
}

// DecodeConfig parses the markers up to the frame header.
func DecodeConfig(data []byte) (Config, error) {
	d := &decoder{data: data, maxPixels: -1}
	if err := d.readHeaders(); err != nil {
		return Config{}, err
	}
	return Config{Width: d.width, Height: d.height, Components: len(d.comps), Progressive: d.progressive}, nil
}

// Decode decodes a JPEG into an *image.Gray (one component) or an opaque
// *image.NRGBA, refusing it before allocating any sample memory when the
// frame has more than maxPixels pixels (> 0).
func Decode(data []byte, maxPixels int64) (image.Image, error) {
	d := &decoder{data: data, maxPixels: maxPixels}
	if err := d.readHeaders(); err != nil {
		return nil, err
	}
	if err := d.decodeScans(); err != nil {
		return nil, err
	}
	return d.output()
}

// component is one frame component and its decoded data.
type component struct {
	id     uint8
	h, v   int   // sampling factors
	tq     uint8 // quantisation table
	cw, ch int   // samples: ceil(width*h/hmax) x ceil(height*v/vmax)
	bw, bh int   // blocks in the MCU-padded grid
	coefs  []int16
	plane  []uint8 // bw*8 x bh*8 samples
	dcPred int32
	td, ta uint8 // Huffman tables of the current scan
	// coefBits[k] is the successive-approximation position of coefficient
	// k (-1: not yet sent), for the first 10 coefficients: libjpeg smooths
	// progressive images whose low coefficients are incomplete.
	coefBits [10]int8
}

// decoder holds the state of one decode.
type decoder struct {
	data          []byte
	pos           int
	maxPixels     int64
	width, height int
	progressive   bool
	comps         []component
	hmax, vmax    int
	mcusX, mcusY  int
	qt            [4][64]uint16 // natural order
	qtDefined     [4]bool
	dc, ac        [4]huffTable
	restart       int
	jfif, adobe   bool
	transform     int
	multiScan     bool // coefficients are buffered (progressive or several scans)
	scans         int
	eobrun        int32
	br            bitReader
}

// Markers (T.81 Table B.1).
const (
	mSOF0 = 0xC0
	mSOF1 = 0xC1
	mSOF2 = 0xC2
	mDHT  = 0xC4
	mDAC  = 0xCC
	mRST0 = 0xD0
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDNL  = 0xDC
	mDRI  = 0xDD
	mAPP0 = 0xE0
	mAPPE = 0xEE
)

// nextMarker returns the next marker code at or after d.pos, skipping fill
// bytes and (as libjpeg does, with a warning) stray bytes.
func (d *decoder) nextMarker() (byte, error) {
	for d.pos < len(d.data) && d.data[d.pos] != 0xFF {
		d.pos++
	}
	for d.pos < len(d.data) && d.data[d.pos] == 0xFF {
		d.pos++
	}
	if d.pos >= len(d.data) {
		return 0, corrupt("unexpected end of data")
	}
	m := d.data[d.pos]
	d.pos++
	return m, nil
}

// segment returns the payload of the length-prefixed segment at d.pos and
// moves past it.
func (d *decoder) segment() ([]byte, error) {
	if d.pos+2 > len(d.data) {
		return nil, corrupt("truncated segment")
	}
	n := int(d.data[d.pos])<<8 | int(d.data[d.pos+1])
	if n < 2 || d.pos+n > len(d.data) {
		return nil, corrupt("bad segment length")
	}
	seg := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	return seg, nil
}

// readHeaders reads from SOI up to and including the frame header.
func (d *decoder) readHeaders() error {
	if len(d.data) < 2 || d.data[0] != 0xFF || d.data[1] != mSOI {
		return corrupt("missing SOI marker")
	}
	d.pos = 2
	for {
		m, err := d.nextMarker()
		if err != nil {
			return err
		}
		done, err := d.tableOrMisc(m)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		switch {
		case m == mSOF0 || m == mSOF1 || m == mSOF2:
			return d.readSOF(m == mSOF2)
		case m >= 0xC3 && m <= 0xCF: // lossless, hierarchical, arithmetic
			return unsupported(fmt.Sprintf("frame type 0x%02X", m))
		case m == mSOS || m == mEOI:
			return corrupt("no frame header before scan")
		default:
			return corrupt(fmt.Sprintf("unexpected marker 0x%02X", m))
		}
	}
}

// tableOrMisc handles the markers allowed anywhere between scans; it
// reports whether m was one of them.
func (d *decoder) tableOrMisc(m byte) (bool, error) {
	switch {
	case m == mDQT || m == mDHT || m == mDRI || (m >= mAPP0 && m <= 0xEF) || m == 0xFE || m == mDNL:
		seg, err := d.segment()
		if err != nil {
			return true, err
		}
		switch m {
		case mDQT:
			return true, d.readDQT(seg)
		case mDHT:
			return true, d.readDHT(seg)
		case mDRI:
			if len(seg) != 2 {
				return true, corrupt("bad DRI length")
			}
			d.restart = int(seg[0])<<8 | int(seg[1])
		case mAPP0:
			d.jfif = d.jfif || (len(seg) >= 5 && string(seg[:5]) == "JFIF\x00")
		case mAPPE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.transform = true, int(seg[11])
			}
		}
		return true, nil
	case m == mDAC:
		return true, unsupported("arithmetic coding")
	case m >= mRST0 && m <= mRST0+7, m == 0x01:
		return true, nil // stray standalone marker: libjpeg ignores it
	}
	return false, nil
}

func (d *decoder) readDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if pq > 1 || tq > 3 {
			return corrupt("bad DQT table")
		}
		n := 64 << pq
		if len(seg) < 1+n {
			return corrupt("truncated DQT")
		}
		for i := 0; i < 64; i++ {
			v := uint16(seg[1+i])
			if pq == 1 {
				v = uint16(seg[1+2*i])<<8 | uint16(seg[2+2*i])
			}
			d.qt[tq][zigzag[i]] = v
		}
		d.qtDefined[tq] = true
		seg = seg[1+n:]
	}
	return nil
}

func (d *decoder) readDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return corrupt("truncated DHT")
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return corrupt("bad DHT table")
		}
		var counts [16]uint8
		copy(counts[:], seg[1:17])
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if len(seg) < 17+total {
			return corrupt("truncated DHT")
		}
		t := &d.ac[th]
		if tc == 0 {
			t = &d.dc[th]
		}
		if err := t.build(counts, seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

func (d *decoder) readSOF(progressive bool) error {
	seg, err := d.segment()
	if err != nil {
		return err
	}
	if len(seg) < 6 {
		return corrupt("truncated frame header")
	}
	if seg[0] != 8 {
		return unsupported(fmt.Sprintf("%d-bit samples", seg[0]))
	}
	d.progressive = progressive
	d.height, d.width = int(seg[1])<<8|int(seg[2]), int(seg[3])<<8|int(seg[4])
	nf := int(seg[5])
	if d.width == 0 || d.height == 0 {
		return unsupported("frame height from a DNL marker, or zero width")
	}
	if nf != 1 && nf != 3 {
		if nf == 0 || nf > 4 {
			return corrupt("bad component count")
		}
		return unsupported(fmt.Sprintf("%d components", nf))
	}
	if len(seg) != 6+3*nf {
		return corrupt("bad frame header length")
	}
	d.comps = make([]component, nf)
	for i := range d.comps {
		c := &d.comps[i]
		c.id, c.h, c.v, c.tq = seg[6+3*i], int(seg[7+3*i]>>4), int(seg[7+3*i]&15), seg[8+3*i]
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return corrupt("bad component parameters")
		}
		for j := 0; j < i; j++ {
			if d.comps[j].id == c.id {
				return corrupt("duplicate component id")
			}
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
		for k := range c.coefBits {
			c.coefBits[k] = -1
		}
	}
	return d.layout()
}

// layout computes the block grid of every component and checks the pixel
// limit before anything is allocated.
func (d *decoder) layout() error {
	if d.maxPixels > 0 && int64(d.width)*int64(d.height) > d.maxPixels {
		return fmt.Errorf("jpegdec: %w: %dx%d is over %d pixels", ErrTooManyPixels, d.width, d.height, d.maxPixels)
	}
	d.mcusX = ceilDiv(d.width, 8*d.hmax)
	d.mcusY = ceilDiv(d.height, 8*d.vmax)
	var samples int64
	for i := range d.comps {
		c := &d.comps[i]
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return unsupported("fractional sampling ratios")
		}
		c.cw = ceilDiv(d.width*c.h, d.hmax)
		c.ch = ceilDiv(d.height*c.v, d.vmax)
		c.bw, c.bh = d.mcusX*c.h, d.mcusY*c.v
		samples += int64(c.bw) * int64(c.bh) * 64
	}
	// MCU padding can multiply the samples of a very thin image; refuse
	// what would cost far more memory than the pixel count suggests.
	if d.maxPixels > 0 && samples > 4*d.maxPixels+1<<22 {
		return fmt.Errorf("jpegdec: %w: %dx%d pads to %d samples", ErrTooManyPixels, d.width, d.height, samples)
	}
	return nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// zigzag[i] is the natural (row-major) index of the i-th coefficient in
// zigzag order; entries 64..79 repeat 63 so that corrupt run lengths stay in
// the block (libjpeg's decoder does the same).
var zigzag = [80]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
}
