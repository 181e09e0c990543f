package image

import (
	"context"
	"math"
)

// Tokenizer turns encoded images into patch tokens. Built once by New;
// immutable afterwards and safe for concurrent use.
type Tokenizer struct {
	r *resolved
	// lut[c][v] is the float32 pixel value of uint8 v in channel c.
	lut [3][256]float32
	// pal2[k] = Σ palette[k][c]² (float64), for nearestColour.
	pal2 []float64
}

// Tokens is the result of one Tokenize call.
type Tokens struct {
	// Patches is [NumPatches*PatchDim]uint8, row-major. Rows are patches in
	// the preset's order; a row is laid out channel-major:
	// col = ((c*TemporalPatchSize + t)*PatchSize + py)*PatchSize + px.
	// For Qwen presets rows and columns are exactly HF's pixel_values layout
	// (rows in MergeSize×MergeSize groups: row = ((bh*GW+bw)*M+mh)*M+mw);
	// for the others rows are raster order gy*GridW+gx (a Conv2d
	// patch-embedding's order). Values are the resized uint8 RGB samples;
	// Tokenizer.Normalize maps them to pixel_values. With PatchLayout "hwc"
	// (Fuyu) a row is pixel-major instead: col = ((t*PatchSize + py)*
	// PatchSize + px)*3 + c, HF Fuyu's patchify_image order.
	Patches []uint8
	// PixelValues is the same layout as Patches in float32, filled only
	// with PatchDType "float32"; value = Normalize(uint8 value).
	PixelValues []float32
	// PatchDim = 3·TemporalPatchSize·PatchSize².
	PatchDim int
	// NumPatches = GridTHW[0]·GridTHW[1]·GridTHW[2].
	NumPatches int
	// GridTHW: (temporal, height, width) patch grid; HF image_grid_thw for
	// Qwen. Pixels beyond the last whole patch (SigLIP 384/14) are not in
	// Patches.
	GridTHW [3]int32
	// NumTokens: LLM tokens. Qwen: NumPatches/MergeSize²; Fuyu:
	// GridH·(GridW+1) (one |NEWLINE| per patch row, FuyuProcessor); igpt:
	// len(InputIDs) = 1024; others: NumPatches.
	NumTokens int
	// InputIDs, with Config.Palette: the nearest palette colour of every
	// pixel of the final image, raster order (len ImageHeight·ImageWidth;
	// HF ImageGPT input_ids). With Config.Codebook: the nearest centre of
	// every patch (len NumPatches, Codebook.Nearest on the uint8 samples
	// as float32). nil otherwise.
	InputIDs []int32
	// Format: "png", "jpeg", "gif", "bmp", "tiff" or "webp".
	Format string
	// Mode: the PIL mode the file opens as ("RGB", "RGBA", "L", "P", ...).
	Mode string
	// Orientation: EXIF orientation tag found (1..8; 0 = none), and whether
	// it was applied.
	Orientation        int
	OrientationApplied bool
	// OriginalWidth/Height: pixels as stored; Width/Height after EXIF.
	OriginalWidth, OriginalHeight int
	Width, Height                 int
	// ResizedWidth/Height: after resize, before any crop or padding
	// (Fuyu's image_unpadded_width/height).
	ResizedWidth, ResizedHeight int
	// ImageWidth/Height and Image: the final RGB image
	// ([ImageHeight*ImageWidth*3]uint8, HWC) the patches are cut from.
	ImageWidth, ImageHeight int
	Image                   []uint8
}

// New validates cfg and builds a Tokenizer. Errors wrap ErrConfig.
func New(cfg Config) (*Tokenizer, error) {
	r, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	t := &Tokenizer{r: r}
	for c := 0; c < 3; c++ {
		m, s := float32(r.mean[c]), float32(r.std[c])
		for v := 0; v < 256; v++ {
			x := float32(float64(v) * r.rescale)
			t.lut[c][v] = (x - m) / s
		}
	}
	for _, c := range r.palette {
		b2 := float64(c[0]*c[0]) + float64(c[1]*c[1])
		t.pal2 = append(t.pal2, b2+float64(c[2]*c[2]))
	}
	return t, nil
}

// Normalize maps a uint8 sample of channel c (0=R, 1=G, 2=B) to its
// pixel_values float32, exactly as the HF PIL-backend processors do:
// float32(float64(v)·rescale_factor), then (x − float32(mean))/float32(std)
// in float32.
func (t *Tokenizer) Normalize(c int, v uint8) float32 { return t.lut[c][v] }

