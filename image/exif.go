package image

import (
	"bytes"
	"encoding/binary"
)

// exifOrientation returns the EXIF Orientation tag (1..8) of an encoded
// image, or 0 when there is none or it is out of range. Sources, as Pillow's
// Image.getexif() reads them: JPEG APP1 "Exif\0\0" (the first one), PNG
// eXIf chunk, WebP EXIF chunk, and a TIFF file's own IFD0. (Pillow also falls
// back to an XMP tiff:Orientation; that is not read here.)
func exifOrientation(format string, data []byte) int {
	var tiff []byte
	switch format {
	case "jpeg":
		tiff = jpegExif(data)
	case "png":
		tiff = pngExif(data)
	case "webp":
		tiff = webpExif(data)
	case "tiff":
		tiff = data
	}
	if tiff == nil {
		return 0
	}
	o := tiffOrientation(tiff)
	if o < 1 || o > 8 {
		return 0
	}
	return o
}

var exifHeader = []byte("Exif\x00\x00")

func jpegExif(d []byte) []byte {
	i := 2
	for i+4 <= len(d) {
		if d[i] != 0xFF {
			return nil
		}
		m := d[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			i += 2
			continue
		}
		if m == 0xDA || m == 0xD9 {
			return nil
		}
		n := int(binary.BigEndian.Uint16(d[i+2:]))
		if n < 2 || i+2+n > len(d) {
			return nil
		}
		seg := d[i+4 : i+2+n]
		if m == 0xE1 && bytes.HasPrefix(seg, exifHeader) {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

func pngExif(d []byte) []byte {
	i := 8
	for i+12 <= len(d) {
		n := int(binary.BigEndian.Uint32(d[i:]))
		if n < 0 || n > len(d)-i-12 {
			return nil
		}
		typ := string(d[i+4 : i+8])
		if typ == "eXIf" {
			return bytes.TrimPrefix(d[i+8:i+8+n], exifHeader)
		}
		if typ == "IEND" {
			return nil
		}
		i += 12 + n
	}
	return nil
}

func webpExif(d []byte) []byte {
	i := 12
	for i+8 <= len(d) {
		n := int(binary.LittleEndian.Uint32(d[i+4:]))
		if n < 0 || n > len(d)-i-8 {
			return nil
		}
		if string(d[i:i+4]) == "EXIF" {
			return bytes.TrimPrefix(d[i+8:i+8+n], exifHeader)
		}
		i += 8 + n + n&1
	}
	return nil
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure.
func tiffOrientation(b []byte) int {
	if len(b) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(b[2:]) != 42 {
		return 0
	}
	off := int64(bo.Uint32(b[4:]))
	if off < 8 || off+2 > int64(len(b)) {
		return 0
	}
	n := int64(bo.Uint16(b[off:]))
	for e := int64(0); e < n; e++ {
		p := off + 2 + 12*e
		if p+12 > int64(len(b)) {
			return 0
		}
		if bo.Uint16(b[p:]) != 0x0112 {
			continue
		}
		switch bo.Uint16(b[p+2:]) {
		case 3, 8: // SHORT, SSHORT
			return int(bo.Uint16(b[p+8:]))
		case 4, 9: // LONG, SLONG
			return int(bo.Uint32(b[p+8:]))
		case 1, 6, 7: // BYTE
			return int(b[p+8])
		}
		return 0
	}
	return 0
}

// orient applies EXIF orientation o to an interleaved image with ch channels,
// like PIL.ImageOps.exif_transpose: 2 FLIP_LEFT_RIGHT, 3 ROTATE_180,
// 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90.
// Returns the new pixels and size (unchanged for o ∉ 2..8).
func orient(pix []uint8, w, h, ch, o int) ([]uint8, int, int) {
	if o < 2 || o > 8 {
		return pix, w, h
	}
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := make([]uint8, len(pix))
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			copy(out[(y*ow+x)*ch:(y*ow+x)*ch+ch], pix[(sy*w+sx)*ch:(sy*w+sx)*ch+ch])
		}
	}
	return out, ow, oh
}
