package video

import (
	"bytes"
	"context"
	"fmt"
	stdimage "image"
	"image/color"
	"image/gif"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// synthGIF makes a 16×16 animated GIF that exercises every disposal mode,
// sub-rectangles, a transparent index and delays 0/1 (→ 100 ms) and 5.
func synthGIF(t *testing.T, withTransparency bool) []byte {
	pal := color.Palette{
		color.RGBA{10, 20, 30, 255}, color.RGBA{200, 0, 0, 255}, color.RGBA{0, 200, 0, 255},
		color.RGBA{0, 0, 200, 255}, color.RGBA{250, 250, 0, 255}, color.RGBA{90, 90, 90, 255},
	}
	tpal := append(color.Palette{}, pal...)
	if withTransparency {
		tpal[5] = color.RGBA{0, 0, 0, 0}
	}
	fill := func(r stdimage.Rectangle, p color.Palette, f func(x, y int) uint8) *stdimage.Paletted {
		m := stdimage.NewPaletted(r, p)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m.SetColorIndex(x, y, f(x, y))
			}
		}
		return m
	}
	g := &gif.GIF{
		Image: []*stdimage.Paletted{
			fill(stdimage.Rect(0, 0, 16, 16), pal, func(x, y int) uint8 { return uint8((x/4 + y/4) % 4) }),
			fill(stdimage.Rect(2, 3, 12, 11), tpal, func(x, y int) uint8 { return uint8(4 + (x+y)%2) }),
			fill(stdimage.Rect(4, 4, 14, 14), pal, func(x, y int) uint8 { return 1 }),
			fill(stdimage.Rect(1, 1, 9, 15), tpal, func(x, y int) uint8 { return uint8(2 + 3*((x*y)%2)) }),
			fill(stdimage.Rect(6, 0, 16, 8), pal, func(x, y int) uint8 { return 3 }),
		},
		Delay:           []int{0, 5, 1, 30, 7},
		Disposal:        []byte{gif.DisposalBackground, gif.DisposalPrevious, gif.DisposalNone, gif.DisposalBackground, gif.DisposalPrevious},
		Config:          stdimage.Config{ColorModel: pal, Width: 16, Height: 16},
		BackgroundIndex: 2,
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGIFDisposalVsFFmpeg: the Go compositor equals ffmpeg's GIF decoder
// frame by frame (and in timestamps) on GIFs using disposal none /
// background / previous, sub-rectangles, transparency and short delays.
func TestGIFDisposalVsFFmpeg(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	for _, tr := range []bool{false, true} {
		data := synthGIF(t, tr)
		if testing.Verbose() {
			os.WriteFile(filepath.Join(t.TempDir(), "synth.gif"), data, 0o600)
		}
		a, err := mustTok(t, Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, GIF: "go"}).Tokenize(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		b, err := mustTok(t, Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, GIF: "ffmpeg"}).Tokenize(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		wantTS := []float64{0, 0.10, 0.15, 0.25, 0.55}
		for i, ts := range wantTS {
			if math.Abs(a.Timestamps[i]-ts) > 1e-9 || math.Abs(b.Timestamps[i]-ts) > 1e-9 {
				t.Fatalf("transparency %v frame %d: go %v ffmpeg %v want %v", tr, i, a.Timestamps[i], b.Timestamps[i], ts)
			}
		}
		if math.Abs(a.Duration-b.Duration) > 1e-9 {
			t.Errorf("duration go %v ffmpeg %v", a.Duration, b.Duration)
		}
		seqA, _ := decodeGIF(data, 1<<30, 100)
		raw := fullDecode(t, writeTemp(t, data), 16, 16)
		for i := range raw {
			if !bytes.Equal(seqA.frames[i], raw[i]) {
				t.Errorf("transparency %v: frame %d differs from ffmpeg: %s", tr, i, pixDiff(seqA.frames[i], raw[i], 16))
			}
		}
	}
}

func mustTok(t *testing.T, c Config) *Tokenizer {
	tok, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func writeTemp(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "in")
	os.WriteFile(p, b, 0o600)
	return p
}

func pixDiff(a, b []byte, w int) string {
	s := ""
	n := 0
	for i := 0; i+2 < len(a); i += 3 {
		if !bytes.Equal(a[i:i+3], b[i:i+3]) {
			if n < 6 {
				s += fmt.Sprintf(" (%d,%d) go %v ff %v;", (i/3)%w, (i/3)/w, a[i:i+3], b[i:i+3])
			}
			n++
		}
	}
	return fmt.Sprintf("%d pixels:%s", n, s)
}

// TestGIFGoTimestampsExact: the Go path's timestamps are whole
// centiseconds (0.1, 0.3 — not 0.30000000000000004), as ffmpeg's
// pts·time_base, so both paths write the same bytes; Describe names the
// GIF decoder in use.
func TestGIFGoTimestampsExact(t *testing.T) {
	tok, err := New(Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, GIF: "go"})
	if err != nil {
		t.Fatal(err)
	}
	data := synthGIF(t, true)
	tk, err := tok.Tokenize(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.Timestamps) < 3 {
		t.Fatalf("%d timestamps", len(tk.Timestamps))
	}
	for k, ts := range tk.Timestamps {
		if cs := math.Round(ts * 100); ts != cs/100 {
			t.Errorf("frame %d at %v s, not a whole centisecond (%v)", k, ts, cs/100)
		}
	}
	if d := tok.Describe()["gif_decoder"]; d != "go" {
		t.Errorf("gif_decoder = %v", d)
	}
}
