package report

import (
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/draw"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/palette/moreland"
)

// Layout says how a preset cut an image into patch rows (the tokenfab
// metadata's patch_size, temporal_patch_size, merge_size, patch_layout).
type Layout struct {
	PatchSize int
	Temporal  int  // samples per patch in time (Qwen: 2, the image repeated)
	Merge     int  // rows come in Merge×Merge groups (Qwen: 2); 1 = raster
	HWC       bool // columns (y, x, c) (Fuyu) instead of (c, t, y, x)
}

// LayoutOf reads the Layout from a tokenizer description (tokenizers.image,
// or tokenizers.video.image for video rows); patchDim is the column's
// width, from which the temporal size is derived.
func LayoutOf(desc map[string]any, patchDim int) (Layout, error) {
	l := Layout{Merge: 1, Temporal: 1}
	p, ok := num(desc, "patch_size")
	if !ok || p <= 0 {
		return l, fmt.Errorf("the tokenizer description has no patch_size")
	}
	l.PatchSize = p
	if m, ok := num(desc, "merge_size"); ok && m > 0 {
		l.Merge = m
	}
	if patchDim%(3*p*p) != 0 || patchDim == 0 {
		return l, fmt.Errorf("patch width %d is not 3·t·%d²", patchDim, p)
	}
	l.Temporal = patchDim / (3 * p * p)
	l.HWC = strings.Contains(str(desc, "patch_layout"), "(y, x, c)")
	return l, nil
}

// Frames puts patches (len t·h·w·dim, dim = 3·Temporal·PatchSize²) back
// together into the t·Temporal RGB frames they were cut from (HWC,
// h·PatchSize × w·PatchSize pixels each). An image row gives Temporal
// identical frames (Qwen repeats the image).
func Frames(patches []uint8, grid [3]int32, l Layout) ([][]uint8, int, int, error) {
	gt, gh, gw := int(grid[0]), int(grid[1]), int(grid[2])
	P, T, M := l.PatchSize, l.Temporal, l.Merge
	dim := 3 * T * P * P
	if gt <= 0 || gh <= 0 || gw <= 0 || gh%M != 0 || gw%M != 0 {
		return nil, 0, 0, fmt.Errorf("grid_thw %v does not fit merge size %d", grid, M)
	}
	if len(patches) != gt*gh*gw*dim {
		return nil, 0, 0, fmt.Errorf("%d patch samples, want t·h·w·dim = %d·%d·%d·%d", len(patches), gt, gh, gw, dim)
	}
	W, H := gw*P, gh*P
	frames := make([][]uint8, gt*T)
	for f := range frames {
		frames[f] = make([]uint8, W*H*3)
	}
	row := 0
	for tg := 0; tg < gt; tg++ {
		for bh := 0; bh < gh/M; bh++ {
			for bw := 0; bw < gw/M; bw++ {
				for mh := 0; mh < M; mh++ {
					for mw := 0; mw < M; mw++ {
						y0, x0 := (bh*M+mh)*P, (bw*M+mw)*P
						src := patches[row*dim : (row+1)*dim]
						for t := 0; t < T; t++ {
							dst := frames[tg*T+t]
							for py := 0; py < P; py++ {
								for px := 0; px < P; px++ {
									o := ((y0+py)*W + x0 + px) * 3
									for c := 0; c < 3; c++ {
										if l.HWC {
											dst[o+c] = src[((t*P+py)*P+px)*3+c]
										} else {
											dst[o+c] = src[((c*T+t)*P+py)*P+px]
										}
									}
								}
							}
						}
						row++
					}
				}
			}
		}
	}
	return frames, W, H, nil
}

// RGBImage wraps HWC RGB samples as an opaque image.
func RGBImage(pix []uint8, w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(img.Pix[i*4:i*4+3], pix[i*3:i*3+3])
		img.Pix[i*4+3] = 255
	}
	return img
}

// DrawGrid draws the patch grid on img: a line every patch (dark) and,
// when merge > 1, every merge group (yellow). The lines cover the first
// pixel column/row of each patch.
func DrawGrid(img draw.Image, patch, merge int) {
	b := img.Bounds()
	patchC := color.NRGBA{255, 0, 255, 255}
	groupC := color.NRGBA{255, 255, 0, 255}
	for x := b.Min.X; x < b.Max.X; x += patch {
		c := patchC
		if merge > 1 && (x-b.Min.X)%(patch*merge) == 0 {
			c = groupC
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			img.Set(x, y, c)
		}
	}
	for y := b.Min.Y; y < b.Max.Y; y += patch {
		c := patchC
		if merge > 1 && (y-b.Min.Y)%(patch*merge) == 0 {
			c = groupC
		}
		for x := b.Min.X; x < b.Max.X; x++ {
			img.Set(x, y, c)
		}
	}
}