// smartResize is transformers' Qwen2-VL smart_resize (v5): round half to
// even, then fit into [minPixels, maxPixels]. Errors (ErrInvalidSize) on an
// aspect ratio above 200.
func smartResize(h, w, factor, minPixels int, maxPixels float64) (int, int, error) {
	if float64(max(h, w))/float64(min(h, w)) > 200 {
		return 0, 0, errorf(ErrInvalidSize, "aspect ratio %dx%d is above 200 (Qwen smart_resize refuses it)", w, h)
	}
	f := float64(factor)
	hb := int(math.RoundToEven(float64(h)/f)) * factor
	wb := int(math.RoundToEven(float64(w)/f)) * factor
	if float64(hb*wb) > maxPixels {
		beta := math.Sqrt(float64(h*w) / maxPixels)
		hb = max(factor, int(math.Floor(float64(h)/beta/f))*factor)
		wb = max(factor, int(math.Floor(float64(w)/beta/f))*factor)
	} else if hb*wb < minPixels {
		beta := math.Sqrt(float64(minPixels) / float64(h*w))
		hb = int(math.Ceil(float64(h)*beta/f)) * factor
		wb = int(math.Ceil(float64(w)*beta/f)) * factor
	}
	return hb, wb, nil
}

// SmartResize exposes Qwen2-VL's smart_resize: the resized (height, width)
// in pixels for an h×w image, multiples of factor (28 for Qwen2-VL).
func SmartResize(h, w, factor, minPixels, maxPixels int) (int, int, error) {
	if h <= 0 || w <= 0 || factor <= 0 {
		return 0, 0, errorf(ErrInvalidSize, "smart_resize %dx%d factor %d", h, w, factor)
	}
	return smartResize(h, w, factor, minPixels, float64(maxPixels))
}

// SmartResizeF is SmartResize with a fractional pixel budget, as
// qwen-vl-utils computes one for video frames (total_pixels / nframes ·
// 2): the comparison h̄·w̄ > maxPixels and β = √(h·w / maxPixels) use it
// unrounded, in float64 as Python does.
func SmartResizeF(h, w, factor, minPixels int, maxPixels float64) (int, int, error) {
	if h <= 0 || w <= 0 || factor <= 0 || !(maxPixels > 0) {
		return 0, 0, errorf(ErrInvalidSize, "smart_resize %dx%d factor %d max_pixels %v", h, w, factor, maxPixels)
	}
	return smartResize(h, w, factor, minPixels, maxPixels)
}

// targetSize returns the resize target (h, w) for an h×w image.
func (t *Tokenizer) targetSize(h, w int) (int, int, error) {
	r := t.r
	switch r.mode {
	case ModeFixed:
		return r.height, r.width, nil
	case ModeFit:
		// transformers FuyuImageProcessor.resize: only downscale; scale =
		// min(H/h, W/w) in float64, sides int()-truncated.
		if w <= r.width && h <= r.height {
			return h, w, nil
		}
		s := min(float64(r.height)/float64(h), float64(r.width)/float64(w))
		return int(float64(h) * s), int(float64(w) * s), nil
	case ModeShortest:
		// transformers get_resize_output_image_size(default_to_square=False)
		short, long := w, h
		if w > h {
			short, long = h, w
		}
		newLong := int(float64(r.shortest*long) / float64(short))
		if w <= h {
			return newLong, r.shortest, nil
		}
		return r.shortest, newLong, nil
	default:
		return smartResize(h, w, r.patch*r.merge, r.minPixels, float64(r.maxPixels))
	}
}

