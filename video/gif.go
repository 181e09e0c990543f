package video

import (
	"bytes"
	"context"
	"fmt"
	stdimage "image"
	"image/color"
	stdgif "image/gif"

	"github.com/tokenfab/tokenfab/image"
)

// sequence is a decoded frame sequence with presentation times, from a
// decoder that is not ffmpeg (GIF, frame files).
type sequence struct {
	frames    [][]uint8 // rgb24 HWC, w×h
	w, h      int
	pts       []float64 // seconds
	end       float64   // end of the last frame, seconds
	container string
	codec     string
	decoder   string
	names     []string // frame files (TokenizeFrameFiles), for messages
}

// decodeGIF composites an animated GIF in Go exactly as ffmpeg's gif
// decoder (+ rgb24 conversion) does: the canvas starts as the global
// palette's background colour, or white (ffmpeg's transparent colour
// 0x00ffffff with alpha dropped) when the first frame has a transparent
// index or there is no global palette; each frame draws its
// non-transparent pixels into its rectangle; then its disposal applies
// before the next frame: 0/1 keep, 2 fill the rectangle with the
// background colour (white if that frame had a transparent index), 3
// restore the canvas from before the frame. Delays
// are in 10 ms units; a delay under 2 (20 ms) counts as 10 (100 ms), as
// ffmpeg's GIF demuxer does (min_delay 2, default_delay 10). This is the
// same picture ffmpeg's gif decoder gives (tested frame by frame).
func decodeGIF(data []byte, maxBytes int64, maxFrames int) (*sequence, error) {
	cfg, err := stdgif.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, errorf(ErrCorrupt, "gif: %v", err)
	}
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 || int64(w)*int64(h) > 1<<26 {
		return nil, errorf(ErrCorrupt, "gif: logical screen %dx%d", w, h)
	}
	// The limits are checked on the frames counted by walking the blocks,
	// before DecodeAll: it holds every frame (up to the logical screen
	// each), so a small file of many large frames of one colour (LZW
	// compresses them ~1000:1) would otherwise take gigabytes first.
	if n := gifDescriptors(data); n > maxFrames {
		return nil, errorf(ErrTooLong, "%d frames > MaxSourceFrames %d", n, maxFrames)
	} else if int64(n)*int64(w*h*3) > maxBytes {
		return nil, errorf(ErrTooLarge, "%d gif frames of %dx%d > MaxDecodedBytes %d", n, w, h, maxBytes)
	}
	g, err := stdgif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return nil, errorf(ErrCorrupt, "gif: %v", err)
	}
	if len(g.Image) == 0 {
		return nil, errorf(ErrNoFrames, "gif has no frames")
	}
	if len(g.Image) > maxFrames {
		return nil, errorf(ErrTooLong, "%d frames > MaxSourceFrames %d", len(g.Image), maxFrames)
	}
	if int64(len(g.Image))*int64(w*h*3) > maxBytes {
		return nil, errorf(ErrTooLarge, "%d gif frames of %dx%d > MaxDecodedBytes %d", len(g.Image), w, h, maxBytes)
	}
	var bg [3]uint8
	if pl, ok := g.Config.ColorModel.(color.Palette); ok && int(g.BackgroundIndex) < len(pl) {
		r, gg, b, a := pl[g.BackgroundIndex].RGBA()
		if a != 0 {
			bg = [3]uint8{uint8(r >> 8), uint8(gg >> 8), uint8(b >> 8)}
		}
	}
	hasTrans := func(m *stdimage.Paletted) bool {
		for _, c := range m.Palette {
			if _, _, _, a := c.RGBA(); a == 0 {
				return true
			}
		}
		return false
	}
	// ffmpeg fills with its transparent colour 0x00ffffff (white once alpha
	// is dropped) where PIL/browsers would show transparency.
	white := [3]uint8{255, 255, 255}
	_, globalPal := g.Config.ColorModel.(color.Palette)
	first := bg
	if hasTrans(g.Image[0]) || !globalPal {
		first = white
	}
	canvas := make([]uint8, w*h*3)
	for i := 0; i < w*h; i++ {
		copy(canvas[i*3:], first[:])
	}
	seq := &sequence{w: w, h: h, container: "gif", codec: "gif", decoder: "go-gif"}
	cs := 0 // time of the frame, in the 10 ms units of GIF delays
	for k, m := range g.Image {
		var prev []uint8
		disposal := byte(0)
		if k < len(g.Disposal) {
			disposal = g.Disposal[k]
		}
		if disposal == stdgif.DisposalPrevious {
			prev = append([]uint8(nil), canvas...)
		}
		b := m.Bounds().Intersect(stdimage.Rect(0, 0, w, h))
		trans := -1
		for i, c := range m.Palette {
			if _, _, _, a := c.RGBA(); a == 0 {
				trans = i
				break
			}
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				ci := int(m.ColorIndexAt(x, y))
				if ci == trans || ci >= len(m.Palette) {
					continue
				}
				r, gg, bb, _ := m.Palette[ci].RGBA()
				o := (y*w + x) * 3
				canvas[o], canvas[o+1], canvas[o+2] = uint8(r>>8), uint8(gg>>8), uint8(bb>>8)
			}
		}
		seq.frames = append(seq.frames, append([]uint8(nil), canvas...))
		seq.pts = append(seq.pts, float64(cs)/100)
		d := 10
		if k < len(g.Delay) && g.Delay[k] >= 2 {
			d = g.Delay[k]
		}
		cs += d // whole centiseconds: 0.5, 1.0, 1.5 s exactly, as ffmpeg's pts·time_base
		switch disposal {
		case stdgif.DisposalBackground:
			fc := bg
			if trans >= 0 || !globalPal {
				fc = white
			}
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					copy(canvas[(y*w+x)*3:], fc[:])
				}
			}
		case stdgif.DisposalPrevious:
			canvas = prev
		}
	}
	seq.end = float64(cs) / 100
	return seq, nil
}