// ImageOf returns the image of an image row: the resized (and cropped or
// padded) image its uint8 patches were cut from, with the patch grid drawn
// when grid is true.
func ImageOf(r *Row, grid bool) (*image.NRGBA, error) {
	desc := r.Meta.Tokenizers["image"]
	if r.Patches == nil && r.PatchValues != nil && desc != nil {
		u8, err := Denormalize(r.PatchValues, r.PatchDim, desc)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", r.Index, err)
		}
		r.Patches = u8
	}
	if r.Patches == nil {
		if r.PatchDType != "" {
			return nil, rowErrorf("row %d has %s patches; show reassembles uint8 and float32 patches only (run with --patch-dtype uint8)", r.Index, r.PatchDType)
		}
		return nil, rowErrorf("row %d has no patches", r.Index)
	}
	if desc == nil || !r.HasGrid {
		return nil, rowErrorf("row %d: no image tokenizer metadata or grid_thw", r.Index)
	}
	l, err := LayoutOf(desc, r.PatchDim)
	if err != nil {
		return nil, err
	}
	frames, w, h, err := Frames(r.Patches, r.Grid, l)
	if err != nil {
		return nil, err
	}
	img := RGBImage(frames[0], w, h)
	if grid {
		DrawGrid(img, l.PatchSize, l.Merge)
	}
	return img, nil
}

