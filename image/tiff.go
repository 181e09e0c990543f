package image

import (
	"bytes"
	"encoding/binary"
	stdimage "image"

	"golang.org/x/image/tiff"
)

// TIFF pieces x/image/tiff leaves to us: reading IFD0 tags, and PIL's
// handling of associated ("premultiplied") alpha.

const (
	tiffTagExtraSamples = 338
	tiffTagCompression  = 259
)

// tiffDir is IFD0 of a TIFF: each tag's type, count and value bytes
// (inline or at its offset), enough for the decoders here. No sub-IFDs.
type tiffDir struct {
	bo   binary.ByteOrder
	tags map[uint16]tiffEntry
}

type tiffEntry struct {
	typ   uint16
	count uint32
	val   []byte // count values of the type's size; nil if out of the file
}

var tiffTypeSize = map[uint16]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// readTIFFDir parses IFD0 (nil if the header is unreadable).
func readTIFFDir(b []byte) *tiffDir {
	if len(b) < 8 {
		return nil
	}
	d := &tiffDir{tags: map[uint16]tiffEntry{}}
	switch string(b[:2]) {
	case "II":
		d.bo = binary.LittleEndian
	case "MM":
		d.bo = binary.BigEndian
	default:
		return nil
	}
	off := int64(d.bo.Uint32(b[4:]))
	if off < 8 || off+2 > int64(len(b)) {
		return nil
	}
	n := int64(d.bo.Uint16(b[off:]))
	for i := int64(0); i < n; i++ {
		e := off + 2 + 12*i
		if e+12 > int64(len(b)) {
			break
		}
		tag, typ, count := d.bo.Uint16(b[e:]), d.bo.Uint16(b[e+2:]), d.bo.Uint32(b[e+4:])
		size := int64(tiffTypeSize[typ]) * int64(count)
		ent := tiffEntry{typ: typ, count: count}
		if size <= 4 {
			ent.val = b[e+8 : e+8+size]
		} else if p := int64(d.bo.Uint32(b[e+8:])); p+size <= int64(len(b)) {
			ent.val = b[p : p+size]
		}
		d.tags[tag] = ent
	}
	return d
}

// uints returns the SHORT/LONG values of a tag (nil if absent or of
// another type, or pointing outside the file).
func (d *tiffDir) uints(tag uint16) []uint32 {
	e, ok := d.tags[tag]
	if !ok || (e.typ != 3 && e.typ != 4) || len(e.val) != int(e.count)*tiffTypeSize[e.typ] {
		return nil
	}
	out := make([]uint32, e.count)
	for i := range out {
		switch e.typ {
		case 3:
			out[i] = uint32(d.bo.Uint16(e.val[2*i:]))
		default:
			out[i] = d.bo.Uint32(e.val[4*i:])
		}
	}
	return out
}

// first is the first SHORT/LONG value of a tag, or def.
func (d *tiffDir) first(tag uint16, def uint32) uint32 {
	if v := d.uints(tag); len(v) > 0 {
		return v[0]
	}
	return def
}

