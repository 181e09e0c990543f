package video

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
)

// totalPixelsCase is one fetch_video run of
// scripts/golden/video_total_pixels.py (qwen-vl-utils 0.0.14).
type totalPixelsCase struct {
	Height    int      `json:"height"`
	Width     int      `json:"width"`
	NFrames   int      `json:"nframes"`
	Total     float64  `json:"total_pixels"`
	MinPixels int      `json:"min_pixels"`
	MaxPixels *int     `json:"max_pixels"`
	Factor    int      `json:"factor"`
	FrameMax  *float64 `json:"frame_max_pixels"`
	Resized   []int    `json:"resized"`
	Error     *string  `json:"error"`
	maxOrZero int      // MaxPixels, 0 when not given
	frameMaxV float64  // *FrameMax
	resizedHW [2]int   // Resized as (height, width)
}

func totalPixelsGolden(t *testing.T) []totalPixelsCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir(), "total_pixels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Default float64           `json:"default_total_pixels"`
		Cases   []totalPixelsCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if g.Default != QwenVLUtilsTotalPixels {
		t.Fatalf("qwen-vl-utils default total_pixels %v, QwenVLUtilsTotalPixels %v", g.Default, float64(QwenVLUtilsTotalPixels))
	}
	if len(g.Cases) < 300 {
		t.Fatalf("%d cases", len(g.Cases))
	}
	for i := range g.Cases {
		c := &g.Cases[i]
		if c.Error != nil || c.FrameMax == nil || len(c.Resized) != 2 || c.Factor != 28 {
			t.Fatalf("case %d is not a completed fetch_video run: %+v", i, c)
		}
		if c.MaxPixels != nil {
			c.maxOrZero = *c.MaxPixels
		}
		c.frameMaxV, c.resizedHW = *c.FrameMax, [2]int{c.Resized[0], c.Resized[1]}
	}
	return g.Cases
}

// TestFrameMaxPixelsGolden: FrameMaxPixels and image.SmartResizeF give
// exactly qwen-vl-utils fetch_video's per-frame budget and resized size
// (fractional budgets included) for every golden case. The one documented
// difference: where qwen-vl-utils' smart_resize floors a side to 0 (no
// max(factor, ·); its resize then fails), ours keeps 28, as transformers'.
func TestFrameMaxPixelsGolden(t *testing.T) {
	fractional, capped, zero := 0, 0, 0
	for _, c := range totalPixelsGolden(t) {
		if c.resizedHW[0] == 0 || c.resizedHW[1] == 0 {
			zero++
			c.resizedHW = [2]int{max(28, c.resizedHW[0]), max(28, c.resizedHW[1])}
		}
		got := FrameMaxPixels(c.Total, c.NFrames, c.MinPixels, c.maxOrZero)
		if got != c.frameMaxV {
			t.Errorf("%dx%d n=%d total=%v min=%d max=%v: FrameMaxPixels %v, qwen-vl-utils %v", c.Height, c.Width, c.NFrames, c.Total, c.MinPixels, c.MaxPixels, got, c.frameMaxV)
			continue
		}
		h, w, err := image.SmartResizeF(c.Height, c.Width, 28, c.MinPixels, got)
		if err != nil || [2]int{h, w} != c.resizedHW {
			t.Errorf("%dx%d n=%d total=%v: resized %dx%d (%v), qwen-vl-utils %v", c.Height, c.Width, c.NFrames, c.Total, h, w, err, c.Resized)
		}
		if got != float64(int64(got)) {
			fractional++
		}
		if got < qwenVideoFrameMaxPixels {
			capped++
		}
	}
	if fractional < 10 || capped < 100 || zero != 8 {
		t.Fatalf("golden exercises %d fractional and %d capped budgets (want >= 10, >= 100), %d zero sides (want the 8 of 99x1999 at total 7001)", fractional, capped, zero)
	}
}

// TestTotalPixelsTokenize: the qwen2-vl preset with TotalPixels resizes a
// real video's frames to qwen-vl-utils' size for its frame count (the
// golden case of the same H×W, count and settings), and without it keeps
// HF's per-frame smart_resize.
func TestTotalPixelsTokenize(t *testing.T) {
	golden := totalPixelsGolden(t)
	for _, fx := range []struct {
		file  string
		total float64
	}{{"rot90_160x90.mp4", 7001}, {"vfr_160x90.mp4", 30000}, {"anim_80x45.gif", 7001}} {
		data, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "video", fx.file))
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Preset: "qwen2-vl", GIF: "go", MinPixels: 3136, MaxPixels: 768 * 28 * 28}
		off, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.TotalPixels = fx.total
		on, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		a, err := off.Tokenize(context.Background(), data)
		if err != nil {
			t.Fatalf("%s: %v", fx.file, err)
		}
		b, err := on.Tokenize(context.Background(), data)
		if err != nil {
			t.Fatalf("%s: %v", fx.file, err)
		}
		hh, hw, _ := image.SmartResize(a.Height, a.Width, 28, 3136, 768*28*28)
		if a.FrameHeight != hh || a.FrameWidth != hw || a.FrameMaxPixels != 0 {
			t.Errorf("%s without TotalPixels: frames %dx%d (budget %v), want HF's %dx%d", fx.file, a.FrameWidth, a.FrameHeight, a.FrameMaxPixels, hw, hh)
		}
		n := (b.NumFrames + 1) / 2 * 2
		var c *totalPixelsCase
		for i := range golden {
			g := &golden[i]
			if g.Height == b.Height && g.Width == b.Width && g.NFrames == n && g.Total == fx.total && g.MinPixels == 3136 && g.maxOrZero == 768*28*28 {
				c = g
			}
		}
		if c == nil {
			t.Fatalf("%s: no golden case for %dx%d, %d frames, total %v: add it to scripts/golden/video_total_pixels.py", fx.file, b.Height, b.Width, n, fx.total)
		}
		if b.FrameMaxPixels != c.frameMaxV || [2]int{b.FrameHeight, b.FrameWidth} != c.resizedHW {
			t.Errorf("%s: budget %v, frames %dx%d (h×w); qwen-vl-utils %v, %v", fx.file, b.FrameMaxPixels, b.FrameHeight, b.FrameWidth, c.frameMaxV, c.Resized)
		}
		if want := [3]int32{int32(n / 2), int32(c.resizedHW[0] / 14), int32(c.resizedHW[1] / 14)}; b.GridTHW != want {
			t.Errorf("%s: grid %v, want %v", fx.file, b.GridTHW, want)
		}
		if c.resizedHW == [2]int{hh, hw} {
			t.Errorf("%s: the budget does not change the size (%v); the case tests nothing", fx.file, c.Resized)
		}
	}
}

func TestTotalPixelsConfig(t *testing.T) {
	for _, cfg := range []Config{{Preset: "videomae", TotalPixels: 1e6}, {TotalPixels: -1}} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", cfg, err)
		}
	}
	vt, err := New(Config{TotalPixels: QwenVLUtilsTotalPixels})
	if err != nil {
		t.Fatal(err)
	}
	if d := vt.Describe(); d["total_pixels"] != float64(90316800) {
		t.Errorf("Describe total_pixels %v", d["total_pixels"])
	}
}