// MelImage renders a mel row as a heatmap: time left to right (one pixel
// column per frame, or the maximum over groups of frames when there are
// more than 4000), low frequencies at the bottom, 3 pixels per mel band,
// colours from gonum's Moreland blue–red map over the row's min..max.
func MelImage(r *Row) (*image.NRGBA, error) {
	if r.NMels == 0 || len(r.Mel) == 0 {
		return nil, rowErrorf("row %d has no mel frames", r.Index)
	}
	frames := len(r.Mel) / r.NMels
	step := (frames + 3999) / 4000
	cols := (frames + step - 1) / step
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range r.Mel {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi <= lo {
		hi = lo + 1
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(float64(lo))
	cm.SetMax(float64(hi))
	const bandPx = 3
	img := image.NewNRGBA(image.Rect(0, 0, cols, r.NMels*bandPx))
	for x := 0; x < cols; x++ {
		for m := 0; m < r.NMels; m++ {
			v := float32(math.Inf(-1))
			for f := x * step; f < min(frames, (x+1)*step); f++ {
				v = max(v, r.Mel[f*r.NMels+m])
			}
			c, err := cm.At(float64(v))
			if err != nil {
				return nil, err
			}
			for k := 0; k < bandPx; k++ {
				img.Set(x, (r.NMels-1-m)*bandPx+k, c)
			}
		}
	}
	return img, nil
}

// ContactSheet renders a video row as its sampled frames (put back
// together from video_patches), four per line, each captioned with its
// index and timestamp; frames added by temporal padding say so.
func ContactSheet(r *Row, grid bool) (*image.NRGBA, error) {
	if r.VideoPatches == nil || !r.HasGrid {
		return nil, rowErrorf("row %d has no uint8 video_patches", r.Index)
	}
	vd := r.Meta.Tokenizers["video"]
	desc, _ := vd["image"].(map[string]any)
	if desc == nil {
		return nil, rowErrorf("row %d: no tokenizers.video.image metadata", r.Index)
	}
	l, err := LayoutOf(desc, r.VideoPatchDim)
	if err != nil {
		return nil, err
	}
	frames, w, h, err := Frames(r.VideoPatches, r.Grid, l)
	if err != nil {
		return nil, err
	}
	const capH, pad = 16, 4
	cols := min(4, len(frames))
	lines := (len(frames) + cols - 1) / cols
	sheet := image.NewNRGBA(image.Rect(0, 0, cols*(w+pad)+pad, lines*(h+capH+pad)+pad))
	draw.Draw(sheet, sheet.Bounds(), image.White, image.Point{}, draw.Src)
	for i, f := range frames {
		x0, y0 := pad+(i%cols)*(w+pad), pad+(i/cols)*(h+capH+pad)
		fr := RGBImage(f, w, h)
		if grid {
			DrawGrid(fr, l.PatchSize, l.Merge)
		}
		draw.Draw(sheet, image.Rect(x0, y0, x0+w, y0+h), fr, image.Point{}, draw.Src)
		caption := fmt.Sprintf("#%d padding", i)
		if i < len(r.Timestamps) {
			caption = fmt.Sprintf("#%d t=%.3fs", i, r.Timestamps[i])
		}
		d := font.Drawer{Dst: sheet, Src: image.Black, Face: basicfont.Face7x13,
			Dot: fixed.P(x0, y0+h+capH-3)}
		d.DrawString(caption)
	}
	return sheet, nil
}

type tokenSpan struct {
	Text    string
	Title   string
	Class   string
	Special bool
}

// WriteTextHTML writes a text row as HTML: every token a span with
// alternating colours, so the boundaries show, holding the token's text as
// the tokenizer's decoder renders it in context (TextDecoder.Pieces: the
// spans concatenate to the decoded row, spaces of SentencePiece "▁" tokens
// included); a token's tooltip gives its id and its own decoded bytes. Special tokens are boxed; a token that is not whole UTF-8
// (part of a character) is shown as \x escapes.
func WriteTextHTML(w io.Writer, r *Row) error {
	if (r.Modality != "text" && !r.Packed) || r.InputIDs == nil {
		return rowErrorf("row %d is not a text row with input_ids", r.Index)
	}
	td, err := NewTextDecoder(r.Meta)
	if err != nil {
		return err
	}
	pieces, specials, err := td.Pieces(r.InputIDs)
	if err != nil {
		return err
	}
	var spans []tokenSpan
	for k, id := range r.InputIDs {
		raw, _, err := td.Token(id)
		if err != nil {
			return err
		}
		b, special := pieces[k], specials[k]
		s := string(b)
		if !utf8.Valid(b) {
			var e strings.Builder
			for _, c := range b {
				fmt.Fprintf(&e, `\x%02x`, c)
			}
			s = e.String()
		}
		spans = append(spans, tokenSpan{Text: s, Title: fmt.Sprintf("#%d id %d %q", k, id, raw),
			Class: []string{"a", "b", "c"}[k%3], Special: special})
	}
	name := str(r.Meta.Tokenizers["text"], "name")
	title := fmt.Sprintf("row %d: %s", r.Index, r.ID)
	if r.Packed {
		title = fmt.Sprintf("row %d: packed sequence (%d of %d slots used; the pad ids after them are not shown)", r.Index, r.NumTokens, r.PackLength)
	}
	return textTmpl.Execute(w, map[string]any{"Title": title, "Spans": spans, "Tokenizer": name})
}

var textTmpl = template.Must(template.New("text").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:sans-serif;margin:1.5em}
pre{white-space:pre-wrap;font-size:15px;line-height:1.6}
span.a{background:#ffe0a0}span.b{background:#a0e0ff}span.c{background:#c0f0b0}
span.s{outline:2px solid #c00}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{len .Spans}} tokens ({{.Tokenizer}}); colours change at every token boundary; hover for the id.</p>
<pre>{{range .Spans}}<span class="{{.Class}}{{if .Special}} s{{end}}" title="{{.Title}}">{{.Text}}</span>{{end}}</pre>
</body></html>
`))

// WritePNGPage writes a minimal HTML page embedding png (a data: URI) with
// a caption, for `tokenize show … -o OUT.html` on non-text rows.
func WritePNGPage(w io.Writer, title, caption string, png []byte) error {
	return pngTmpl.Execute(w, map[string]any{"Title": title, "Caption": caption, "Src": dataURI("image/png", png)})
}

var pngTmpl = template.Must(template.New("png").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:sans-serif"><h1>{{.Title}}</h1><p>{{.Caption}}</p><img alt="{{.Title}}" src="{{.Src}}"></body></html>
`))

// Picture renders a non-text row: the reassembled image of an image row,
// the mel heatmap of an audio row, the contact sheet of a video row. grid
// draws the patch grid (images and video frames).
func Picture(r *Row, grid bool) (image.Image, error) {
	if r.Error != "" {
		return nil, rowErrorf("row %d (%s) is an error row: %s", r.Index, r.ID, r.Error)
	}
	switch r.Modality {
	case "image":
		return ImageOf(r, grid)
	case "audio":
		return MelImage(r)
	case "video":
		return ContactSheet(r, grid)
	case "text":
		return nil, rowErrorf("row %d is a text row: write it as HTML (-o OUT.html)", r.Index)
	}
	if r.Packed {
		return nil, rowErrorf("row %d is a packed sequence of text ids (--pack %d): write it as HTML (-o OUT.html)", r.Index, r.PackLength)
	}
	return nil, rowErrorf("row %d has modality %q: nothing to show", r.Index, r.Modality)
}

// Denormalize maps float32 pixel values (--patch-dtype float32) back to the
// uint8 samples they were computed from, exactly: the image package's
// normalization is a strictly increasing function of the uint8 value per
// channel, so every float32 value has one preimage, recomputed here from
// the description's rescale_factor, image_mean and image_std with the same
// float32 arithmetic. A value with no preimage is an error.
func Denormalize(vals []float32, dim int, desc map[string]any) ([]uint8, error) {
	rescale, _ := desc["rescale_factor"].(float64)
	mean, _ := desc["image_mean"].([]any)
	std, _ := desc["image_std"].([]any)
	if rescale == 0 || len(mean) != 3 || len(std) != 3 || dim%3 != 0 {
		return nil, fmt.Errorf("the image metadata lacks rescale_factor/image_mean/image_std")
	}
	var inv [3]map[float32]uint8
	for c := 0; c < 3; c++ {
		m, _ := mean[c].(float64)
		s, _ := std[c].(float64)
		inv[c] = make(map[float32]uint8, 256)
		for v := 0; v < 256; v++ {
			x := float32(float64(v) * rescale)
			inv[c][(x-float32(m))/float32(s)] = uint8(v)
		}
	}
	hwc := strings.Contains(str(desc, "patch_layout"), "(y, x, c)")
	per := dim / 3
	out := make([]uint8, len(vals))
	for i, v := range vals {
		c := (i % dim) / per
		if hwc {
			c = i % 3
		}
		u, ok := inv[c][v]
		if !ok {
			return nil, fmt.Errorf("pixel value %v (channel %d) is no uint8 sample's normalization", v, c)
		}
		out[i] = u
	}
	return out, nil
}