// tiffPILAlpha makes an associated-alpha RGBA TIFF (ExtraSamples = 1),
// which x/image/tiff returns as premultiplied *image.RGBA / *image.RGBA64
// holding the stored samples, look as Pillow 13 opens it: mode RGBA,
// rawmode "RGBa" / "RGBa;16{L,B,N}" (TiffImagePlugin OPEN_INFO), whose
// unpackers (Unpack.c unpackRGBa, unpackRGBa16L/B) keep only the most
// significant byte of each 16-bit sample — no rounding — and un-premultiply
// in 8 bits: with a = alpha byte, a = 0 → (0, 0, 0, 0); a = 255 → the
// colour bytes; else min(255, c·255 / a) in integer division (truncation).
// Unassociated alpha (ExtraSamples = 2, *image.NRGBA[64]) and RGB without
// alpha are left alone: toRGB's most-significant-byte rule already matches
// PIL's "RGBA;16" / "RGB;16" unpackers for them.
func tiffPILAlpha(m stdimage.Image, data []byte) stdimage.Image {
	var pix []uint8
	var step, stride int
	switch v := m.(type) {
	case *stdimage.RGBA:
		pix, step, stride = v.Pix, 4, v.Stride
	case *stdimage.RGBA64:
		pix, step, stride = v.Pix, 8, v.Stride
	default:
		return m
	}
	if d := readTIFFDir(data); d == nil || d.first(tiffTagExtraSamples, 0) != 1 {
		return m
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := stdimage.NewNRGBA(stdimage.Rect(0, 0, w, h))
	c := step / 4 // byte distance between samples; the MSB comes first (Go stores big-endian)
	for y := 0; y < h; y++ {
		row := pix[y*stride:]
		o := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			p := row[x*step:]
			a := uint32(p[3*c])
			switch a {
			case 0:
				// (0, 0, 0, 0): NewNRGBA is zeroed
			case 255:
				o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = p[0], p[c], p[2*c], 255
			default:
				for k := 0; k < 3; k++ {
					o[4*x+k] = uint8(min(uint32(p[k*c])*255/a, 255))
				}
				o[4*x+3] = uint8(a)
			}
		}
	}
	return out
}

// decodeTIFFConfig is x/image/tiff's DecodeConfig, or ours for a
// JPEG-compressed TIFF.
func decodeTIFFConfig(data []byte) (stdimage.Config, error) {
	if d, ok := tiffJPEG(data); ok {
		return tiffJPEGConfig(d)
	}
	c, err := tiff.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		// 4-sample layouts x/image refuses (decodeTIFF4): the size from IFD0
		if d := readTIFFDir(data); d != nil && d.first(tiffTagSamples, 1) == 4 {
			if w, h := int(d.first(tiffTagWidth, 0)), int(d.first(tiffTagHeight, 0)); w > 0 && h > 0 {
				return stdimage.Config{Width: w, Height: h}, nil
			}
		}
	}
	return c, err
}

// decodeTIFF is x/image/tiff plus the pieces above and JPEG-in-TIFF.
func decodeTIFF(data []byte, maxPixels int64) (stdimage.Image, error) {
	if d, ok := tiffJPEG(data); ok {
		return decodeTIFFJPEG(data, d, maxPixels)
	}
	m, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		if d := readTIFFDir(data); d != nil {
			if m, ok, err4 := decodeTIFF4(data, d); ok {
				return m, err4
			}
		}
		return nil, err
	}
	return tiffPILAlpha(m, data), nil
}

const (
	tiffTagSampleFormat = 339
	tiffTagInkSet       = 332
)

// tiffRewriteIFD returns a copy of data whose IFD0 is a new directory at
// the end of the file: the old entries (their out-of-line values still
// point into the copy), with the given SHORT tags set or added. Entries
// stay sorted by tag, as TIFF requires.
func tiffRewriteIFD(data []byte, d *tiffDir, set map[uint16]uint16) []byte {
	bo := d.bo
	off := int(bo.Uint32(data[4:]))
	n := int(bo.Uint16(data[off:]))
	type ent struct {
		tag uint16
		raw []byte
	}
	var ents []ent
	for i := 0; i < n && off+2+12*i+12 <= len(data); i++ {
		raw := data[off+2+12*i : off+2+12*i+12]
		if _, ok := set[bo.Uint16(raw)]; !ok {
			ents = append(ents, ent{bo.Uint16(raw), raw})
		}
	}
	for tag, v := range set {
		raw := make([]byte, 12)
		bo.PutUint16(raw, tag)
		bo.PutUint16(raw[2:], 3)
		bo.PutUint32(raw[4:], 1)
		bo.PutUint16(raw[8:], v)
		ents = append(ents, ent{tag, raw})
	}
	for i := 1; i < len(ents); i++ { // insertion sort: a few dozen entries
		for j := i; j > 0 && ents[j].tag < ents[j-1].tag; j-- {
			ents[j], ents[j-1] = ents[j-1], ents[j]
		}
	}
	out := make([]byte, len(data), len(data)+1+2+12*len(ents)+4)
	copy(out, data)
	if len(out)&1 != 0 {
		out = append(out, 0) // IFDs start on a word boundary
	}
	bo.PutUint32(out[4:], uint32(len(out)))
	out = append(out, 0, 0)
	bo.PutUint16(out[len(out)-2:], uint16(len(ents)))
	for _, e := range ents {
		out = append(out, e.raw...)
	}
	return append(out, 0, 0, 0, 0)
}

