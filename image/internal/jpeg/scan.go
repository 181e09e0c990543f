package jpeg

import "math/bits"

// Scans: SOS parsing, the MCU loop with restart intervals, and the block
// decoders for sequential and progressive (spectral selection and
// successive approximation) scans, as in libjpeg's jdhuff.c / jdphuff.c.

type scan struct {
	n          int
	comp       [4]int // indices into d.comps
	ss, se     int
	ah, al     uint
	interleave bool
}

// decodeRest reads scans until EOI, then runs the IDCT (progressive) and
// the upsampling / colour conversion.
func (d *decoder) decodeRest(o Options) (*Image, error) {
	d.allocate()
	for {
		m := d.nextMarker()
		switch {
		case m < 0:
			// Pillow returns a single-scan sequential image whose EOI is
			// missing (the scanlines are out before EOI is read); buffered
			// (multi-scan) decoding needs EOI, else "image file is truncated".
			if d.scans > 0 && !d.progressive && d.firstAll {
				return d.finish(o)
			}
			return nil, formatError("truncated file (no EOI)")
		case m == 0xD9:
			if d.scans == 0 {
				return nil, formatError("no image data (EOI before SOS)")
			}
			return d.finish(o)
		case m >= 0xD0 && m <= 0xD7, m == 0x01:
			continue
		}
		s, err := d.segment()
		if err != nil {
			return nil, err
		}
		switch {
		case m == 0xDA:
			sc, err := d.parseSOS(s)
			if err != nil {
				return nil, err
			}
			if err := d.decodeScan(sc); err != nil {
				return nil, err
			}
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			return nil, formatError("more than one SOF marker")
		default:
			if err := d.parseTable(m, s); err != nil {
				return nil, err
			}
		}
	}
}

func (d *decoder) allocate() {
	d.mcusX = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcusY = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		c.cw = (d.width*c.h + d.hmax - 1) / d.hmax
		c.ch = (d.height*c.v + d.vmax - 1) / d.vmax
		c.rbw = (c.cw + 7) / 8
		c.rbh = (c.ch + 7) / 8
		c.bw = d.mcusX * c.h
		c.bh = d.mcusY * c.v
		for k := range c.coefBits {
			c.coefBits[k] = -1
		}
		c.plane = getPlane(c.bw * c.bh * 64)
		if d.progressive {
			c.coefs = getCoefs(c.bw * c.bh * 64)
			c.nz = make([]uint64, c.bw*c.bh)
		}
	}
}

func (d *decoder) release() {
	for i := 0; i < d.ncomp; i++ {
		putPlane(d.comps[i].plane)
		putCoefs(d.comps[i].coefs)
		d.comps[i].plane, d.comps[i].coefs = nil, nil
	}
}

func (d *decoder) parseSOS(s []byte) (*scan, error) {
	if len(s) < 1 {
		return nil, formatError("bad SOS length")
	}
	sc := &scan{n: int(s[0])}
	if sc.n < 1 || sc.n > 4 || len(s) != 4+2*sc.n {
		return nil, formatError("bad SOS length")
	}
	blocks := 0
	for i := 0; i < sc.n; i++ {
		id := s[1+2*i]
		ci := -1
		for j := 0; j < d.ncomp; j++ {
			if d.comps[j].id == id {
				ci = j
			}
		}
		if ci < 0 {
			return nil, formatError("SOS names an unknown component")
		}
		for j := 0; j < i; j++ {
			if sc.comp[j] == ci {
				return nil, formatError("SOS names a component twice")
			}
		}
		sc.comp[i] = ci
		c := &d.comps[ci]
		c.dcT, c.acT = s[2+2*i]>>4, s[2+2*i]&15
		if c.dcT > 3 || c.acT > 3 {
			return nil, formatError("bad Huffman table selector")
		}
		blocks += c.h * c.v
	}
	sc.interleave = sc.n > 1
	if sc.interleave && blocks > 10 {
		return nil, formatError("MCU has more than 10 blocks")
	}
	p := 1 + 2*sc.n
	sc.ss, sc.se = int(s[p]), int(s[p+1])
	sc.ah, sc.al = uint(s[p+2]>>4), uint(s[p+2]&15)
	if d.progressive {
		// jdphuff.c start_pass_phuff_decoder: a bad progression is fatal
		bad := false
		if sc.ss == 0 {
			bad = sc.se != 0
		} else {
			bad = sc.se < sc.ss || sc.se > 63 || sc.n != 1
		}
		if sc.ah != 0 && sc.al != sc.ah-1 || sc.al > 13 {
			bad = true
		}
		if bad {
			return nil, formatError("invalid progressive scan parameters")
		}
	}
	// latch quantization tables and check Huffman tables (jdinput.c,
	// jdhuff.c): a missing table is fatal for the tables a scan uses
	for i := 0; i < sc.n; i++ {
		c := &d.comps[sc.comp[i]]
		if !c.latched {
			if !d.qtSet[c.tq] {
				return nil, formatError("missing quantization table")
			}
			c.q = d.qt[c.tq]
			c.latched = true
		}
		// progressive: DC first scans use the DC table, DC refinements none,
		// every AC scan (first and refine) the AC table
		needDC := !d.progressive || sc.ss == 0 && sc.ah == 0
		needAC := !d.progressive || sc.ss != 0
		if needDC && !d.dcSet[c.dcT] {
			return nil, formatError("missing or bad DC Huffman table")
		}
		if needAC && !d.acSet[c.acT] {
			return nil, formatError("missing or bad AC Huffman table")
		}
	}
	if d.scans == 0 {
		d.firstAll = sc.n == d.ncomp
	}
	d.scans++
	return sc, nil
}

