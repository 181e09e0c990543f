package jpeg

// Upsampling and colour conversion as libjpeg-turbo 3.x does them with
// do_fancy_upsampling = TRUE (jdsample.c) and jdcolor.c's fixed-point
// tables. Per component the method depends only on the ratio of the largest
// sampling factor to its own (h, v):
//
//	(1,1) as is; (2,1) h2v1 fancy, or replication if the component is at
//	most 2 samples wide; (1,2) h1v2 fancy; (2,2) h2v2 fancy, or replication
//	if at most 2 samples wide; any other integral ratio: replication.
//
// The fancy filters are triangle filters (3/4 nearer + 1/4 further sample)
// with libjpeg's alternating rounding biases. Edges use the edge sample
// itself as the missing neighbour, and only the component's real samples
// (libjpeg downsampled_width × downsampled_height, not the MCU padding) are
// read, as libjpeg's context rows do.

// Plane is one component's samples at its own resolution.
type Plane struct {
	Pix    []uint8
	Stride int
	W, H   int // real samples: ceil(width·h/hmax) × ceil(height·v/vmax)
	HF, VF int // upsampling factors hmax/h, vmax/v
}

// colour spaces of the coded data (libjpeg jpeg_color_space)
const (
	csGray = iota
	csYCbCr
	csRGB
	csCMYK
	csYCCK
)

// colorSpace is libjpeg's default_decompress_parms guess, which Pillow
// keeps (it sets only the output space).
func (d *decoder) colorSpace() int {
	switch d.ncomp {
	case 1:
		return csGray
	case 3:
		switch {
		case d.jfif:
			return csYCbCr
		case d.adobe:
			if d.transform == 0 {
				return csRGB
			}
			return csYCbCr
		case d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B':
			return csRGB
		}
		return csYCbCr
	}
	if d.adobe && d.transform != 0 {
		return csYCCK
	}
	return csCMYK
}

func (d *decoder) convert(o Options) *Image {
	w, h := d.width, d.height
	var planes [4]Plane
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		planes[i] = Plane{Pix: c.plane, Stride: c.bw * 8, W: c.cw, H: c.ch, HF: d.hmax / c.h, VF: d.vmax / c.v}
	}
	cs := d.colorSpace()
	m := &Image{Width: w, Height: h, Mode: d.mode()}
	n := w * h * map[int]int{csGray: 1, csYCbCr: 3, csRGB: 3, csCMYK: 4, csYCCK: 4}[cs]
	if o.Alloc != nil {
		m.Pix = o.Alloc(n)
	} else {
		m.Pix = make([]uint8, n)
	}
	convertPlanes(m.Pix, w, h, cs, planes[:d.ncomp])
	return m
}

// YCbCrToRGB writes the w×h RGB image (dst: w·h·3 bytes) that libjpeg-turbo
// produces from the three YCbCr planes with fancy upsampling and jdcolor.c's
// conversion. Used for planes that Go's image/jpeg decoded.
func YCbCrToRGB(dst []uint8, w, h int, y, cb, cr Plane) {
	convertPlanes(dst, w, h, csYCbCr, []Plane{y, cb, cr})
}

// upsampler produces one full-resolution row of a component at a time.
type upsampler struct {
	p   Plane
	buf []uint8
	sum []int32
}

func newUpsampler(p Plane, w int) *upsampler {
	u := &upsampler{p: p}
	if p.HF != 1 || p.VF != 1 {
		u.buf = make([]uint8, p.W*p.HF+w+2)
		u.sum = make([]int32, p.W)
	}
	return u
}

func (u *upsampler) row(y int) []uint8 {
	return u.p.Pix[y*u.p.Stride : y*u.p.Stride+u.p.W]
}

// far returns the component row that libjpeg's fancy vertical filters use
// as the further neighbour of output row y (edge rows replicated).
func (u *upsampler) rows2(y int) (near, far []uint8, odd bool) {
	cy := y / 2
	ny := cy - 1
	odd = y&1 == 1
	if odd {
		ny = cy + 1
	}
	ny = max(0, min(ny, u.p.H-1))
	return u.row(cy), u.row(ny), odd
}

