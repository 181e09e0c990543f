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
	return tiff.DecodeConfig(bytes.NewReader(data))
}

// decodeTIFF is x/image/tiff plus the pieces above and JPEG-in-TIFF.
func decodeTIFF(data []byte, maxPixels int64) (stdimage.Image, error) {
	if d, ok := tiffJPEG(data); ok {
		return decodeTIFFJPEG(data, d, maxPixels)
	}
	m, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return tiffPILAlpha(m, data), nil
}
