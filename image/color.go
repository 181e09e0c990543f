package image

import (
	stdimage "image"
	"image/color"

	ijpeg "github.com/tokenfab/tokenfab/image/internal/jpeg"
)

// rgbImage is an 8-bit RGB image, interleaved, row-major: Pix[(y*W+x)*3+c].
// Alpha is non-nil only when the source had an alpha channel (or a
// transparent palette entry / colour key): Alpha[y*W+x], 255 = opaque.
type rgbImage struct {
	Pix   []uint8
	Alpha []uint8
	W, H  int
	Mode  string // PIL mode the source opens as: "RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16", "1"
	// pooled: Pix came from getBytes and nothing else refers to it, so the
	// single consumer may hand it back with putBytes once done.
	pooled bool
}

func clampU8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// jpegToRGB converts the planes Go's image/jpeg returns (the fallback path,
// see decodeJPEG) to RGB the way libjpeg-turbo does with its defaults:
// ijpeg.YCbCrToRGB, the same upsampling and jdcolor.c conversion our own
// decoder uses. Go's planes are padded to whole MCUs; only the
// ceil(w·h_c/h_max) × ceil(h·v_c/v_max) real samples are read.
func jpegToRGB(m *stdimage.YCbCr) *rgbImage {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	// every row is written in full, so a recycled buffer will do
	out := &rgbImage{Pix: getBytes(w * h * 3), W: w, H: h, Mode: "RGB", pooled: true}
	hs, vs := 1, 1 // chroma subsampling factors
	switch m.SubsampleRatio {
	case stdimage.YCbCrSubsampleRatio422:
		hs = 2
	case stdimage.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case stdimage.YCbCrSubsampleRatio440:
		vs = 2
	case stdimage.YCbCrSubsampleRatio411:
		hs = 4
	case stdimage.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	y := ijpeg.Plane{Pix: m.Y[m.YOffset(b.Min.X, b.Min.Y):], Stride: m.YStride, W: w, H: h, HF: 1, VF: 1}
	co := m.COffset(b.Min.X, b.Min.Y)
	cb := ijpeg.Plane{Pix: m.Cb[co:], Stride: m.CStride, W: cw, H: ch, HF: hs, VF: vs}
	cr := cb
	cr.Pix = m.Cr[co:]
	ijpeg.YCbCrToRGB(out.Pix, w, h, y, cb, cr)
	return out
}

// --- libwebp YUV420 -> RGB (src/dsp/upsampling.c fancy upsampler, yuv.h) ---

func webpClip8(v int) uint8 {
	if v&^(256<<6-1) == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

func webpPixel(dst []uint8, y, u, v int) {
	yy := (y * 19077) >> 8
	dst[0] = webpClip8(yy + (v*26149)>>8 - 14234)
	dst[1] = webpClip8(yy - (u*6419)>>8 - (v*13320)>>8 + 8708)
	dst[2] = webpClip8(yy + (u*33050)>>8 - 17685)
}

// webpUpsampleLine computes the chroma of one output row from the two chroma
// rows t (top) and c (current) as libwebp's UpsampleRgbLinePair does; bottom
// selects the "bottom_y" formulas. dst gets w values.
func webpUpsampleLine(dst []uint8, t, c []uint8, w int, bottom bool) {
	last := (w - 1) >> 1
	tl, l := int(t[0]), int(c[0])
	if bottom {
		dst[0] = uint8((3*l + tl + 2) >> 2)
	} else {
		dst[0] = uint8((3*tl + l + 2) >> 2)
	}
	for x := 1; x <= last; x++ {
		tt, uv := int(t[x]), int(c[x])
		avg := tl + tt + l + uv + 8
		d12 := (avg + 2*(tt+l)) >> 3
		d03 := (avg + 2*(tl+uv)) >> 3
		if bottom {
			dst[2*x-1] = uint8((d03 + l) >> 1)
			dst[2*x] = uint8((d12 + uv) >> 1)
		} else {
			dst[2*x-1] = uint8((d12 + tl) >> 1)
			dst[2*x] = uint8((d03 + tt) >> 1)
		}
		tl, l = tt, uv
	}
	if w&1 == 0 {
		if bottom {
			dst[w-1] = uint8((3*l + tl + 2) >> 2)
		} else {
			dst[w-1] = uint8((3*tl + l + 2) >> 2)
		}
	}
}

// webpToRGB converts x/image/webp's 4:2:0 planes to RGB as libwebp's
// decoder does by default (fancy upsampling, BT.601 limited-range 14-bit
// fixed point), which is what Pillow gets.
func webpToRGB(m *stdimage.YCbCr) *rgbImage {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	out := &rgbImage{Pix: make([]uint8, w*h*3), W: w, H: h, Mode: "RGB"}
	cw := (w + 1) / 2
	crow := func(p []uint8, r int) []uint8 {
		o := m.COffset(b.Min.X, b.Min.Y) + r*m.CStride
		return p[o : o+cw]
	}
	us := make([]uint8, w+1)
	vs := make([]uint8, w+1)
	for y := 0; y < h; y++ {
		var tr, cr int
		bottom := false
		switch {
		case y == 0:
			tr, cr = 0, 0
		case y%2 == 1 && y+1 < h:
			tr, cr = (y-1)/2, (y+1)/2
		case y%2 == 1: // last row of an even height
			tr, cr = (y-1)/2, (y-1)/2
		default:
			tr, cr, bottom = y/2-1, y/2, true
		}
		webpUpsampleLine(us, crow(m.Cb, tr), crow(m.Cb, cr), w, bottom)
		webpUpsampleLine(vs, crow(m.Cr, tr), crow(m.Cr, cr), w, bottom)
		yo := m.YOffset(b.Min.X, b.Min.Y+y)
		yrow := m.Y[yo : yo+w]
		dst := out.Pix[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			webpPixel(dst[x*3:x*3+3], int(yrow[x]), int(us[x]), int(vs[x]))
		}
	}
	return out
}

// cmykToRGB is Pillow's cmyk2rgb (Convert.c): nk = 255-K,
// out = clip(nk - MULDIV255(c, nk)).
func cmykPixel(dst []uint8, c, m, y, k uint8) {
	nk := int32(255) - int32(k)
	f := func(v uint8) uint8 {
		t := int32(v)*nk + 128
		return clampU8(nk - ((t>>8)+t)>>8)
	}
	dst[0], dst[1], dst[2] = f(c), f(m), f(y)
}

// toRGB converts a decoded Go image to 8-bit RGB with PIL's
// Image.convert("RGB") semantics for the mode PIL would open the file in.
// format selects the YCbCr conversion ("jpeg" → libjpeg, "webp" → libwebp).
func toRGB(img stdimage.Image, format string) *rgbImage {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := &rgbImage{W: w, H: h}
	switch m := img.(type) {
	case *jpegDecoded:
		return m.rgb
	case *stdimage.YCbCr:
		if format == "webp" {
			return webpToRGB(m)
		}
		return jpegToRGB(m)
	case *stdimage.NYCbCrA:
		r := webpToRGB(&m.YCbCr)
		r.Mode = "RGBA"
		r.Alpha = make([]uint8, w*h)
		for y := 0; y < h; y++ {
			o := m.AOffset(b.Min.X, b.Min.Y+y)
			copy(r.Alpha[y*w:(y+1)*w], m.A[o:o+w])
		}
		return r
	}
	out.Pix = make([]uint8, w*h*3)
	set := func(x, y int, r, g, bb uint8) {
		i := (y*w + x) * 3
		out.Pix[i], out.Pix[i+1], out.Pix[i+2] = r, g, bb
	}
	setA := func(x, y int, a uint8) {
		if out.Alpha == nil {
			out.Alpha = make([]uint8, w*h)
			for i := range out.Alpha {
				out.Alpha[i] = 255
			}
		}
		out.Alpha[y*w+x] = a
	}
	// rgba copies 4-channel pixels of step bytes (4 or 8) into out, with
	// their alpha where it is not opaque.
	rgba := func(pix []uint8, rowStart func(y int) int, step int) {
		c := step / 4
		for y := 0; y < h; y++ {
			row := pix[rowStart(y):]
			for x := 0; x < w; x++ {
				p := row[step*x : step*x+step]
				set(x, y, p[0], p[c], p[2*c])
				if p[3*c] != 255 {
					setA(x, y, p[3*c])
				}
			}
		}
	}
	switch m := img.(type) {
	case *stdimage.Gray:
		out.Mode = "L"
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				v := row[x]
				set(x, y, v, v, v)
			}
		}
	case *stdimage.Gray16:
		// PIL opens 16-bit grayscale as "I;16"; convert("RGB") clips to 255.
		out.Mode = "I;16"
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				v := uint16(row[2*x])<<8 | uint16(row[2*x+1])
				if v > 255 {
					v = 255
				}
				set(x, y, uint8(v), uint8(v), uint8(v))
			}
		}
	// 8- and 16-bit RGBA, premultiplied or not: PIL keeps the most
	// significant byte of each sample, so both read bytes at step/4 apart.
	case *stdimage.RGBA:
		out.Mode = "RGB"
		rgba(m.Pix, func(y int) int { return m.PixOffset(b.Min.X, b.Min.Y+y) }, 4)
	case *stdimage.NRGBA:
		out.Mode = "RGBA"
		rgba(m.Pix, func(y int) int { return m.PixOffset(b.Min.X, b.Min.Y+y) }, 4)
	case *stdimage.RGBA64:
		out.Mode = "RGB"
		rgba(m.Pix, func(y int) int { return m.PixOffset(b.Min.X, b.Min.Y+y) }, 8)
	case *stdimage.NRGBA64:
		out.Mode = "RGBA"
		rgba(m.Pix, func(y int) int { return m.PixOffset(b.Min.X, b.Min.Y+y) }, 8)
	case *stdimage.CMYK:
		out.Mode = "CMYK"
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				i := (y*w + x) * 3
				cmykPixel(out.Pix[i:i+3], p[0], p[1], p[2], p[3])
			}
		}
	case *stdimage.Paletted:
		out.Mode = "P"
		pal := paletteRGBA(m.Palette)
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := pal[row[x]]
				set(x, y, p[0], p[1], p[2])
				if p[3] != 255 {
					setA(x, y, p[3])
				}
			}
		}
	default:
		out.Mode = "RGBA"
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				set(x, y, c.R, c.G, c.B)
				if c.A != 255 {
					setA(x, y, c.A)
				}
			}
		}
	}
	return out
}