// at returns output row y, at least w samples.
func (u *upsampler) at(y, w int) []uint8 {
	p := &u.p
	switch {
	case p.HF == 1 && p.VF == 1:
		return p.Pix[y*p.Stride : y*p.Stride+w]
	case p.HF == 2 && p.VF == 1 && p.W > 2:
		h2v1Row(u.buf, u.row(y))
		return u.buf[:w]
	case p.HF == 1 && p.VF == 2:
		c0, c1, odd := u.rows2(y)
		bias := int32(1)
		if odd {
			bias = 2
		}
		c1 = c1[:len(c0)]
		for i, v := range c0 {
			u.buf[i] = uint8((int32(v)*3 + int32(c1[i]) + bias) >> 2)
		}
		return u.buf[:w]
	case p.HF == 2 && p.VF == 2 && p.W > 2:
		c0, c1, _ := u.rows2(y)
		c1 = c1[:len(c0)]
		for i, v := range c0 {
			u.sum[i] = int32(v)*3 + int32(c1[i])
		}
		h2v2Row(u.buf, u.sum)
		return u.buf[:w]
	}
	// replication (jdsample.c h2v1_upsample, h2v2_upsample, int_upsample)
	src := p.Pix[(y/p.VF)*p.Stride:]
	for x := 0; x < w; x++ {
		u.buf[x] = src[x/p.HF]
	}
	return u.buf[:w]
}

func convertPlanes(dst []uint8, w, h int, cs int, planes []Plane) {
	if cs == csYCbCr && planes[0].HF == 1 && planes[0].VF == 1 &&
		planes[1].HF == 2 && planes[1].VF == 2 && planes[1].W > 2 &&
		planes[2].HF == 2 && planes[2].VF == 2 && planes[2].W > 2 {
		// 4:2:0, the common case: fused upsampling and conversion
		y, cb, cr := newUpsampler(planes[0], w), newUpsampler(planes[1], w), newUpsampler(planes[2], w)
		for r := 0; r < h; r++ {
			cb0, cb1, _ := cb.rows2(r)
			cr0, cr1, _ := cr.rows2(r)
			h2v2RowRGB(dst[r*w*3:(r+1)*w*3], y.at(r, w), cb0, cb1, cr0, cr1)
		}
		return
	}
	if cs == csYCbCr && planes[0].HF == 1 && planes[0].VF == 1 &&
		planes[1].HF == 2 && planes[1].VF == 1 && planes[1].W > 2 &&
		planes[2].HF == 2 && planes[2].VF == 1 && planes[2].W > 2 {
		// 4:2:2: fused as well
		y, cb, cr := newUpsampler(planes[0], w), newUpsampler(planes[1], w), newUpsampler(planes[2], w)
		for r := 0; r < h; r++ {
			h2v1RowRGB(dst[r*w*3:(r+1)*w*3], y.at(r, w), cb.row(r), cr.row(r))
		}
		return
	}
	ups := make([]*upsampler, len(planes))
	for i, p := range planes {
		ups[i] = newUpsampler(p, w)
	}
	for r := 0; r < h; r++ {
		switch cs {
		case csGray:
			copy(dst[r*w:(r+1)*w], ups[0].at(r, w))
		case csYCbCr:
			jpegRowToRGB(dst[r*w*3:(r+1)*w*3], ups[0].at(r, w), ups[1].at(r, w), ups[2].at(r, w))
		case csRGB:
			d := dst[r*w*3 : (r+1)*w*3]
			c0, c1, c2 := ups[0].at(r, w), ups[1].at(r, w), ups[2].at(r, w)
			for x := 0; x < w; x++ {
				d[3*x], d[3*x+1], d[3*x+2] = c0[x], c1[x], c2[x]
			}
		case csCMYK, csYCCK:
			// Pillow reads libjpeg's CMYK output as "CMYK;I" (inverted)
			d := dst[r*w*4 : (r+1)*w*4]
			c0, c1, c2, c3 := ups[0].at(r, w), ups[1].at(r, w), ups[2].at(r, w), ups[3].at(r, w)
			for x := 0; x < w; x++ {
				if cs == csYCCK {
					// jdcolor.c ycck_cmyk_convert: C = 255 - R etc.
					yy := int32(c0[x]) + 256
					cb, cr := c1[x], c2[x]
					d[4*x] = clampTab[yy+jpegCrR[cr]]
					d[4*x+1] = clampTab[yy+(jpegCbG[cb]+jpegCrG[cr])>>16]
					d[4*x+2] = clampTab[yy+jpegCbB[cb]]
				} else {
					d[4*x], d[4*x+1], d[4*x+2] = 255-c0[x], 255-c1[x], 255-c2[x]
				}
				d[4*x+3] = 255 - c3[x]
			}
		}
	}
}

