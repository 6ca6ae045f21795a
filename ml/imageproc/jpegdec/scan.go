package jpegdec

import "fmt"

// scanParams are the parameters of one scan (T.81 B.2.3).
type scanParams struct {
	comps          []*component
	ss, se, ah, al int
}

// decodeScans reads everything after the frame header: tables and scans
// up to EOI (or the end of the data, which libjpeg tolerates with a
// warning once every scan is complete).
func (d *decoder) decodeScans() error {
	for {
		if d.pos >= len(d.data) && d.scans > 0 {
			return nil
		}
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
		case m == mSOS:
			if err := d.readScan(); err != nil {
				return err
			}
		case m == mEOI:
			if d.scans == 0 {
				return corrupt("no scan before EOI")
			}
			return nil
		case m >= mSOF0 && m <= 0xCF:
			return corrupt("second frame header")
		default:
			return corrupt(fmt.Sprintf("unexpected marker 0x%02X", m))
		}
	}
}

// readScan parses an SOS header, then decodes its entropy-coded data.
func (d *decoder) readScan() error {
	seg, err := d.segment()
	if err != nil {
		return err
	}
	if len(seg) < 1 {
		return corrupt("empty scan header")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) || len(seg) != 4+2*ns {
		return corrupt("bad scan header")
	}
	sp := scanParams{ss: int(seg[1+2*ns]), se: int(seg[2+2*ns]), ah: int(seg[3+2*ns] >> 4), al: int(seg[3+2*ns] & 15)}
	blocks := 0
	for i := 0; i < ns; i++ {
		c := d.component(seg[1+2*i])
		if c == nil {
			return corrupt("scan names an unknown component")
		}
		for _, o := range sp.comps {
			if o == c {
				return corrupt("component twice in a scan")
			}
		}
		c.td, c.ta = seg[2+2*i]>>4, seg[2+2*i]&15
		if c.td > 3 || c.ta > 3 {
			return corrupt("bad Huffman table selector")
		}
		sp.comps = append(sp.comps, c)
		blocks += c.h * c.v
	}
	if ns > 1 && blocks > 10 {
		return corrupt("too many blocks in an MCU")
	}
	if err := d.startScan(&sp); err != nil {
		return err
	}
	d.scans++
	return d.decodeScan(&sp)
}

func (d *decoder) component(id uint8) *component {
	for i := range d.comps {
		if d.comps[i].id == id {
			return &d.comps[i]
		}
	}
	return nil
}

// startScan validates the scan against the frame, allocates sample or
// coefficient memory on the first scan, and checks the tables it needs.
func (d *decoder) startScan(sp *scanParams) error {
	if d.scans == 0 {
		d.multiScan = d.progressive || len(sp.comps) < len(d.comps)
		for i := range d.comps {
			c := &d.comps[i]
			if d.multiScan {
				c.coefs = make([]int16, c.bw*c.bh*64)
			} else {
				c.plane = make([]uint8, c.bw*c.bh*64)
			}
		}
	} else if !d.multiScan {
		return corrupt("scan after a complete single-scan image")
	}
	if !d.progressive {
		sp.ss, sp.se, sp.ah, sp.al = 0, 63, 0, 0
	} else if err := d.checkProgression(sp); err != nil {
		return err
	}
	for _, c := range sp.comps {
		if !d.qtDefined[c.tq] {
			return corrupt("missing quantisation table")
		}
		needDC := sp.ss == 0 && (sp.ah == 0 || !d.progressive)
		needAC := sp.se > 0
		if (needDC && !d.dc[c.td].defined) || (needAC && !d.ac[c.ta].defined) {
			return corrupt("missing Huffman table")
		}
	}
	return nil
}

