package image

import (
	"context"
)

// This file is the entry point for sequences of already decoded RGB frames
// (package video). It reuses the single-image path exactly: the same target
// size (targetSize: fixed / shortest+crop / Qwen smart_resize), the same
// PIL-exact resizePIL and centerCrop, the same patchify row/column order and
// the same normalize LUT. Only the temporal axis is new: TemporalPatchSize
// consecutive frames fill one patch's t columns, instead of one image being
// repeated.

// TokenizeFrames tokenizes a clip of decoded RGB frames of one size.
//
// Input: frames[i] is [h*w*3]uint8, HWC rgb24, all w×h pixels (what
// `ffmpeg -pix_fmt rgb24` writes). Every frame is resized (and cropped) as
// Tokenize would resize a w×h image. Frames are grouped in runs of
// TemporalPatchSize T; when len(frames) is not a multiple of T the last frame
// is repeated, as HF Qwen2VLVideoProcessor.patchify (and qwen-vl-utils) pad.
//
// Output (a *Tokens, fields as for Tokenize, plus):
//   - Patches: [NumPatches*PatchDim]uint8 with NumPatches = G·gh·gw,
//     G = ceil(len(frames)/T). Rows are temporal-group-major, and within a
//     group in the preset's order (Qwen merge groups, else raster); columns
//     ((c*T + t)*PatchSize + py)*PatchSize + px with t the frame within the
//     group. For Qwen presets this is HF Qwen2VLVideoProcessor's
//     pixel_values_videos layout; for T=2, P=16 raster it is the
//     Conv3d-tubelet (VideoMAE/ViViT) input cut into tubelets.
//   - GridTHW = (G, gh, gw) (HF video_grid_thw for Qwen).
//   - NumTokens = NumPatches / MergeSize².
//   - Image: all len(frames) final frames back to back,
//     [len(frames)*ImageHeight*ImageWidth*3]uint8 (padding not included).
//   - Format "frames", Mode "RGB"; no EXIF handling (frames carry none).
//
// Errors: ErrInvalidSize (no frames, w or h ≤ 0, a frame of the wrong
// length, unusable resize target, Qwen aspect ratio > 200), or ctx.Err()
// (checked between frames).
func (t *Tokenizer) TokenizeFrames(ctx context.Context, frames [][]uint8, w, h int) (*Tokens, error) {
	if len(frames) == 0 || w <= 0 || h <= 0 {
		return nil, errorf(ErrInvalidSize, "TokenizeFrames: %d frames of %dx%d", len(frames), w, h)
	}
	for i, f := range frames {
		if len(f) != w*h*3 {
			return nil, errorf(ErrInvalidSize, "TokenizeFrames: frame %d has %d bytes, want %dx%dx3 = %d", i, len(f), w, h, w*h*3)
		}
	}
	th, tw, err := t.targetSize(h, w)
	if err != nil {
		return nil, err
	}
	return t.tokenizeFrames(ctx, frames, w, h, th, tw)
}

// TokenizeFramesMaxPixels is TokenizeFrames for a smart-resize preset
// (qwen2-vl, qwen2.5-vl) with this per-frame pixel budget instead of the
// configuration's MaxPixels: the frames are resized to SmartResizeF(h, w,
// patch_size·merge_size, MinPixels, maxPixels). The video package uses it
// for qwen-vl-utils' total-pixel cap. Other modes: ErrConfig.
func (t *Tokenizer) TokenizeFramesMaxPixels(ctx context.Context, frames [][]uint8, w, h int, maxPixels float64) (*Tokens, error) {
	r := t.r
	if r.mode != ModeSmart {
		return nil, errorf(ErrConfig, "TokenizeFramesMaxPixels needs a smart-resize preset, not mode %s", r.mode)
	}
	if w <= 0 || h <= 0 {
		return nil, errorf(ErrInvalidSize, "TokenizeFrames: %d frames of %dx%d", len(frames), w, h)
	}
	th, tw, err := SmartResizeF(h, w, r.patch*r.merge, r.minPixels, maxPixels)
	if err != nil {
		return nil, err
	}
	for i, f := range frames {
		if len(f) != w*h*3 {
			return nil, errorf(ErrInvalidSize, "TokenizeFrames: frame %d has %d bytes, want %dx%dx3 = %d", i, len(f), w, h, w*h*3)
		}
	}
	if len(frames) == 0 {
		return nil, errorf(ErrInvalidSize, "TokenizeFrames: no frames")
	}
	return t.tokenizeFrames(ctx, frames, w, h, th, tw)
}