// --- jdcolor.c YCbCr -> RGB (SCALEBITS = 16) ---

var jpegCrR, jpegCbB [256]int32
var jpegCrG, jpegCbG [256]int32

func init() {
	fix := func(x float64) int32 { return int32(x*65536 + 0.5) }
	for i := 0; i < 256; i++ {
		x := int32(i - 128)
		jpegCrR[i] = (fix(1.40200)*x + 1<<15) >> 16
		jpegCbB[i] = (fix(1.77200)*x + 1<<15) >> 16
		jpegCrG[i] = -fix(0.71414) * x
		jpegCbG[i] = -fix(0.34414)*x + 1<<15
	}
}

// clampTab[v+256] = clamp(v, 0, 255) for v in [-256, 767] (libjpeg's
// sample_range_limit).
var clampTab = func() (t [1024]uint8) {
	for i := range t {
		t[i] = uint8(max(0, min(i-256, 255)))
	}
	return
}()

// jpegRowToRGB converts one row of full-resolution Y, Cb, Cr to RGB with
// jdcolor.c's tables. Every index into clampTab is in [-179+256, 255+178+256]
// by construction; the &1023 only lets the compiler drop the bounds check.
func jpegRowToRGB(dst, yrow, cbs, crs []uint8) {
	cbs, crs = cbs[:len(yrow)], crs[:len(yrow)]
	dst = dst[:len(yrow)*3]
	x0 := 0
	if g := len(yrow) / 8; useAVX2 && g > 0 {
		yccRGBAVX2(&dst[0], &yrow[0], &cbs[0], &crs[0], g)
		x0 = 8 * g
	}
	for x := x0; x < len(yrow); x++ {
		yy := int32(yrow[x]) + 256
		cb, cr := cbs[x], crs[x]
		d := (*[3]uint8)(dst[x*3:])
		d[0] = clampTab[(yy+jpegCrR[cr])&1023]
		d[1] = clampTab[(yy+(jpegCbG[cb]+jpegCrG[cr])>>16)&1023]
		d[2] = clampTab[(yy+jpegCbB[cb])&1023]
	}
}

// h2v2RowRGB is h2v2Row on both chroma planes fused with jpegRowToRGB:
// one output row from its Y row and the nearer (c0) and further (c1)
// chroma rows, len(c0) = ceil(len(yrow)/2) ≥ 2. With the column sums
// s[i] = 3·c0[i] + c1[i] extended by s[-1] = s[0] and s[n] = s[n-1],
// h2v2Row's outputs are (3·s[i] + s[i-1] + 8)>>4 and (3·s[i] + s[i+1] + 7)>>4
// everywhere, edges included.
func h2v2RowRGB(dst, yrow, cb0, cb1, cr0, cr1 []uint8) {
	n := len(cb0)
	w := len(yrow)
	cb1, cr0, cr1 = cb1[:n], cr0[:n], cr1[:n]
	dst = dst[:w*3]
	if useAVX2 && n >= 8 {
		// Column 0 (it has no left neighbour) in Go, then groups of 4
		// columns from column 1 while the group's 8-byte chroma loads
		// (columns i-1..i+6) stay inside the row, then the rest in Go.
		g := (n - 4) / 4
		e := 1 + 4*g
		_, _, _ = dst[6*e-1], yrow[2*e-1], cb0[e+2]
		_, _, _ = cb1[e+2], cr0[e+2], cr1[e+2]
		h2v2Span(dst, yrow, cb0, cb1, cr0, cr1, 0, 1)
		h2v2RGBAVX2(&dst[6], &yrow[2], &cb0[0], &cb1[0], &cr0[0], &cr1[0], g)
		h2v2Span(dst, yrow, cb0, cb1, cr0, cr1, e, n-1)
	} else {
		h2v2Span(dst, yrow, cb0, cb1, cr0, cr1, 0, n-1)
	}
	sb := int32(cb0[n-1])*3 + int32(cb1[n-1])
	sr := int32(cr0[n-1])*3 + int32(cr1[n-1])
	pb := int32(cb0[n-2])*3 + int32(cb1[n-2])
	pr := int32(cr0[n-2])*3 + int32(cr1[n-2])
	pix := func(x int, cb, cr int32) {
		yy := int32(yrow[x]) + 256
		d := (*[3]uint8)(dst[x*3:])
		d[0] = clampTab[(yy+jpegCrR[uint8(cr)])&1023]
		d[1] = clampTab[(yy+(jpegCbG[uint8(cb)]+jpegCrG[uint8(cr)])>>16)&1023]
		d[2] = clampTab[(yy+jpegCbB[uint8(cb)])&1023]
	}
	x := 2 * (n - 1)
	pix(x, (3*sb+pb+8)>>4, (3*sr+pr+8)>>4)
	if x+1 < w {
		pix(x+1, (4*sb+7)>>4, (4*sr+7)>>4)
	}
}