// checkProgression applies T.81 G.1.1.1.1's constraints on progressive
// scans (libjpeg refuses the same ones) and records which coefficient bits
// have been sent.
func (d *decoder) checkProgression(sp *scanParams) error {
	if sp.ss == 0 {
		if sp.se != 0 {
			return corrupt("DC scan with AC coefficients")
		}
	} else if sp.se < sp.ss || sp.se > 63 || len(sp.comps) != 1 {
		return corrupt("bad AC scan")
	}
	if (sp.ah != 0 && sp.al != sp.ah-1) || sp.al > 13 {
		return corrupt("bad successive approximation")
	}
	for _, c := range sp.comps {
		for k := sp.ss; k <= sp.se && k < len(c.coefBits); k++ {
			c.coefBits[k] = int8(sp.al)
		}
	}
	return nil
}

// decodeScan decodes the entropy-coded segment that starts at d.pos.
func (d *decoder) decodeScan(sp *scanParams) error {
	d.br = bitReader{data: d.data, pos: d.pos}
	d.resetPredictors()
	mx, my := d.mcusX, d.mcusY
	if len(sp.comps) == 1 { // non-interleaved: one block per MCU
		mx, my = ceilDiv(sp.comps[0].cw, 8), ceilDiv(sp.comps[0].ch, 8)
	}
	var blk [64]int16
	for m, rst := 0, 0; m < mx*my; m++ {
		if d.restart > 0 && m > 0 && m%d.restart == 0 {
			if err := d.expectRestart(rst); err != nil {
				return err
			}
			rst = (rst + 1) & 7
		}
		x, y := m%mx, m/mx
		for _, c := range sp.comps {
			bh, bv := c.h, c.v
			if len(sp.comps) == 1 {
				bh, bv = 1, 1
			}
			for by := 0; by < bv; by++ {
				for bx := 0; bx < bh; bx++ {
					if err := d.decodeBlock(sp, c, x*bh+bx, y*bv+by, &blk); err != nil {
						return err
					}
				}
			}
		}
		if d.br.overrun() {
			return corrupt("entropy-coded data ends early")
		}
	}
	d.pos = d.br.markerPos()
	return nil
}

func (d *decoder) resetPredictors() {
	for i := range d.comps {
		d.comps[i].dcPred = 0
	}
	d.eobrun = 0
}

// markerPos discards what is left of the entropy-coded data (libjpeg skips
// extraneous bytes with a warning) and returns the position of the marker
// that ends it.
func (r *bitReader) markerPos() int {
	for !r.marker {
		r.acc, r.n, r.fake = 0, 0, 0
		r.fill()
	}
	return r.pos
}

// expectRestart checks for restart marker RSTn after an interval and
// resets the decoder state.
func (d *decoder) expectRestart(n int) error {
	pos := d.br.markerPos()
	for pos < len(d.data) && d.data[pos] == 0xFF {
		pos++
	}
	if pos >= len(d.data) || d.data[pos] != byte(mRST0+n) {
		return corrupt("missing restart marker")
	}
	d.br.restart(pos + 1)
	d.resetPredictors()
	return nil
}

// decodeBlock decodes block (bx, by) of c: into the coefficient buffer
// when coefficients are buffered, else into blk and straight to samples.
func (d *decoder) decodeBlock(sp *scanParams, c *component, bx, by int, blk *[64]int16) error {
	if !d.multiScan {
		*blk = [64]int16{}
		if err := d.decodeSequential(c, blk); err != nil {
			return err
		}
		if bx*8 < c.cw && by*8 < c.ch { // padding blocks are never shown
			stride := c.bw * 8
			idctBlock(blk, &d.qt[c.tq], c.plane[by*8*stride+bx*8:], stride)
		}
		return nil
	}
	coefs := (*[64]int16)(c.coefs[(by*c.bw+bx)*64:])
	switch {
	case !d.progressive:
		return d.decodeSequential(c, coefs)
	case sp.ss == 0 && sp.ah == 0:
		return d.decodeDCFirst(c, coefs, sp.al)
	case sp.ss == 0:
		if d.br.bit() {
			coefs[0] |= 1 << sp.al
		}
		return nil
	case sp.ah == 0:
		return d.decodeACFirst(c, coefs, sp)
	}
	return d.decodeACRefine(c, coefs, sp)
}