// decodeScan decodes the entropy-coded data at d.pos and leaves d.pos
// after the data read.
func (d *decoder) decodeScan(sc *scan) error {
	br := &d.br
	*br = bitReader{data: d.data, pos: d.pos}
	mx, my := d.mcusX, d.mcusY
	if !sc.interleave {
		c := &d.comps[sc.comp[0]]
		mx, my = c.rbw, c.rbh
	}
	for i := 0; i < sc.n; i++ {
		d.comps[sc.comp[i]].pred = 0
		d.comps[sc.comp[i]].scanned = true
	}
	d.eobrun = 0
	togo := d.ri
	nextRST := 0
	insufficient := false
	var blk [64]int16
	for y := 0; y < my; y++ {
		for x := 0; x < mx; x++ {
			if d.ri > 0 {
				if togo == 0 {
					if err := d.restart(nextRST); err != nil {
						return err
					}
					nextRST = (nextRST + 1) & 7
					for i := 0; i < sc.n; i++ {
						d.comps[sc.comp[i]].pred = 0
					}
					d.eobrun = 0
					insufficient = false
					togo = d.ri
				}
				togo--
			}
			if insufficient {
				// libjpeg leaves the rest of the segment's MCUs zero
				// (uniform grey for sequential; unchanged coefficients
				// for progressive)
				if !d.progressive {
					d.zeroMCU(sc, x, y)
				}
				continue
			}
			if d.progressive {
				d.progressiveMCU(sc, x, y)
			} else {
				d.sequentialMCU(sc, x, y, &blk)
			}
			if br.err != nil {
				return br.err
			}
			if br.overrun() {
				if br.eof {
					return formatError("truncated scan data")
				}
				insufficient = true
			}
		}
	}
	d.pos = br.pos
	if d.progressive {
		for i := 0; i < sc.n; i++ {
			c := &d.comps[sc.comp[i]]
			for k := sc.ss; k <= sc.se; k++ {
				c.coefBits[k] = int8(sc.al)
			}
		}
	}
	return nil
}

// restart consumes the expected RSTn marker (libjpeg read_restart_marker;
// its resynchronisation heuristics for a wrong marker are not reproduced:
// a missing or out-of-order RST is an error).
func (d *decoder) restart(n int) error {
	br := &d.br
	d.pos = br.pos
	m := d.nextMarker()
	if m != 0xD0+n {
		return formatError("missing or out-of-order restart marker")
	}
	br.pos = d.pos
	br.reset()
	br.marker, br.eof = false, false
	return nil
}

func (d *decoder) sequentialMCU(sc *scan, mx, my int, blk *[64]int16) {
	br := &d.br
	for i := 0; i < sc.n; i++ {
		c := &d.comps[sc.comp[i]]
		dcT, acT := &d.dc[c.dcT], &d.ac[c.acT]
		stride := c.bw * 8
		hb, vb := c.h, c.v
		bx0, by0 := mx*hb, my*vb
		if !sc.interleave {
			hb, vb, bx0, by0 = 1, 1, mx, my
		}
		for by := 0; by < vb; by++ {
			for bx := 0; bx < hb; bx++ {
				// blk is all zero here (cleared after each IDCT)
				acc, n := br.acc, br.n
				if n < 32 {
					acc, n = br.refill(acc, n)
				}
				var s uint8
				acc, n, s = dcT.dec(br, acc, n)
				if s != 0 {
					v := int32(acc >> (64 - uint(s)))
					acc <<= s
					n -= uint(s)
					c.pred += extend(v, uint(s))
				}
				blk[0] = int16(c.pred)
				ac := false
				for k := 1; k < 64; k++ {
					if n < 32 {
						acc, n = br.refill(acc, n)
					}
					if v := acT.ac[acc>>(64-lookBits)]; v != 0 {
						// short code and value in one lookup
						k += int(v>>8) & 15
						l := uint(v & 0xff)
						acc <<= l
						n -= l
						blk[unzig[k&127]&63] = int16(v >> 16)
						ac = true
						continue
					}
					var rs uint8
					acc, n, rs = acT.dec(br, acc, n)
					r, s := int(rs>>4), uint(rs&15)
					if s != 0 {
						k += r
						v := int32(acc >> (64 - s))
						acc <<= s
						n -= s
						blk[unzig[k&127]&63] = int16(extend(v, s))
						ac = true
					} else {
						if r != 15 {
							break
						}
						k += 15
					}
				}
				br.acc, br.n = acc, n
				off := (by0+by)*8*stride + (bx0+bx)*8
				if !ac {
					idctDC(c.plane[off:], stride, blk[0], c.q[0])
					blk[0] = 0
					continue
				}
				idctBlock(c.plane[off:], stride, blk, &c.q)
				*blk = [64]int16{}
			}
		}
	}
}

