package image

import (
	"encoding/binary"
	stdimage "image"
)

// transparencyKey is the colour PIL keeps in info["transparency"] of
// load_image's convert("RGB") result, as the RGB triple convert_to_rgb's
// convert("RGBA") then makes transparent (Pillow 13, transformers 5.23;
// checked against both by scripts/golden/image_golden.py's hf cases):
//
//   - P (PNG whose tRNS has exactly one 0 entry and the rest 255, GIF
//     transparency index): the palette colour of that index. A tRNS of other
//     alpha values is bytes in PIL, which convert("RGB") deletes: no key.
//   - L (PNG, any bit depth): (t, t, t), t the raw tRNS value clipped to 255
//     (a 2- or 4-bit file's t is not scaled like its pixels).
//   - 1, I;16: PIL keeps the integer, which convert_transparent reads as
//     (t & 0xff, 0, 0); 1-bit tRNS is 0 or 255.
//   - RGB (PNG, 8 or 16 bits): the low bytes of the three tRNS values.
//
// Alpha modes (RGBA, LA, PA) have no key: convert("RGB") drops their alpha.
func transparencyKey(format string, data []byte, img stdimage.Image, mode string) *[3]uint8 {
	if mode == "P" {
		p, ok := img.(*stdimage.Paletted)
		if !ok {
			return nil
		}
		pal := paletteRGBA(p.Palette)
		var key *[3]uint8
		for i := range p.Palette {
			if i >= 256 {
				break
			}
			switch pal[i][3] {
			case 255:
			case 0:
				if key != nil {
					return nil
				}
				key = &[3]uint8{pal[i][0], pal[i][1], pal[i][2]}
			default:
				return nil
			}
		}
		return key
	}
	if format != "png" {
		return nil
	}
	t := pngTRNS(data)
	switch mode {
	case "L":
		if len(t) < 2 {
			return nil
		}
		v := min(binary.BigEndian.Uint16(t), 255)
		return &[3]uint8{uint8(v), uint8(v), uint8(v)}
	case "1":
		if len(t) < 2 {
			return nil
		}
		if binary.BigEndian.Uint16(t) != 0 {
			return &[3]uint8{255, 0, 0}
		}
		return &[3]uint8{0, 0, 0}
	case "I;16":
		if len(t) < 2 {
			return nil
		}
		return &[3]uint8{uint8(binary.BigEndian.Uint16(t)), 0, 0}
	case "RGB":
		if len(t) < 6 {
			return nil
		}
		return &[3]uint8{uint8(binary.BigEndian.Uint16(t)), uint8(binary.BigEndian.Uint16(t[2:])), uint8(binary.BigEndian.Uint16(t[4:]))}
	}
	return nil
}

// pngTRNS returns the data of the tRNS chunk before the first IDAT, or nil.
func pngTRNS(d []byte) []byte {
	for p := 8; p+8 <= len(d); {
		n := int(binary.BigEndian.Uint32(d[p:]))
		typ := string(d[p+4 : p+8])
		if n < 0 || p+8+n > len(d) || typ == "IDAT" || typ == "IEND" {
			return nil
		}
		if typ == "tRNS" {
			return d[p+8 : p+8+n]
		}
		p += 12 + n
	}
	return nil
}

// whitenKey is convert_to_rgb on load_image's result: every pixel of the
// key colour becomes white; alpha is dropped.
func (r *rgbImage) whitenKey(key *[3]uint8) {
	r.Alpha = nil
	if key == nil {
		return
	}
	k0, k1, k2 := key[0], key[1], key[2]
	pix := r.Pix
	for i := 0; i+2 < len(pix); i += 3 {
		if pix[i] == k0 && pix[i+1] == k1 && pix[i+2] == k2 {
			pix[i], pix[i+1], pix[i+2] = 255, 255, 255
		}
	}
}

// pngKeyAlpha redoes what Go's PNG decoder gets differently from PIL for a
// transparent colour (tRNS) of a non-palette PNG:
//   - 16-bit grey with tRNS decodes to NRGBA64, whose samples PIL's I;16 →
//     RGB clips to 255 rather than taking the high byte;
//   - PIL compares the tRNS value with the 8-bit samples (convert_transparent):
//     a 1/2/4-bit grey value is not scaled like the pixels, and a 16-bit
//     RGB or grey key is masked to its low bytes (I;16: against the clipped
//     sample), whereas Go compares raw samples.
//
// The alpha it leaves is what convert_to_rgb / Background composites with.
func pngKeyAlpha(rgb *rgbImage, img stdimage.Image, data []byte) {
	if rgb.Mode == "I;16" {
		if m, ok := img.(*stdimage.NRGBA64); ok {
			b := m.Bounds()
			for y := 0; y < rgb.H; y++ {
				row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
				for x := 0; x < rgb.W; x++ {
					v := min(uint16(row[8*x])<<8|uint16(row[8*x+1]), 255)
					i := (y*rgb.W + x) * 3
					rgb.Pix[i], rgb.Pix[i+1], rgb.Pix[i+2] = uint8(v), uint8(v), uint8(v)
				}
			}
		}
	}
	if rgb.Mode != "L" && rgb.Mode != "1" && rgb.Mode != "RGB" && rgb.Mode != "I;16" {
		return
	}
	t := pngTRNS(data)
	var key [3]uint8
	switch {
	case rgb.Mode == "I;16" && len(t) >= 2: // the clipped sample against the key's low byte
		v := uint8(binary.BigEndian.Uint16(t))
		key = [3]uint8{v, v, v}
	case rgb.Mode == "RGB" && len(t) >= 6:
		key = [3]uint8{uint8(binary.BigEndian.Uint16(t)), uint8(binary.BigEndian.Uint16(t[2:])), uint8(binary.BigEndian.Uint16(t[4:]))}
	case rgb.Mode != "RGB" && len(t) >= 2:
		v := binary.BigEndian.Uint16(t)
		if rgb.Mode == "1" && v != 0 {
			v = 255
		}
		if v > 255 { // no 8-bit sample equals it
			rgb.Alpha = nil
			return
		}
		key = [3]uint8{uint8(v), uint8(v), uint8(v)}
	default:
		return
	}
	rgb.Alpha = nil
	n := rgb.W * rgb.H
	for i := 0; i < n; i++ {
		if rgb.Pix[3*i] == key[0] && rgb.Pix[3*i+1] == key[1] && rgb.Pix[3*i+2] == key[2] {
			if rgb.Alpha == nil {
				rgb.Alpha = make([]uint8, n)
				for j := range rgb.Alpha {
					rgb.Alpha[j] = 255
				}
			}
			rgb.Alpha[i] = 0
		}
	}
}