// centerCrop is transformers image_transforms.center_crop on HWC RGB.
func centerCrop(pix []uint8, w, h, cw, ch int) []uint8 {
	top := floorDiv(h-ch, 2)
	left := floorDiv(w-cw, 2)
	if top >= 0 && left >= 0 && top+ch <= h && left+cw <= w {
		out := make([]uint8, cw*ch*3)
		for y := 0; y < ch; y++ {
			copy(out[y*cw*3:(y+1)*cw*3], pix[((top+y)*w+left)*3:((top+y)*w+left+cw)*3])
		}
		return out
	}
	nh, nw := max(ch, h), max(cw, w)
	canvas := make([]uint8, nh*nw*3)
	tp := (nh - h + 1) / 2
	lp := (nw - w + 1) / 2
	for y := 0; y < h; y++ {
		copy(canvas[((tp+y)*nw+lp)*3:((tp+y)*nw+lp+w)*3], pix[y*w*3:(y+1)*w*3])
	}
	top += tp
	left += lp
	y0, y1 := max(0, top), min(nh, top+ch)
	x0, x1 := max(0, left), min(nw, left+cw)
	out := make([]uint8, (y1-y0)*(x1-x0)*3)
	for y := y0; y < y1; y++ {
		copy(out[(y-y0)*(x1-x0)*3:(y-y0+1)*(x1-x0)*3], canvas[(y*nw+x0)*3:(y*nw+x1)*3])
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Tokenize decodes one encoded image (PNG, JPEG, GIF, BMP, TIFF, WebP),
// applies EXIF orientation, converts to RGB (PIL convert("RGB")), resizes
// with PIL-exact resampling, crops, and cuts patches. The uint8 resize output
// is bit-exact with PIL (JPEG too: our decoder matches Pillow's
// libjpeg-turbo; lossy WebP within ±2 levels; see docs/image.md). Errors wrap one of the
// package's sentinel errors (ErrUnsupportedFormat, ErrCorrupt,
// ErrTooManyPixels, ErrFileTooLarge, ErrInvalidSize) or ctx.Err().
func (t *Tokenizer) Tokenize(ctx context.Context, data []byte) (*Tokens, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, err := decodeRGB(data, t.r.dec)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return t.fromDecoded(d)
}

func (t *Tokenizer) fromDecoded(d *decoded) (*Tokens, error) {
	r := t.r
	img := d.rgb
	tk := &Tokens{Format: d.format, Mode: img.Mode, Orientation: d.orientation, OrientationApplied: d.applied,
		OriginalWidth: d.storedW, OriginalHeight: d.storedH, Width: img.W, Height: img.H}
	th, tw, err := t.targetSize(img.H, img.W)
	if err != nil {
		return nil, err
	}
	if th <= 0 || tw <= 0 || int64(th)*int64(tw) > 1<<28 {
		return nil, errorf(ErrInvalidSize, "resize target %dx%d for a %dx%d image is not usable", tw, th, img.W, img.H)
	}
	var pix []uint8
	if r.mode == ModeFit && tw == img.W && th == img.H {
		pix = img.Pix // HF does not resize an image that fits
	} else {
		pix = resizePIL(img.Pix, img.W, img.H, 3, tw, th, r.resample)
		if img.pooled { // a new slice came back; the decoded pixels are done with
			putBytes(img.Pix)
			img.Pix, img.pooled = nil, false
		}
	}
	tk.ResizedWidth, tk.ResizedHeight = tw, th
	w, h := tw, th
	switch r.mode {
	case ModeShortest:
		pix = centerCrop(pix, w, h, r.cropW, r.cropH)
		w, h = r.cropW, r.cropH
	case ModeFit:
		pix, w, h = padTo(pix, w, h, r.patch, r.pad)
	}
	tk.Image, tk.ImageWidth, tk.ImageHeight = pix, w, h
	t.patchify(tk)
	t.assign(tk)
	return tk, nil
}

// padTo pads an HWC RGB image at the bottom and right to whole p×p
// patches with the sample value v: HF Fuyu pads the uint8 image to
// 1080×1920 with padding_value and FuyuProcessor then keeps
// ceil(h/p)·p × ceil(w/p)·p of it.
func padTo(pix []uint8, w, h, p int, v uint8) ([]uint8, int, int) {
	nw, nh := (w+p-1)/p*p, (h+p-1)/p*p
	if nw == w && nh == h {
		return pix, w, h
	}
	out := make([]uint8, nw*nh*3)
	for i := range out {
		out[i] = v
	}
	for y := 0; y < h; y++ {
		copy(out[y*nw*3:], pix[y*w*3:(y+1)*w*3])
	}
	return out, nw, nh
}

// assign fills tk.InputIDs from the palette or the codebook.
func (t *Tokenizer) assign(tk *Tokens) {
	r := t.r
	switch {
	case r.palette != nil:
		n := tk.ImageWidth * tk.ImageHeight
		tk.InputIDs = make([]int32, n)
		for i := 0; i < n; i++ {
			var x [3]float32
			for c := 0; c < 3; c++ {
				x[c] = t.lut[c][tk.Image[i*3+c]]
			}
			tk.InputIDs[i] = int32(nearestColour(x, r.palette, t.pal2))
		}
		tk.NumTokens = n
	case r.codebook != nil:
		tk.InputIDs = make([]int32, tk.NumPatches)
		x := make([]float32, tk.PatchDim)
		for i := range tk.InputIDs {
			for j, v := range tk.Patches[i*tk.PatchDim : (i+1)*tk.PatchDim] {
				x[j] = float32(v)
			}
			k, _ := r.codebook.Nearest(x)
			tk.InputIDs[i] = int32(k)
		}
	}
}

// nearestColour is HF ImageGPT color_quantize for one pixel: argmin over k
// of d = (float64(a2) − 2·ab) + b2[k], a2 = x0²+x1²+x2² in float32, ab =
// Σ float64(x_c)·clusters[k][c] in float64 (c ascending, no FMA), b2[k] =
// Σ clusters[k][c]² in float64; the first minimum wins (np.argmin).
func nearestColour(x [3]float32, pal [][3]float64, b2 []float64) int {
	a2 := float32(x[0]*x[0]) + float32(x[1]*x[1])
	a2 += float32(x[2] * x[2])
	best, bd := 0, math.Inf(1)
	for k, c := range pal {
		ab := float64(float64(x[0])*c[0]) + float64(float64(x[1])*c[1])
		ab += float64(float64(x[2]) * c[2])
		d := (float64(a2) - float64(2*ab)) + b2[k]
		if d < bd {
			best, bd = k, d
		}
	}
	return best
}

func (t *Tokenizer) patchify(tk *Tokens) {
	r := t.r
	p, T, M := r.patch, r.temporal, r.merge
	gh, gw := tk.ImageHeight/p, tk.ImageWidth/p
	gh -= gh % M
	gw -= gw % M
	tk.GridTHW = [3]int32{1, int32(gh), int32(gw)}
	tk.NumPatches = gh * gw
	tk.NumTokens = tk.NumPatches / (M * M)
	if r.newlines {
		tk.NumTokens = gh * (gw + 1)
	}
	dim := 3 * T * p * p
	tk.PatchDim = dim
	tk.Patches = make([]uint8, tk.NumPatches*dim)
	W := tk.ImageWidth
	src := tk.Image
	GH, GW := gh/M, gw/M
	row := 0
	for bh := 0; bh < GH; bh++ {
		for bw := 0; bw < GW; bw++ {
			for mh := 0; mh < M; mh++ {
				for mw := 0; mw < M; mw++ {
					y0 := (bh*M + mh) * p
					x0 := (bw*M + mw) * p
					dst := tk.Patches[row*dim : (row+1)*dim]
					if r.hwc {
						for py := 0; py < p; py++ {
							copy(dst[py*p*3:(py+1)*p*3], src[((y0+py)*W+x0)*3:((y0+py)*W+x0+p)*3])
						}
						for tt := 1; tt < T; tt++ {
							copy(dst[tt*p*p*3:(tt+1)*p*p*3], dst[:p*p*3])
						}
						row++
						continue
					}
					// one pass over each patch row, split into the three planes
					pl := T * p * p
					for py := 0; py < p; py++ {
						s := src[((y0+py)*W+x0)*3 : ((y0+py)*W+x0+p)*3]
						o0 := dst[py*p : py*p+p]
						o1 := dst[pl+py*p : pl+py*p+p]
						o2 := dst[2*pl+py*p : 2*pl+py*p+p]
						o1, o2 = o1[:len(o0)], o2[:len(o0)]
						for px := range o0 {
							q := (*[3]uint8)(s[px*3:])
							o0[px], o1[px], o2[px] = q[0], q[1], q[2]
						}
					}
					for c := 0; c < 3; c++ {
						base := c * T * p * p
						for tt := 1; tt < T; tt++ {
							copy(dst[base+tt*p*p:base+(tt+1)*p*p], dst[base:base+p*p])
						}
					}
					row++
				}
			}
		}
	}
	if r.f32 {
		tk.PixelValues = t.PatchValues(tk)
	}
}

// PatchValues returns the normalized float32 patches, [NumPatches*PatchDim]
// in the layout of tk.Patches. For Qwen presets this is HF's pixel_values
// (float32-exact for non-JPEG inputs).
func (t *Tokenizer) PatchValues(tk *Tokens) []float32 {
	out := make([]float32, len(tk.Patches))
	if t.r.hwc {
		for i, v := range tk.Patches {
			out[i] = t.lut[i%3][v]
		}
		return out
	}
	// A channel's block is TemporalPatchSize runs of p×p samples. For a
	// still image they are copies of one another: a run equal to the first
	// is copied as floats instead of looked up again. (Video tokens come
	// here too, with different frames in the runs.)
	per := tk.PatchDim / 3
	one := per / max(t.r.temporal, 1)
	for r := 0; r+tk.PatchDim <= len(tk.Patches); r += tk.PatchDim {
		for c := 0; c < 3; c++ {
			lut := &t.lut[c]
			src := tk.Patches[r+c*per : r+(c+1)*per]
			dst := out[r+c*per : r+(c+1)*per]
			dst = dst[:len(src)]
			s0, d0 := src[:one], dst[:one]
			for i, v := range s0 {
				d0[i] = lut[v]
			}
			for o := one; o+one <= len(src); o += one {
				if s, d := src[o:o+one], dst[o:o+one]; string(s) == string(s0) {
					copy(d, d0)
				} else {
					for i, v := range s {
						d[i] = lut[v]
					}
				}
			}
		}
	}
	return out
}

// PixelValuesCHW returns the normalized final image as [3*ImageHeight*ImageWidth]
// float32, channels first: HF pixel_values[0] of the ViT, CLIP and SigLIP
// processors (float32-exact for non-JPEG inputs).
func (t *Tokenizer) PixelValuesCHW(tk *Tokens) []float32 {
	n := tk.ImageWidth * tk.ImageHeight
	out := make([]float32, 3*n)
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			out[c*n+i] = t.lut[c][tk.Image[i*3+c]]
		}
	}
	return out
}