// zeroMCU writes the samples of all-zero blocks (128) for an MCU that
// libjpeg skips after the data ran out.
func (d *decoder) zeroMCU(sc *scan, mx, my int) {
	for i := 0; i < sc.n; i++ {
		c := &d.comps[sc.comp[i]]
		stride := c.bw * 8
		hb, vb := c.h, c.v
		bx0, by0 := mx*hb, my*vb
		if !sc.interleave {
			hb, vb, bx0, by0 = 1, 1, mx, my
		}
		for by := 0; by < vb; by++ {
			for r := 0; r < 8; r++ {
				row := c.plane[((by0+by)*8+r)*stride+bx0*8:]
				for x := 0; x < hb*8; x++ {
					row[x] = 128
				}
			}
		}
	}
}

func (d *decoder) progressiveMCU(sc *scan, mx, my int) {
	for i := 0; i < sc.n; i++ {
		c := &d.comps[sc.comp[i]]
		hb, vb := c.h, c.v
		bx0, by0 := mx*hb, my*vb
		if !sc.interleave {
			hb, vb, bx0, by0 = 1, 1, mx, my
		}
		for by := 0; by < vb; by++ {
			for bx := 0; bx < hb; bx++ {
				bi := (by0+by)*c.bw + bx0 + bx
				blk := (*[64]int16)(c.coefs[bi*64 : bi*64+64])
				switch {
				case sc.ss == 0 && sc.ah == 0:
					d.dcFirst(c, blk, sc.al)
				case sc.ss == 0:
					if d.br.getBit() {
						blk[0] |= int16(1 << sc.al)
					}
				case sc.ah == 0:
					d.acFirst(c, blk, &c.nz[bi], sc)
				default:
					d.acRefine(c, blk, &c.nz[bi], sc)
				}
			}
		}
	}
}

func (d *decoder) dcFirst(c *component, blk *[64]int16, al uint) {
	br := &d.br
	acc, n := br.acc, br.n
	if n < 32 {
		acc, n = br.refill(acc, n)
	}
	var s uint8
	acc, n, s = d.dc[c.dcT&3].dec(br, acc, n)
	if s != 0 {
		v := int32(acc >> (64 - uint(s)))
		acc <<= s
		n -= uint(s)
		c.pred += extend(v, uint(s))
	}
	br.acc, br.n = acc, n
	blk[0] = int16(c.pred << al)
}

// acFirst and acRefine also keep nz, the block's nonzero AC coefficients
// as a bit per zigzag index, so that a refinement inside an EOB run visits
// only those instead of testing every coefficient of the band.
func (d *decoder) acFirst(c *component, blk *[64]int16, nz *uint64, sc *scan) {
	if d.eobrun > 0 {
		d.eobrun--
		return
	}
	br := &d.br
	t := &d.ac[c.acT&3]
	acc, n := br.acc, br.n
	for k := sc.ss; k <= sc.se; k++ {
		if n < 32 {
			acc, n = br.refill(acc, n)
		}
		var rs uint8
		acc, n, rs = t.dec(br, acc, n)
		r, s := int(rs>>4), uint(rs&15)
		if s != 0 {
			k += r
			v := int32(acc >> (64 - s))
			acc <<= s
			n -= s
			blk[unzig[k&127]&63] = int16(extend(v, s) << sc.al)
			*nz |= 1 << min(k, 63)
		} else {
			if r == 15 {
				k += 15
				continue
			}
			d.eobrun = 1 << r
			if r != 0 {
				d.eobrun += int32(acc >> (64 - uint(r)))
				acc <<= uint(r)
				n -= uint(r)
			}
			d.eobrun--
			break
		}
	}
	br.acc, br.n = acc, n
}