// decodeTIFF4 decodes 4-sample, 8- or 16-bit, chunky TIFFs that
// x/image/tiff refuses but Pillow opens (TiffImagePlugin OPEN_INFO):
//   - CMYK (photometric 5, ink set CMYK): mode CMYK, raw "CMYK" /
//     "CMYK;16L|B" (most significant byte), converted by cmyk2rgb;
//   - RGB + ExtraSamples 0 (unspecified): mode RGB, raw "RGBX" /
//     "RGBX;16": the fourth sample is ignored;
//   - RGB + no ExtraSamples tag, or 999 (Corel Draw 10; 8-bit only):
//     mode RGBA, straight alpha, raw "RGBA" / "RGBA;16".
//
// x/image/tiff reads the samples once IFD0 says RGB with unassociated
// alpha (a rewritten copy, see tiffRewriteIFD); the channels are then
// reinterpreted. ok is false for any other TIFF.
func decodeTIFF4(data []byte, d *tiffDir) (m stdimage.Image, ok bool, err error) {
	if d.first(tiffTagSamples, 1) != 4 || d.first(tiffTagPlanar, 1) != 1 || d.first(tiffTagSampleFormat, 1) != 1 {
		return nil, false, nil
	}
	bits := d.uints(tiffTagBitsPerSamp)
	if len(bits) != 4 || bits[0] != bits[1] || bits[0] != bits[2] || bits[0] != bits[3] || (bits[0] != 8 && bits[0] != 16) {
		return nil, false, nil
	}
	photo := d.first(tiffTagPhotometric, 0)
	extra, hasExtra := uint32(0), false
	if v := d.uints(tiffTagExtraSamples); len(v) > 0 {
		extra, hasExtra = v[0], true
	}
	kind := ""
	switch {
	case photo == 5 && d.first(tiffTagInkSet, 1) == 1 && !hasExtra:
		kind = "CMYK"
	case photo == 2 && hasExtra && extra == 0:
		kind = "RGBX"
	case photo == 2 && (!hasExtra || extra == 999 && bits[0] == 8):
		kind = "RGBA"
	default:
		return nil, false, nil
	}
	fixed := tiffRewriteIFD(data, d, map[uint16]uint16{tiffTagPhotometric: 2, tiffTagExtraSamples: 2})
	img, err := tiff.Decode(bytes.NewReader(fixed))
	if err != nil {
		return nil, true, err
	}
	var pix []uint8
	var step, stride int
	switch v := img.(type) {
	case *stdimage.NRGBA:
		pix, step, stride = v.Pix, 4, v.Stride
	case *stdimage.NRGBA64:
		pix, step, stride = v.Pix, 8, v.Stride
	default:
		return nil, true, errorf(ErrCorrupt, "tiff: unexpected %T for a 4-sample TIFF", img)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	r := stdimage.Rect(0, 0, w, h)
	var dst []uint8
	switch kind {
	case "CMYK":
		c := stdimage.NewCMYK(r)
		m, dst = c, c.Pix
	case "RGBX":
		c := stdimage.NewRGBA(r) // opaque: toRGB gives mode RGB
		m, dst = c, c.Pix
	default:
		c := stdimage.NewNRGBA(r)
		m, dst = c, c.Pix
	}
	c := step / 4 // Go stores 16-bit samples big-endian: the MSB comes first
	for y := 0; y < h; y++ {
		row, o := pix[y*stride:], dst[y*w*4:]
		for x := 0; x < w; x++ {
			p := row[x*step:]
			o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = p[0], p[c], p[2*c], p[3*c]
			if kind == "RGBX" {
				o[4*x+3] = 255
			}
		}
	}
	return m, true, nil
}