// Describe returns the deterministic description of the configuration for
// the Arrow schema metadata.
func (t *Tokenizer) Describe() map[string]any {
	r := t.r
	d := map[string]any{
		"preset":              r.name,
		"reference":           r.reference,
		"mode":                r.mode,
		"resample":            r.resample.String(),
		"image_mean":          r.mean[:],
		"image_std":           r.std[:],
		"rescale_factor":      r.rescale,
		"patch_size":          r.patch,
		"temporal_patch_size": r.temporal,
		"merge_size":          r.merge,
		"patch_dtype":         r.dtype,
		"patch_layout":        map[bool]string{false: "row-major patches; col = ((c*temporal_patch_size + t)*patch_size + py)*patch_size + px", true: "row-major patches; col = ((t*patch_size + py)*patch_size + px)*3 + c (y, x, c)"}[r.hwc],
		"normalize":           "pixel_values = (float32(float64(x)*rescale_factor) - float32(mean[c])) / float32(std[c]), float32 arithmetic",
		"apply_exif":          !r.dec.noEXIF,
		"max_image_pixels":    r.dec.maxPixels,
		"max_file_bytes":      r.dec.maxFileBytes,
	}
	switch r.mode {
	case ModeFixed:
		d["size"] = map[string]int{"height": r.height, "width": r.width}
		d["num_tokens"] = "patches"
		d["row_order"] = "raster (gy*grid_w + gx)"
	case ModeShortest:
		d["size"] = map[string]int{"shortest_edge": r.shortest}
		d["crop_size"] = map[string]int{"height": r.cropH, "width": r.cropW}
		d["num_tokens"] = "patches"
		d["row_order"] = "raster (gy*grid_w + gx)"
	case ModeFit:
		d["size"] = map[string]int{"height": r.height, "width": r.width}
		d["resize"] = "downscale only, aspect kept: scale = min(height/h, width/w), int() sides"
		d["padding"] = map[string]any{"value_uint8": int(r.pad), "where": "bottom/right to whole patches, before rescale/normalize"}
		d["row_order"] = "raster (gy*grid_w + gx)"
		d["num_tokens"] = "patches"
		if r.newlines {
			d["num_tokens"] = "grid_h*(grid_w+1): patches plus one |NEWLINE| per patch row"
		}
	case ModeSmart:
		d["min_pixels"] = r.minPixels
		d["max_pixels"] = r.maxPixels
		d["num_tokens"] = "patches / merge_size^2 (LLM tokens)"
		d["row_order"] = "Qwen2-VL merge groups (HF pixel_values order)"
	}
	if r.palette != nil {
		d["input_ids"] = "nearest palette colour per pixel (HF ImageGPT color_quantize), raster order"
		d["palette_size"] = len(r.palette)
		d["num_tokens"] = "image pixels (len(input_ids))"
	}
	if r.codebook != nil {
		d["input_ids"] = "nearest codebook centre per patch: argmin_k sum_i (float32(x_i) - c_ki)^2 in float32, i ascending, lowest k on ties"
		d["codebook_k"] = r.codebook.K
	}
	if r.dec.hf {
		d["background"] = "hf: transformers load_image + convert_to_rgb: alpha dropped, a transparent colour (PNG tRNS, GIF index) becomes white"
	} else if r.dec.background != nil {
		d["background"] = r.dec.background[:]
	} else {
		d["background"] = "none: PIL convert(\"RGB\") drops alpha, keeps hidden colour"
	}
	return d
}