// h2v2Span writes h2v2RowRGB's output pixels 2i and 2i+1 for chroma
// columns i in [lo, hi), hi ≤ len(cb0)-1.
func h2v2Span(dst, yrow, cb0, cb1, cr0, cr1 []uint8, lo, hi int) {
	n := len(cb0)
	cb1, cr0, cr1 = cb1[:n], cr0[:n], cr1[:n]
	if lo >= hi {
		return
	}
	l := max(lo-1, 0)
	pb := int32(cb0[l])*3 + int32(cb1[l])
	pr := int32(cr0[l])*3 + int32(cr1[l])
	sb := int32(cb0[lo])*3 + int32(cb1[lo])
	sr := int32(cr0[lo])*3 + int32(cr1[lo])
	for i := lo; i < hi; i++ {
		nb := int32(cb0[i+1])*3 + int32(cb1[i+1])
		nr := int32(cr0[i+1])*3 + int32(cr1[i+1])
		y2 := (*[2]uint8)(yrow[2*i:])
		d := (*[6]uint8)(dst[6*i:])
		cb, cr := (3*sb+pb+8)>>4, (3*sr+pr+8)>>4
		yy := int32(y2[0]) + 256
		d[0] = clampTab[(yy+jpegCrR[uint8(cr)])&1023]
		d[1] = clampTab[(yy+(jpegCbG[uint8(cb)]+jpegCrG[uint8(cr)])>>16)&1023]
		d[2] = clampTab[(yy+jpegCbB[uint8(cb)])&1023]
		cb, cr = (3*sb+nb+7)>>4, (3*sr+nr+7)>>4
		yy = int32(y2[1]) + 256
		d[3] = clampTab[(yy+jpegCrR[uint8(cr)])&1023]
		d[4] = clampTab[(yy+(jpegCbG[uint8(cb)]+jpegCrG[uint8(cr)])>>16)&1023]
		d[5] = clampTab[(yy+jpegCbB[uint8(cb)])&1023]
		pb, pr, sb, sr = sb, sr, nb, nr
	}
}