// gifDescriptors counts the image descriptors of a GIF by walking its
// blocks without decoding (header and logical screen, global colour
// table, then extensions: label and sub-blocks; images: 10-byte
// descriptor, local colour table, LZW code size, sub-blocks; up to the
// trailer). A descriptor counts as soon as it is complete, even if its
// data is cut: the decoder allocates the frame before reading the data.
// It is an upper bound on the frames image/gif.DecodeAll allocates.
func gifDescriptors(data []byte) int {
	if len(data) < 13 {
		return 0
	}
	p := 13
	if data[10]&0x80 != 0 {
		p += 3 << (data[10]&7 + 1)
	}
	skipSubBlocks := func(p int) int { // index after the terminator, or len(data)
		for p < len(data) {
			n := int(data[p])
			p++
			if n == 0 {
				return p
			}
			p += n
		}
		return len(data)
	}
	n := 0
	for p < len(data) {
		switch data[p] {
		case 0x21: // extension introducer, label, sub-blocks
			p = skipSubBlocks(p + 2)
		case 0x2C: // image descriptor
			if p+10 > len(data) {
				return n
			}
			n++
			flags := data[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << (flags&7 + 1)
			}
			p = skipSubBlocks(p + 1) // after the LZW minimum code size
		default: // trailer (0x3B), or bytes the decoder refuses
			return n
		}
	}
	return n
}

// fromSequence samples and tokenizes an already decoded sequence.
func (t *Tokenizer) fromSequence(ctx context.Context, s *sequence) (*Tokens, error) {
	load := func(i int) ([]uint8, int, int, error) { return s.frames[i], s.w, s.h, nil }
	return t.fromSequenceLazy(ctx, s, len(s.frames), load)
}

func (t *Tokenizer) fromSequenceLazy(ctx context.Context, s *sequence, n int, load func(int) ([]uint8, int, int, error)) (*Tokens, error) {
	avg := 0.0
	if s.end > s.pts[0] {
		avg = float64(n) / (s.end - s.pts[0])
	}
	tk := &Tokens{SourceFrames: n, AvgFPS: avg, Duration: s.end - s.pts[0], Container: s.container, Codec: s.codec, Decoder: s.decoder}
	if tk.Duration > t.r.maxDur {
		return nil, errorf(ErrTooLong, "%.1f s > MaxDurationSeconds %.1f", tk.Duration, t.r.maxDur)
	}
	idx, ticks, err := t.sample(s.pts, s.end, avg)
	if err != nil {
		return nil, err
	}
	cache := map[int][]uint8{}
	seq := make([][]uint8, len(idx))
	w, h := s.w, s.h
	for k, i := range idx {
		f, ok := cache[i]
		if !ok {
			var fw, fh int
			f, fw, fh, err = load(i)
			if err != nil {
				return nil, err
			}
			if w == 0 {
				w, h = fw, fh
				if int64(len(idx))*int64(w*h*3) > t.r.maxDec {
					return nil, errorf(ErrTooLarge, "%d frames of %dx%d > MaxDecodedBytes %d", len(idx), w, h, t.r.maxDec)
				}
			}
			if fw != w || fh != h {
				what := fmt.Sprintf("frame %d", i)
				if i < len(s.names) {
					what = fmt.Sprintf("frame %d (%s)", i, s.names[i])
				}
				return nil, errorf(image.ErrInvalidSize, "%s is %dx%d, the first sampled frame %dx%d", what, fw, fh, w, h)
			}
			cache[i] = f
		}
		seq[k] = f
	}
	tk.Width, tk.Height, tk.StoredWidth, tk.StoredHeight = w, h, w, h
	tk.FrameIndices = idx
	tk.Timestamps = make([]float64, len(idx))
	for k, i := range idx {
		tk.Timestamps[k] = s.pts[i]
	}
	tk.SampleTimes = ticks
	return t.finish(ctx, tk, seq)
}
