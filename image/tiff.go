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

// tiffIFD0 returns the first value of each SHORT/LONG tag of IFD0 (nil if
// the header is unreadable). Only what the decoders here need: no
// sub-IFDs, no arrays beyond their first element.
func tiffIFD0(b []byte) map[uint16]uint32 {
	if len(b) < 8 {
		return nil
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return nil
	}
	off := int64(bo.Uint32(b[4:]))
	if off < 8 || off+2 > int64(len(b)) {
		return nil
	}
	n := int64(bo.Uint16(b[off:]))
	tags := make(map[uint16]uint32, n)
	for i := int64(0); i < n; i++ {
		e := off + 2 + 12*i
		if e+12 > int64(len(b)) {
			break
		}
		tag, typ, count := bo.Uint16(b[e:]), bo.Uint16(b[e+2:]), bo.Uint32(b[e+4:])
		if count == 0 {
			continue
		}
		switch typ {
		case 3: // SHORT: the first value is inline whatever the count
			if count <= 2 {
				tags[tag] = uint32(bo.Uint16(b[e+8:]))
			} else if p := int64(bo.Uint32(b[e+8:])); p >= 0 && p+2 <= int64(len(b)) {
				tags[tag] = uint32(bo.Uint16(b[p:]))
			}
		case 4: // LONG
			if count == 1 {
				tags[tag] = bo.Uint32(b[e+8:])
			} else if p := int64(bo.Uint32(b[e+8:])); p >= 0 && p+4 <= int64(len(b)) {
				tags[tag] = bo.Uint32(b[p:])
			}
		}
	}
	return tags
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
	if tags := tiffIFD0(data); tags == nil || tags[tiffTagExtraSamples] != 1 {
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

// decodeTIFF is x/image/tiff plus the pieces above.
func decodeTIFF(data []byte) (stdimage.Image, error) {
	m, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return tiffPILAlpha(m, data), nil
}