// acRefine is jdphuff.c decode_mcu_AC_refine for one block.
func (d *decoder) acRefine(c *component, blk *[64]int16, nz *uint64, sc *scan) {
	br := &d.br
	t := &d.ac[c.acT&3]
	p1 := int16(1) << sc.al
	m1 := int16(-1) << sc.al
	k, se := sc.ss, sc.se
	acc, n := br.acc, br.n
	if d.eobrun == 0 {
		for ; k <= se; k++ {
			if n < 32 {
				acc, n = br.refill(acc, n)
			}
			var rs uint8
			acc, n, rs = t.dec(br, acc, n)
			r, s := int(rs>>4), rs&15
			var nv int16
			if s != 0 {
				// s should be 1 (libjpeg warns otherwise and goes on);
				// n ≥ 16 here
				if acc>>63 != 0 {
					nv = p1
				} else {
					nv = m1
				}
				acc <<= 1
				n--
			} else if r != 15 {
				d.eobrun = 1 << r
				if r != 0 {
					d.eobrun += int32(acc >> (64 - uint(r)))
					acc <<= uint(r)
					n -= uint(r)
				}
				break
			}
			// skip r zero coefficients, refining the nonzero ones passed
			// (libjpeg's coefficient-by-coefficient loop, done on the
			// masks): stop at the (r+1)-th zero in [k, se], or at se+1
			zm := ^*nz & band(k, se)
			for ; r > 0 && zm != 0; r-- {
				zm &= zm - 1
			}
			stop := se + 1
			if zm != 0 {
				stop = bits.TrailingZeros64(zm)
			}
			for m := *nz & band(k, stop-1); m != 0; m &= m - 1 {
				z := &blk[unzig[bits.TrailingZeros64(m)]&63]
				if n == 0 {
					acc, n = br.refill(acc, n)
				}
				if acc>>63 != 0 && *z&p1 == 0 {
					if *z >= 0 {
						*z += p1
					} else {
						*z += m1
					}
				}
				acc <<= 1
				n--
			}
			k = stop
			if nv != 0 {
				blk[unzig[k&127]&63] = nv
				*nz |= 1 << min(k, 63)
			}
		}
	}
	if d.eobrun > 0 && k <= se {
		// only the nonzero coefficients in [k, se] get a correction bit
		m := *nz & band(k, se)
		for m != 0 {
			j := bits.TrailingZeros64(m)
			m &= m - 1
			z := &blk[unzig[j]&63]
			if n == 0 {
				acc, n = br.refill(acc, n)
			}
			if acc>>63 != 0 && *z&p1 == 0 {
				if *z >= 0 {
					*z += p1
				} else {
					*z += m1
				}
			}
			acc <<= 1
			n--
		}
	}
	if d.eobrun > 0 {
		d.eobrun--
	}
	br.acc, br.n = acc, n
}

// smoothingUsed is jdcoefct.c smoothing_ok after the last scan: libjpeg
// smooths a progressive image whose first nine AC coefficients are not all
// fully refined.
func (d *decoder) smoothingUsed() bool {
	if !d.progressive {
		return false
	}
	useful := false
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		if !c.latched {
			return false
		}
		for _, z := range [...]int{0, 1, 8, 16, 9, 2, 3, 10, 17, 24} {
			if c.q[z] == 0 {
				return false
			}
		}
		if c.coefBits[0] < 0 {
			return false
		}
		for k := 1; k < 10; k++ {
			if c.coefBits[k] != 0 {
				useful = true
			}
		}
	}
	return useful
}

// finish turns the decoded planes into the output image.
func (d *decoder) finish(o Options) (*Image, error) {
	defer d.release()
	if d.smoothingUsed() {
		return nil, UnsupportedError("progressive file needing libjpeg block smoothing")
	}
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		stride := c.bw * 8
		if d.progressive {
			for by := 0; by < c.rbh; by++ {
				for bx := 0; bx < c.rbw; bx++ {
					bi := by*c.bw + bx
					if c.nz[bi] == 0 {
						idctDC(c.plane[by*8*stride+bx*8:], stride, c.coefs[bi*64], c.q[0])
						continue
					}
					idctBlock(c.plane[by*8*stride+bx*8:], stride, (*[64]int16)(c.coefs[bi*64:bi*64+64]), &c.q)
				}
			}
		} else if !c.scanned {
			for j := range c.plane {
				c.plane[j] = 128
			}
		}
	}
	return d.convert(o), nil
}

// band is the mask of zigzag positions a..b (empty if b < a).
func band(a, b int) uint64 {
	if b < a {
		return 0
	}
	return (^uint64(0) << uint(a)) & (^uint64(0) >> uint(63-b))
}
