// Package jpeg is tokenfab's JPEG decoder: baseline (SOF0/SOF1) and
// progressive (SOF2) Huffman-coded 8-bit files with 1, 3 or 4 components,
// sampling factors 1..4 in integral ratios to the largest (libjpeg refuses
// the others too), restart intervals, interleaved and
// non-interleaved scans. Its output is bit-exact with libjpeg-turbo 3.x as
// Pillow uses it (JDCT_ISLOW, do_fancy_upsampling, jdcolor.c fixed-point
// YCbCr→RGB, Adobe CMYK/YCCK delivered as Pillow's inverted "CMYK;I").
//
// Not supported (Decode returns an UnsupportedError): arithmetic coding,
// lossless (SOF3), hierarchical, 12/16-bit samples, 2-component or >4
// component files, and progressive files that leave some of the first nine
// AC coefficients unrefined, for which libjpeg-turbo applies block
// smoothing (jdcoefct.c smoothing_ok).
package jpeg

import "errors"

// FormatError: the data is not a valid JPEG (or is truncated).
type FormatError string

func (e FormatError) Error() string { return "jpeg: " + string(e) }

// UnsupportedError: a valid JPEG feature this decoder does not implement.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "jpeg: unsupported: " + string(e) }

// ErrTooManyPixels is returned when width·height exceeds Options.MaxPixels.
var ErrTooManyPixels = errors.New("jpeg: image has more pixels than allowed")

func formatError(s string) error { return FormatError(s) }

// maxDimension is libjpeg's JPEG_MAX_DIMENSION.
const maxDimension = 65500

// unzig maps zigzag index to natural order, with libjpeg's 16 extra entries
// (jpeg_natural_order[64..79] = 63) so that a corrupt run past the end of a
// block lands on coefficient 63, as in libjpeg, instead of out of range.
// It is 128 long (all extras 63) so that unzig[k&127] needs no bounds check.
var unzig = [128]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
}

type component struct {
	id      uint8
	h, v    int   // sampling factors
	tq      uint8 // quantization table selector
	q       [64]uint16
	latched bool // q copied at the component's first scan (libjpeg latch_quant_tables)
	cw, ch  int  // downsampled size in samples (libjpeg downsampled_width/height)
	bw, bh  int  // blocks in the MCU-padded grid
	rbw     int  // blocks per row in a non-interleaved scan: ceil(cw/8)
	rbh     int
	plane   []uint8  // bw*8 × bh*8 samples
	coefs   []int16  // progressive only: bw*bh blocks of 64, natural order
	nz      []uint64 // progressive only: per block, bit k = zigzag AC coefficient k is nonzero
	scanned bool
	pred    int32
	// coefBits[k]: the Al of the last scan that coded coefficient k, -1 if
	// none (libjpeg's coef_bits, for the block-smoothing decision).
	coefBits [64]int8
	dcT, acT uint8
}

type decoder struct {
	data        []byte
	pos         int
	width       int
	height      int
	progressive bool
	sof         bool
	ncomp       int
	comps       [4]component
	hmax, vmax  int
	mcusX       int
	mcusY       int
	qt          [4][64]uint16
	qtSet       [4]bool
	dc, ac      [4]huffTable
	dcSet       [4]bool
	acSet       [4]bool
	ri          int
	jfif        bool
	adobe       bool
	transform   uint8
	scans       int
	firstAll    bool // the first scan held every component (single-scan sequential)
	br          bitReader
	eobrun      int32
}

// Options are Decode's limits and allocator.
type Options struct {
	// MaxPixels: width·height above it gives ErrTooManyPixels before any
	// sample buffer is allocated (< 0: no limit).
	MaxPixels int64
	// Alloc, if set, provides the output buffer (its contents may be
	// arbitrary: every byte is written).
	Alloc func(n int) []uint8
}

// Image is a decoded JPEG in the mode Pillow opens it in: "L" (1 byte per
// pixel), "RGB" (3) or "CMYK" (4, Pillow's inverted Adobe convention).
// Pix is row-major, interleaved, Width·Height·channels bytes.
type Image struct {
	Width, Height int
	Mode          string
	Pix           []uint8
}

// Config is what DecodeConfig reads from the frame header.
type Config struct {
	Width, Height int
	Mode          string // "L", "RGB" or "CMYK"
	Progressive   bool
}

