package jpeg

// Entropy decoding: a 64-bit MSB-first bit buffer over the entropy-coded
// segment and Huffman tables with a 9-bit lookahead, following libjpeg's
// jdhuff.c semantics (table validation, code-length limit, what happens at a
// marker) so that damaged files behave as libjpeg-turbo does where that is
// cheap to reproduce.

const lookBits = 9

// huffTable is one decoded DHT table.
type huffTable struct {
	// lut[peek 9 bits] = length<<8 | symbol, or 0 when the code is longer
	// than 9 bits.
	lut [1 << lookBits]uint16
	// maxcode[l] is the largest code of length l (-1 if none); valoff[l]
	// maps a code of length l to its index in vals (libjpeg's derived
	// table, F.2.2.3).
	maxcode [18]int32
	valoff  [18]int32
	vals    [256]uint8
	// ac[peek 9 bits], for AC tables only: codes whose length plus the
	// magnitude bits fit in 9 bits, pre-decoded as
	// value<<16 | run<<8 | total length (0 = use the slow path).
	ac [1 << lookBits]int32
}

// build derives the lookup tables from counts (BITS, 16 entries) and
// symbols, rejecting what libjpeg's jpeg_make_d_derived_tbl rejects.
func (t *huffTable) build(counts *[16]uint8, syms []uint8, isDC bool) error {
	var size [257]uint8
	var code [257]uint32
	p := 0
	for l := 1; l <= 16; l++ {
		n := int(counts[l-1])
		if p+n > 256 {
			return formatError("Huffman table has more than 256 codes")
		}
		for ; n > 0; n-- {
			size[p] = uint8(l)
			p++
		}
	}
	nsym := p
	if len(syms) < nsym {
		return formatError("Huffman table is short")
	}
	c := uint32(0)
	si := uint8(1)
	if nsym > 0 {
		si = size[0]
	}
	for p = 0; size[p] != 0; {
		for size[p] == si {
			code[p] = c
			p++
			c++
		}
		if c >= 1<<si {
			return formatError("bad Huffman table (code lengths overflow)")
		}
		c <<= 1
		si++
	}
	p = 0
	for l := 1; l <= 16; l++ {
		if n := int(counts[l-1]); n > 0 {
			t.valoff[l] = int32(p) - int32(code[p])
			p += n
			t.maxcode[l] = int32(code[p-1])
		} else {
			t.maxcode[l] = -1
		}
	}
	t.valoff[17] = 0
	t.maxcode[17] = 0xFFFFF
	copy(t.vals[:], syms[:nsym])
	for i := nsym; i < 256; i++ {
		t.vals[i] = 0
	}
	for i := range t.lut {
		t.lut[i] = 0
		t.ac[i] = 0
	}
	p = 0
	for l := 1; l <= lookBits; l++ {
		for i := 0; i < int(counts[l-1]); i, p = i+1, p+1 {
			look := int(code[p]) << (lookBits - l)
			for k := 0; k < 1<<(lookBits-l); k++ {
				t.lut[look+k] = uint16(l)<<8 | uint16(t.vals[p])
			}
		}
	}
	if isDC {
		for _, s := range t.vals[:nsym] {
			if s > 15 {
				return formatError("bad Huffman table (DC symbol > 15)")
			}
		}
		return nil
	}
	// AC fast table: run/size symbol plus its magnitude bits in 9 bits.
	for i := range t.ac {
		v := t.lut[i]
		if v == 0 {
			continue
		}
		l := int(v >> 8)
		sym := int(v & 0xff)
		r, s := sym>>4, sym&15
		if s == 0 || l+s > lookBits {
			continue
		}
		bits := (i >> (lookBits - l - s)) & (1<<s - 1)
		val := extend(int32(bits), uint(s))
		t.ac[i] = val<<16 | int32(r)<<8 | int32(l+s)
	}
	return nil
}

// extend is HUFF_EXTEND: the signed value of s magnitude bits.
func extend(v int32, s uint) int32 {
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// bitReader reads the entropy-coded data of one scan. acc holds n valid
// bits, MSB first; bits below them are zero. At a marker (or the end of the
// data) it feeds zero bits, as libjpeg does; fake counts how many of the
// low valid bits are such padding, so a decoder can tell afterwards that it
// used bits that were not in the file (libjpeg's insufficient_data).
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64
	n      uint
	fake   uint
	marker bool // stopped at a marker (data[pos] == 0xFF)
	eof    bool // stopped at the end of the data
	err    error
}

// fill tops the buffer up to at least 57 valid bits.
func (b *bitReader) fill() {
	for b.n <= 56 {
		if b.marker || b.eof {
			// zero bits (libjpeg: "premature end of data segment")
			b.fake += 64 - b.n
			b.n = 64
			return
		}
		if b.pos >= len(b.data) {
			b.eof = true
			continue
		}
		c := b.data[b.pos]
		if c == 0xFF {
			// 0xFF 0x00 is a stuffed 0xFF; 0xFF 0xFF... is fill before a
			// marker; anything else is a marker.
			if b.pos+1 >= len(b.data) {
				b.eof = true
				continue
			}
			if b.data[b.pos+1] != 0 {
				b.marker = true
				continue
			}
			b.pos += 2
		} else {
			b.pos++
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether padding bits were consumed.
func (b *bitReader) overrun() bool { return b.n < b.fake }

func (b *bitReader) reset() {
	b.acc, b.n, b.fake = 0, 0, 0
}

func (b *bitReader) getBit() bool {
	if b.n < 1 {
		b.fill()
	}
	v := b.acc >> 63
	b.acc <<= 1
	b.n--
	return v != 0
}

// decode reads one Huffman symbol. A code that matches nothing in 16 bits
// sets b.err (libjpeg warns and uses symbol 0; we refuse the file).
func (b *bitReader) decode(t *huffTable) uint8 {
	if b.n < 16 {
		b.fill()
	}
	if v := t.lut[b.acc>>(64-lookBits)]; v != 0 {
		l := uint(v >> 8)
		b.acc <<= l
		b.n -= l
		return uint8(v)
	}
	// slow path: codes longer than lookBits (jpeg_huff_decode)
	l := uint(lookBits + 1)
	code := int32(b.acc >> (64 - l))
	for l <= 16 && code > t.maxcode[l] {
		l++
		code = int32(b.acc >> (64 - l))
	}
	if l > 16 {
		if b.err == nil {
			b.err = formatError("bad Huffman code")
		}
		b.acc <<= 16
		b.n -= 16
		return 0
	}
	b.acc <<= l
	b.n -= l
	return t.vals[(code+t.valoff[l])&0xff]
}

// refill is fill for a hot loop that keeps acc and n in locals.
func (b *bitReader) refill(acc uint64, n uint) (uint64, uint) {
	b.acc, b.n = acc, n
	b.fill()
	return b.acc, b.n
}

// dec is decode on local state (n ≥ 16 required): the lookahead table
// inline, the long codes out of line.
func (t *huffTable) dec(b *bitReader, acc uint64, n uint) (uint64, uint, uint8) {
	if v := t.lut[acc>>(64-lookBits)]; v != 0 {
		l := uint(v >> 8)
		return acc << l, n - l, uint8(v)
	}
	b.acc, b.n = acc, n
	s := b.decode(t)
	return b.acc, b.n, s
}