// tokenizeFrames resizes the checked frames to tw×th and patchifies them.
func (t *Tokenizer) tokenizeFrames(ctx context.Context, frames [][]uint8, w, h, th, tw int) (*Tokens, error) {
	r := t.r
	if th <= 0 || tw <= 0 || int64(th)*int64(tw) > 1<<28 {
		return nil, errorf(ErrInvalidSize, "resize target %dx%d for %dx%d frames is not usable", tw, th, w, h)
	}
	tk := &Tokens{Format: "frames", Mode: "RGB", OriginalWidth: w, OriginalHeight: h, Width: w, Height: h,
		ResizedWidth: tw, ResizedHeight: th}
	fw, fh := tw, th
	if r.mode == ModeShortest {
		fw, fh = r.cropW, r.cropH
	}
	tk.ImageWidth, tk.ImageHeight = fw, fh
	fsz := fw * fh * 3
	all := make([]uint8, len(frames)*fsz)
	for i, f := range frames {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pix := resizePIL(f, w, h, 3, tw, th, r.resample)
		if r.mode == ModeShortest {
			pix = centerCrop(pix, tw, th, r.cropW, r.cropH)
		}
		copy(all[i*fsz:(i+1)*fsz], pix)
	}
	tk.Image = all

	// Patchify every frame with the single-image patchify (T copies of one
	// frame, in the preset's row order) and take its t=0 block into the
	// frame's temporal slot of its group.
	one := *t
	rr := *r
	rr.f32 = false
	one.r = &rr
	T, p := r.temporal, r.patch
	groups := (len(frames) + T - 1) / T
	var perFrame, dim int
	for g := 0; g < groups; g++ {
		for tt := 0; tt < T; tt++ {
			i := min(g*T+tt, len(frames)-1) // pad: repeat the last frame
			ft := &Tokens{ImageWidth: fw, ImageHeight: fh, Image: all[i*fsz : (i+1)*fsz]}
			one.patchify(ft)
			if tk.Patches == nil {
				perFrame, dim = ft.NumPatches, ft.PatchDim
				tk.PatchDim = dim
				tk.NumPatches = groups * perFrame
				tk.GridTHW = [3]int32{int32(groups), ft.GridTHW[1], ft.GridTHW[2]}
				tk.NumTokens = tk.NumPatches / (r.merge * r.merge)
				tk.Patches = make([]uint8, tk.NumPatches*dim)
			}
			pp := p * p
			for row := 0; row < perFrame; row++ {
				src := ft.Patches[row*dim : (row+1)*dim]
				dst := tk.Patches[(g*perFrame+row)*dim : (g*perFrame+row+1)*dim]
				for c := 0; c < 3; c++ {
					copy(dst[(c*T+tt)*pp:(c*T+tt+1)*pp], src[c*T*pp:c*T*pp+pp])
				}
			}
		}
	}
	if r.f32 {
		tk.PixelValues = t.PatchValues(tk)
	}
	return tk, nil
}

// NewOffset is New with an offset subtracted after rescaling, for
// processors that map uint8 to [−1, 1] before normalizing (HF
// VivitVideoProcessor: rescale_factor 1/127.5, offset 1, then mean/std 0.5).
// Normalize(c, v) becomes, in float32 arithmetic as torch does it,
// ((float32(v)·float32(rescale) − float32(offset)) − float32(mean[c])) / float32(std[c]).
// Note the rescale product is float32·float32 here (torch's
// `images.float() * rescale_factor`), not New's float64 product. Errors as New.
func NewOffset(cfg Config, offset float64) (*Tokenizer, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, err
	}
	r := t.r
	for c := 0; c < 3; c++ {
		m, s := float32(r.mean[c]), float32(r.std[c])
		for v := 0; v < 256; v++ {
			x := float32(float32(v)*float32(r.rescale)) - float32(offset) // explicit conversion: no FMA fusion
			t.lut[c][v] = (x - m) / s
		}
	}
	return t, nil
}

// DecodeRGB decodes one encoded image (PNG, JPEG, GIF first frame, BMP,
// TIFF, WebP) exactly as Tokenize does before resizing: PIL convert("RGB")
// semantics, EXIF orientation applied, default limits (256 MiB file,
// 89,478,485 pixels). Returns [h*w*3]uint8 HWC rgb24 and the size in
// pixels. Errors: ErrUnsupportedFormat, ErrCorrupt, ErrTooManyPixels,
// ErrFileTooLarge. Used by package video for directories of frame images.
func DecodeRGB(data []byte) (pix []uint8, w, h int, err error) {
	d, err := decodeRGB(data, decodeOptions{maxPixels: DefaultMaxPixels, maxFileBytes: 256 << 20})
	if err != nil {
		return nil, 0, 0, err
	}
	return d.rgb.Pix, d.rgb.W, d.rgb.H, nil
}