// DecodeConfig parses the markers up to the frame header (SOFn) and returns
// the size and mode. Errors: FormatError, UnsupportedError.
func DecodeConfig(data []byte) (Config, error) {
	d := &decoder{data: data}
	if err := d.readHeaders(true); err != nil {
		return Config{}, err
	}
	return Config{Width: d.width, Height: d.height, Mode: d.mode(), Progressive: d.progressive}, nil
}

// Decode decodes a whole JPEG file held in data. Errors: FormatError
// (corrupt or truncated: a scan cut short by a marker is zero-filled as
// libjpeg does, but running out of data is an error, as in Pillow),
// UnsupportedError (see the package doc), ErrTooManyPixels. It never panics
// on any input.
func Decode(data []byte, o Options) (*Image, error) {
	d := &decoder{data: data}
	if err := d.readHeaders(false); err != nil {
		return nil, err
	}
	if o.MaxPixels >= 0 && int64(d.width)*int64(d.height) > o.MaxPixels {
		return nil, ErrTooManyPixels
	}
	return d.decodeRest(o)
}

func (d *decoder) mode() string {
	switch d.ncomp {
	case 1:
		return "L"
	case 3:
		return "RGB"
	}
	return "CMYK"
}

func (d *decoder) u16(p int) int { return int(d.data[p])<<8 | int(d.data[p+1]) }

// nextMarker finds the next marker from d.pos, skipping any bytes before
// it (libjpeg next_marker warns about them) and 0xFF fill bytes; it returns
// the marker code with d.pos just after it, or -1 at the end of the data.
func (d *decoder) nextMarker() int {
	for {
		for d.pos < len(d.data) && d.data[d.pos] != 0xFF {
			d.pos++
		}
		for d.pos < len(d.data) && d.data[d.pos] == 0xFF {
			d.pos++
		}
		if d.pos >= len(d.data) {
			return -1
		}
		m := int(d.data[d.pos])
		d.pos++
		if m != 0 {
			return m
		}
	}
}

// segment returns the payload of a marker segment at d.pos (after its
// length field) and advances past it.
func (d *decoder) segment() ([]byte, error) {
	if d.pos+2 > len(d.data) {
		return nil, formatError("truncated marker segment")
	}
	n := d.u16(d.pos)
	if n < 2 || d.pos+n > len(d.data) {
		return nil, formatError("truncated marker segment")
	}
	s := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	return s, nil
}

// readHeaders checks SOI and reads markers up to and including the frame
// header (configOnly) or up to the first SOS (leaving d.pos at the SOS
// marker's payload and returning with d.scans == 0).
func (d *decoder) readHeaders(configOnly bool) error {
	if len(d.data) < 2 || d.data[0] != 0xFF || d.data[1] != 0xD8 {
		return formatError("missing SOI marker")
	}
	d.pos = 2
	for {
		m := d.nextMarker()
		switch {
		case m < 0:
			return formatError("no image data (end of file before SOS)")
		case m == 0xD9:
			return formatError("no image data (EOI before SOS)")
		case m == 0xDA:
			if !d.sof {
				return formatError("SOS before SOF")
			}
			d.pos -= 2 // decodeRest reads the SOS again
			return nil
		case m >= 0xD0 && m <= 0xD7, m == 0x01:
			continue // parameterless
		}
		s, err := d.segment()
		if err != nil {
			return err
		}
		switch {
		case m == 0xC0 || m == 0xC1 || m == 0xC2:
			if d.sof {
				return formatError("more than one SOF marker")
			}
			if err := d.parseSOF(s, m == 0xC2); err != nil {
				return err
			}
			if configOnly {
				return nil
			}
		case m == 0xC3:
			return UnsupportedError("lossless JPEG (SOF3)")
		case m >= 0xC5 && m <= 0xC7, m >= 0xCD && m <= 0xCF:
			return UnsupportedError("hierarchical or arithmetic-coded JPEG")
		case m >= 0xC9 && m <= 0xCB:
			return UnsupportedError("arithmetic-coded JPEG")
		default:
			if err := d.parseTable(m, s); err != nil {
				return err
			}
		}
	}
}