// decodeDC decodes a DC difference and updates the predictor (F.2.2.1).
func (d *decoder) decodeDC(c *component) (int32, error) {
	s, err := d.br.decode(&d.dc[c.td])
	if err != nil {
		return 0, err
	}
	if s > 15 {
		return 0, corrupt("bad DC magnitude")
	}
	c.dcPred += d.br.receiveExtend(uint(s))
	return c.dcPred, nil
}

// decodeSequential decodes one baseline block (F.2.2).
func (d *decoder) decodeSequential(c *component, blk *[64]int16) error {
	dc, err := d.decodeDC(c)
	if err != nil {
		return err
	}
	blk[0] = int16(dc)
	t := &d.ac[c.ta]
	for k := 1; k < 64; k++ {
		rs, err := d.br.decode(t)
		if err != nil {
			return err
		}
		r, s := int(rs>>4), uint(rs&15)
		if s == 0 {
			if r != 15 {
				break
			}
			k += 15
			continue
		}
		k += r
		blk[zigzag[min(k, 79)]] = int16(d.br.receiveExtend(s))
	}
	return nil
}

// decodeDCFirst decodes the first DC scan of a progressive image (G.1.2.1).
func (d *decoder) decodeDCFirst(c *component, blk *[64]int16, al int) error {
	dc, err := d.decodeDC(c)
	if err != nil {
		return err
	}
	blk[0] = int16(dc << al)
	return nil
}

// decodeACFirst decodes the first scan of a band of AC coefficients, with
// end-of-band runs (G.1.2.2).
func (d *decoder) decodeACFirst(c *component, blk *[64]int16, sp *scanParams) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	t := &d.ac[c.ta]
	for k := sp.ss; k <= sp.se; k++ {
		rs, err := d.br.decode(t)
		if err != nil {
			return err
		}
		r, s := int(rs>>4), uint(rs&15)
		if s == 0 {
			if r == 15 {
				k += 15
				continue
			}
			d.eobrun = 1<<r - 1
			if r > 0 {
				d.eobrun += d.br.bits(uint(r))
			}
			break
		}
		k += r
		blk[zigzag[min(k, 79)]] = int16(d.br.receiveExtend(s) << sp.al)
	}
	return nil
}

// decodeACRefine adds one bit of precision to a band of AC coefficients
// and places the coefficients that become non-zero (G.1.2.3).
func (d *decoder) decodeACRefine(c *component, blk *[64]int16, sp *scanParams) error {
	p1, m1 := int16(1)<<sp.al, int16(-1)<<sp.al
	k := sp.ss
	if d.eobrun == 0 {
		t := &d.ac[c.ta]
		for ; k <= sp.se; k++ {
			rs, err := d.br.decode(t)
			if err != nil {
				return err
			}
			r, s := int(rs>>4), int(rs&15)
			var val int16
			if s != 0 {
				if s != 1 {
					return corrupt("bad refinement magnitude")
				}
				val = m1
				if d.br.bit() {
					val = p1
				}
			} else if r != 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun += d.br.bits(uint(r))
				}
				break
			}
			// Skip r zero coefficients, refining the non-zero ones passed.
			for ; k <= sp.se; k++ {
				coef := &blk[zigzag[k]]
				if *coef != 0 {
					d.refine(coef, p1, m1)
				} else {
					if r == 0 {
						break
					}
					r--
				}
			}
			if val != 0 {
				blk[zigzag[min(k, 79)]] = val
			}
		}
	}
	if d.eobrun > 0 {
		for ; k <= sp.se; k++ {
			if coef := &blk[zigzag[k]]; *coef != 0 {
				d.refine(coef, p1, m1)
			}
		}
		d.eobrun--
	}
	return nil
}

// refine applies one correction bit to a non-zero coefficient.
func (d *decoder) refine(coef *int16, p1, m1 int16) {
	if d.br.bit() && *coef&p1 == 0 {
		if *coef >= 0 {
			*coef += p1
		} else {
			*coef += m1
		}
	}
}
