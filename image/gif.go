package image

import (
	"bytes"
	stdimage "image"
	"image/color"
	"image/gif"
)

// gifInfo is what Go's image/gif hides and PIL uses for the first frame:
// the logical screen size, the first frame's own palette with the colour of
// the transparent index intact (Go replaces it by transparent black), and
// that transparent index (-1: none).
type gifInfo struct {
	screenW, screenH int
	palette          [][3]uint8
	trans            int
}

func parseGIFInfo(d []byte) (gifInfo, bool) {
	gi := gifInfo{trans: -1}
	if len(d) < 13 {
		return gi, false
	}
	gi.screenW = int(d[6]) | int(d[7])<<8
	gi.screenH = int(d[8]) | int(d[9])<<8
	flags := d[10]
	i := 13
	readTable := func(n int) ([][3]uint8, bool) {
		if i+3*n > len(d) {
			return nil, false
		}
		t := make([][3]uint8, n)
		for k := range t {
			t[k] = [3]uint8{d[i+3*k], d[i+3*k+1], d[i+3*k+2]}
		}
		i += 3 * n
		return t, true
	}
	var global [][3]uint8
	if flags&0x80 != 0 {
		var ok bool
		if global, ok = readTable(1 << (flags&7 + 1)); !ok {
			return gi, false
		}
	}
	for i < len(d) {
		switch d[i] {
		case 0x21: // extension
			if i+2 > len(d) {
				return gi, false
			}
			label := d[i+1]
			i += 2
			first := true
			for i < len(d) {
				n := int(d[i])
				if i+1+n > len(d) {
					return gi, false
				}
				if label == 0xF9 && first && n >= 4 {
					gi.trans = -1
					if d[i+1]&1 != 0 {
						gi.trans = int(d[i+4])
					}
				}
				first = false
				i += 1 + n
				if n == 0 {
					break
				}
			}
		case 0x2C: // image descriptor
			if i+10 > len(d) {
				return gi, false
			}
			f := d[i+9]
			i += 10
			if f&0x80 != 0 {
				local, ok := readTable(1 << (f&7 + 1))
				if !ok {
					return gi, false
				}
				gi.palette = local
			} else {
				gi.palette = global
			}
			return gi, true
		default:
			return gi, false
		}
	}
	return gi, false
}

// decodeGIF returns the first frame as PIL shows it: a "P" image the size of
// the logical screen, filled with the transparent index (or 0) where the
// frame does not reach, with the frame's palette (hidden colour of the
// transparent entry kept; entries past the table are PIL's grey ramp).
func decodeGIF(data []byte) (stdimage.Image, error) {
	m, err := gif.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	p, ok := m.(*stdimage.Paletted)
	gi, okInfo := parseGIFInfo(data)
	if !ok || !okInfo || gi.palette == nil {
		return m, nil
	}
	sw, sh := gi.screenW, gi.screenH
	if sw <= 0 || sh <= 0 {
		sw, sh = p.Rect.Max.X, p.Rect.Max.Y
	}
	pal := make(color.Palette, len(gi.palette))
	for k, c := range gi.palette {
		a := uint8(255)
		if k == gi.trans {
			a = 0
		}
		pal[k] = color.NRGBA{c[0], c[1], c[2], a}
	}
	canvas := stdimage.NewPaletted(stdimage.Rect(0, 0, sw, sh), pal)
	fill := uint8(0)
	if gi.trans >= 0 {
		fill = uint8(gi.trans)
	}
	for k := range canvas.Pix {
		canvas.Pix[k] = fill
	}
	r := p.Rect.Intersect(canvas.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(canvas.Pix[y*canvas.Stride+r.Min.X:y*canvas.Stride+r.Max.X], p.Pix[p.PixOffset(r.Min.X, y):p.PixOffset(r.Max.X, y)])
	}
	return canvas, nil
}