// h2v1RowRGB is h2v1Row on both chroma rows fused with jpegRowToRGB,
// len(cb) = ceil(len(yrow)/2) ≥ 2. With cb[-1] = cb[0] and cb[n] = cb[n-1],
// h2v1Row's outputs are (3·c[i] + c[i-1] + 1)>>2 and (3·c[i] + c[i+1] + 2)>>2
// everywhere, edges included ((4c+1)>>2 = (4c+2)>>2 = c).
func h2v1RowRGB(dst, yrow, cb, cr []uint8) {
	n := len(cb)
	w := len(yrow)
	cr = cr[:n]
	dst = dst[:w*3]
	if useAVX2 && n >= 8 {
		// as in h2v2RowRGB: column 0 in Go, groups of 4 columns from
		// column 1 while their loads (columns i-1..i+6) stay in the row
		g := (n - 4) / 4
		e := 1 + 4*g
		_, _, _, _ = dst[6*e-1], yrow[2*e-1], cb[e+2], cr[e+2]
		h2v1Span(dst, yrow, cb, cr, 0, 1)
		h2v1RGBAVX2(&dst[6], &yrow[2], &cb[0], &cr[0], g)
		h2v1Span(dst, yrow, cb, cr, e, n-1)
	} else {
		h2v1Span(dst, yrow, cb, cr, 0, n-1)
	}
	pix := func(x int, b, r int32) {
		yy := int32(yrow[x]) + 256
		d := (*[3]uint8)(dst[x*3:])
		d[0] = clampTab[(yy+jpegCrR[uint8(r)])&1023]
		d[1] = clampTab[(yy+(jpegCbG[uint8(b)]+jpegCrG[uint8(r)])>>16)&1023]
		d[2] = clampTab[(yy+jpegCbB[uint8(b)])&1023]
	}
	sb, sr := int32(cb[n-1]), int32(cr[n-1])
	pb, pr := int32(cb[n-2]), int32(cr[n-2])
	x := 2 * (n - 1)
	pix(x, (3*sb+pb+1)>>2, (3*sr+pr+1)>>2)
	if x+1 < w {
		pix(x+1, sb, sr)
	}
}

// h2v1Span writes h2v1RowRGB's output pixels 2i and 2i+1 for chroma
// columns i in [lo, hi), hi ≤ len(cb)-1.
func h2v1Span(dst, yrow, cb, cr []uint8, lo, hi int) {
	cr = cr[:len(cb)]
	if lo >= hi {
		return
	}
	l := max(lo-1, 0)
	pb, pr := int32(cb[l]), int32(cr[l])
	sb, sr := int32(cb[lo]), int32(cr[lo])
	for i := lo; i < hi; i++ {
		nb, nr := int32(cb[i+1]), int32(cr[i+1])
		y2 := (*[2]uint8)(yrow[2*i:])
		d := (*[6]uint8)(dst[6*i:])
		b, r := (3*sb+pb+1)>>2, (3*sr+pr+1)>>2
		yy := int32(y2[0]) + 256
		d[0] = clampTab[(yy+jpegCrR[uint8(r)])&1023]
		d[1] = clampTab[(yy+(jpegCbG[uint8(b)]+jpegCrG[uint8(r)])>>16)&1023]
		d[2] = clampTab[(yy+jpegCbB[uint8(b)])&1023]
		b, r = (3*sb+nb+2)>>2, (3*sr+nr+2)>>2
		yy = int32(y2[1]) + 256
		d[3] = clampTab[(yy+jpegCrR[uint8(r)])&1023]
		d[4] = clampTab[(yy+(jpegCbG[uint8(b)]+jpegCrG[uint8(r)])>>16)&1023]
		d[5] = clampTab[(yy+jpegCbB[uint8(b)])&1023]
		pb, pr, sb, sr = sb, sr, nb, nr
	}
}

// h2v2Row: libjpeg h2v2_fancy_upsample on one pair of column sums
// (3·nearer + further); output has 2·len(sum) samples.
func h2v2Row(dst []uint8, s []int32) {
	n := len(s)
	dst[0] = uint8((s[0]*4 + 8) >> 4)
	dst[1] = uint8((s[0]*3 + s[1] + 7) >> 4)
	for i := 1; i < n-1; i++ {
		dst[2*i] = uint8((s[i]*3 + s[i-1] + 8) >> 4)
		dst[2*i+1] = uint8((s[i]*3 + s[i+1] + 7) >> 4)
	}
	dst[2*n-2] = uint8((s[n-1]*3 + s[n-2] + 8) >> 4)
	dst[2*n-1] = uint8((s[n-1]*4 + 7) >> 4)
}

// h2v1Row: libjpeg h2v1_fancy_upsample.
func h2v1Row(dst []uint8, in []uint8) {
	n := len(in)
	dst[0] = in[0]
	dst[1] = uint8((int32(in[0])*3 + int32(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := int32(in[i]) * 3
		dst[2*i] = uint8((v + int32(in[i-1]) + 1) >> 2)
		dst[2*i+1] = uint8((v + int32(in[i+1]) + 2) >> 2)
	}
	dst[2*n-2] = uint8((int32(in[n-1])*3 + int32(in[n-2]) + 1) >> 2)
	dst[2*n-1] = in[n-1]
}