// paletteRGBA expands a Go palette to 256 straight (non-premultiplied)
// entries. Entries past the palette are PIL's default ramp (i, i, i).
func paletteRGBA(p color.Palette) [256][4]uint8 {
	var t [256][4]uint8
	for i := range t {
		t[i] = [4]uint8{uint8(i), uint8(i), uint8(i), 255}
	}
	for i, c := range p {
		if i >= 256 {
			break
		}
		switch v := c.(type) {
		case color.NRGBA:
			t[i] = [4]uint8{v.R, v.G, v.B, v.A}
		case color.RGBA:
			if v.A == 255 || v.A == 0 && (v.R|v.G|v.B) == 0 {
				t[i] = [4]uint8{v.R, v.G, v.B, v.A}
			} else {
				n := color.NRGBAModel.Convert(v).(color.NRGBA)
				t[i] = [4]uint8{n.R, n.G, n.B, n.A}
			}
		default:
			n := color.NRGBAModel.Convert(v).(color.NRGBA)
			t[i] = [4]uint8{n.R, n.G, n.B, n.A}
		}
	}
	return t
}

// composite blends the image onto an opaque background colour with its
// alpha, as transformers v5 convert_to_rgb does (PIL Image.alpha_composite
// of the RGBA image over an opaque RGBA background, AlphaComposite.c: 7
// extra bits, coef1 = a·255·255·128 / outa255, rounded DIV255).
// qwen-vl-utils uses Image.paste(mask=alpha) instead, which can differ by 1
// level on semi-transparent pixels.
func (r *rgbImage) composite(bg [3]uint8) {
	if r.Alpha == nil {
		return
	}
	for i, a := range r.Alpha {
		if a == 255 {
			continue
		}
		if a == 0 {
			r.Pix[i*3], r.Pix[i*3+1], r.Pix[i*3+2] = bg[0], bg[1], bg[2]
			continue
		}
		sa := uint32(a)
		blend := 255 * (255 - sa)
		outa255 := sa*255 + blend
		coef1 := sa * 255 * 255 * 128 / outa255
		coef2 := 255*128 - coef1
		for c := 0; c < 3; c++ {
			t := uint32(r.Pix[i*3+c])*coef1 + uint32(bg[c])*coef2 + 0x80<<7
			r.Pix[i*3+c] = uint8((((t >> 8) + t) >> 8) >> 7)
		}
	}
	r.Alpha = nil
}

// headerMode refines the PIL mode from the file header where Go's decoded
// type does not tell (PNG colour type, WebP alpha flags).
func headerMode(format string, d []byte, cur string) string {
	switch format {
	case "png":
		if len(d) < 26 {
			return cur
		}
		depth, ct := d[24], d[25]
		switch ct {
		case 0:
			if depth == 16 {
				return "I;16"
			}
			if depth == 1 {
				return "1"
			}
			return "L"
		case 2:
			return "RGB"
		case 3:
			return "P"
		case 4:
			return "LA"
		case 6:
			return "RGBA"
		}
	case "webp":
		if len(d) < 30 {
			return cur
		}
		switch string(d[12:16]) {
		case "VP8X":
			if d[20]&0x10 != 0 {
				return "RGBA"
			}
			return "RGB"
		case "VP8L":
			if len(d) > 24 && d[24]&0x10 != 0 {
				return "RGBA"
			}
			return "RGB"
		case "VP8 ":
			return "RGB"
		}
	}
	return cur
}