// parseTable handles the markers allowed between scans.
func (d *decoder) parseTable(m int, s []byte) error {
	switch {
	case m == 0xC4:
		return d.parseDHT(s)
	case m == 0xDB:
		return d.parseDQT(s)
	case m == 0xDD:
		if len(s) < 2 {
			return formatError("bad DRI length")
		}
		d.ri = int(s[0])<<8 | int(s[1])
	case m == 0xE0:
		// libjpeg examine_app0: "JFIF\0" and at least 14 bytes
		if len(s) >= 14 && string(s[:5]) == "JFIF\x00" {
			d.jfif = true
		}
	case m == 0xEE:
		// libjpeg examine_app14: "Adobe" and at least 12 bytes
		if len(s) >= 12 && string(s[:5]) == "Adobe" {
			d.adobe = true
			d.transform = s[11]
		}
	}
	// APPn, COM, DAC, DNL, JPGn and the rest: skipped
	return nil
}

func (d *decoder) parseSOF(s []byte, progressive bool) error {
	if len(s) < 6 {
		return formatError("bad SOF length")
	}
	if s[0] != 8 {
		return UnsupportedError("sample precision other than 8 bits")
	}
	d.height = int(s[1])<<8 | int(s[2])
	d.width = int(s[3])<<8 | int(s[4])
	d.ncomp = int(s[5])
	d.progressive = progressive
	if d.height == 0 {
		return UnsupportedError("height 0 (DNL marker)")
	}
	if d.width == 0 {
		return formatError("width 0")
	}
	if d.width > maxDimension || d.height > maxDimension {
		return formatError("image dimension over 65500 pixels")
	}
	switch d.ncomp {
	case 1, 3, 4:
	case 0:
		return formatError("no components")
	default:
		return UnsupportedError("component count other than 1, 3 or 4")
	}
	if len(s) != 6+3*d.ncomp {
		return formatError("bad SOF length")
	}
	d.hmax, d.vmax = 1, 1
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		c.id = s[6+3*i]
		c.h = int(s[7+3*i] >> 4)
		c.v = int(s[7+3*i] & 15)
		c.tq = s[8+3*i]
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return formatError("bad sampling factors")
		}
		if c.tq > 3 {
			return formatError("bad quantization table selector")
		}
		for j := 0; j < i; j++ {
			if d.comps[j].id == c.id {
				return formatError("duplicate component id")
			}
		}
		d.hmax = max(d.hmax, c.h)
		d.vmax = max(d.vmax, c.v)
	}
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		// libjpeg upsamples only by integral factors (jdsample.c)
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return UnsupportedError("fractional sampling factors")
		}
	}
	d.sof = true
	return nil
}

func (d *decoder) parseDQT(s []byte) error {
	for len(s) > 0 {
		pq, tq := s[0]>>4, s[0]&15
		if tq > 3 {
			return formatError("bad DQT table index")
		}
		s = s[1:]
		var q *[64]uint16 = &d.qt[tq]
		switch pq {
		case 0:
			if len(s) < 64 {
				return formatError("short DQT")
			}
			for i := 0; i < 64; i++ {
				q[unzig[i]] = uint16(s[i])
			}
			s = s[64:]
		case 1:
			if len(s) < 128 {
				return formatError("short DQT")
			}
			for i := 0; i < 64; i++ {
				q[unzig[i]] = uint16(s[2*i])<<8 | uint16(s[2*i+1])
			}
			s = s[128:]
		default:
			return formatError("bad DQT precision")
		}
		d.qtSet[tq] = true
	}
	return nil
}

func (d *decoder) parseDHT(s []byte) error {
	for len(s) > 0 {
		if len(s) < 17 {
			return formatError("short DHT")
		}
		tc, th := s[0]>>4, s[0]&15
		if tc > 1 || th > 3 {
			return formatError("bad DHT table index")
		}
		var counts [16]uint8
		copy(counts[:], s[1:17])
		n := 0
		for _, c := range counts {
			n += int(c)
		}
		if n > 256 || len(s) < 17+n {
			return formatError("bad DHT length")
		}
		syms := s[17 : 17+n]
		s = s[17+n:]
		// validated when a scan uses the table (as libjpeg does), but
		// building here is cheap and lets a scan use it directly
		var err error
		if tc == 0 {
			err = d.dc[th].build(&counts, syms, true)
			d.dcSet[th] = err == nil
		} else {
			err = d.ac[th].build(&counts, syms, false)
			d.acSet[th] = err == nil
		}
		_ = err // a bad table is an error only if a scan uses it
	}
	return nil
}
