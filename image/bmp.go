package image

import (
	"encoding/binary"
	"errors"
	stdimage "image"
	"image/color"
	"math/bits"
)

var errBMP = errors.New("bmp: malformed file")

// decodeBMPExtra decodes the BMP variants x/image/bmp refuses: RLE8, RLE4
// (BI_RLE8/BI_RLE4, bottom-up, pixels a delta or early end-of-line skips are
// palette index 0 as in Pillow's BmpRleDecoder) and BI_BITFIELDS /
// BI_ALPHABITFIELDS at 16 or 32 bits per pixel (each mask scaled to 8 bits
// as round(v·255/max); for the 8-bit masks Pillow supports this is exact).
// maxPixels bounds the allocation (checked before it).
func decodeBMPExtra(d []byte, maxPixels int64) (stdimage.Image, error) {
	if len(d) < 54 || d[0] != 'B' || d[1] != 'M' {
		return nil, errBMP
	}
	le := binary.LittleEndian
	off := int(le.Uint32(d[10:]))
	hs := int(le.Uint32(d[14:]))
	if hs < 40 || 14+hs > len(d) || off <= 0 || off > len(d) {
		return nil, errBMP
	}
	w := int(int32(le.Uint32(d[18:])))
	h := int(int32(le.Uint32(d[22:])))
	bpp := int(le.Uint16(d[28:]))
	comp := le.Uint32(d[30:])
	topDown := h < 0
	if topDown {
		h = -h
	}
	if w <= 0 || h <= 0 || w > 1<<20 || h > 1<<20 {
		return nil, errBMP
	}
	if maxPixels >= 0 && int64(w)*int64(h) > maxPixels {
		return nil, errorf(ErrTooManyPixels, "bmp header says %dx%d, over the limit of %d pixels; if the image is genuine, raise the limit (tokenize run --max-image-pixels N, Config.MaxImagePixels)", w, h, maxPixels)
	}
	switch {
	case (comp == 1 && bpp == 8) || (comp == 2 && bpp == 4):
		n := int(le.Uint32(d[46:]))
		if n == 0 || n > 1<<bpp {
			n = 1 << bpp
		}
		po := 14 + hs
		if po+4*n > len(d) {
			return nil, errBMP
		}
		pal := make(color.Palette, n)
		for i := range pal {
			p := d[po+4*i:]
			pal[i] = color.RGBA{p[2], p[1], p[0], 255}
		}
		m := stdimage.NewPaletted(stdimage.Rect(0, 0, w, h), pal)
		x, y := 0, 0 // y counts rows in file order (bottom-up)
		set := func(v uint8) {
			if x < w && y < h {
				r := h - 1 - y
				if topDown {
					r = y
				}
				m.Pix[r*m.Stride+x] = v
			}
			x++
		}
		s := d[off:]
		for i := 0; i+1 < len(s) && y < h; {
			c, v := int(s[i]), s[i+1]
			i += 2
			if c > 0 {
				for k := 0; k < c; k++ {
					if bpp == 8 {
						set(v)
					} else if k%2 == 0 {
						set(v >> 4)
					} else {
						set(v & 15)
					}
				}
				continue
			}
			switch v {
			case 0:
				x, y = 0, y+1
			case 1:
				y = h
			case 2:
				if i+1 >= len(s) {
					return m, nil
				}
				x += int(s[i])
				y += int(s[i+1])
				i += 2
			default:
				n := int(v)
				nb := n
				if bpp == 4 {
					nb = (n + 1) / 2
				}
				if i+nb > len(s) {
					return nil, errBMP
				}
				for k := 0; k < n; k++ {
					if bpp == 8 {
						set(s[i+k])
					} else if k%2 == 0 {
						set(s[i+k/2] >> 4)
					} else {
						set(s[i+k/2] & 15)
					}
				}
				i += nb + nb&1
			}
		}
		return m, nil
	case (comp == 3 || comp == 6) && (bpp == 16 || bpp == 32):
		var masks [4]uint32
		mo := 54 // masks follow a 40-byte header, or sit inside V2+ headers at the same place
		nm := 3
		if comp == 6 || hs >= 56 {
			nm = 4
		}
		if mo+4*nm > len(d) {
			return nil, errBMP
		}
		for i := 0; i < nm; i++ {
			masks[i] = le.Uint32(d[mo+4*i:])
		}
		if masks[0] == 0 && masks[1] == 0 && masks[2] == 0 {
			return nil, errBMP
		}
		stride := ((w*bpp + 31) / 32) * 4
		if int64(off)+int64(stride)*int64(h) > int64(len(d)) {
			return nil, errBMP
		}
		m := stdimage.NewNRGBA(stdimage.Rect(0, 0, w, h))
		ext := func(v, mask uint32) uint8 {
			if mask == 0 {
				return 0
			}
			sh := bits.TrailingZeros32(mask)
			mx := mask >> sh
			return uint8((uint64((v&mask)>>sh)*255 + uint64(mx)/2) / uint64(mx))
		}
		for y := 0; y < h; y++ {
			row := d[off+y*stride:]
			r := h - 1 - y
			if topDown {
				r = y
			}
			o := m.Pix[r*m.Stride:]
			for x := 0; x < w; x++ {
				var v uint32
				if bpp == 32 {
					v = le.Uint32(row[4*x:])
				} else {
					v = uint32(le.Uint16(row[2*x:]))
				}
				a := uint8(255)
				if masks[3] != 0 {
					a = ext(v, masks[3])
				}
				o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = ext(v, masks[0]), ext(v, masks[1]), ext(v, masks[2]), a
			}
		}
		return m, nil
	}
	return nil, errorf(ErrUnsupportedFormat, "bmp: compression %d at %d bits per pixel is not decoded; convert the file to PNG", comp, bpp)
}
