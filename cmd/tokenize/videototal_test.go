package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestRunVideoTotalPixels: --video-total-pixels reaches the qwen2-vl video
// tokenizer (its metadata records the budget) and is refused for other
// presets and negative values.
func TestRunVideoTotalPixels(t *testing.T) {
	dir := t.TempDir()
	gif := filepath.Join(testenv.Root(), "fixtures", "video", "anim_80x45.gif")
	out := filepath.Join(dir, "out")
	if code, _, stderr := tokenize(t, "", "run", gif, "-o", out, "-q", "--video-total-pixels", "90316800"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := openArrow(t, filepath.Join(out, "part-00000.arrow"))
	if md, _ := r.Schema().Metadata().GetValue("tokenfab"); !strings.Contains(md, `"total_pixels":90316800`) {
		t.Errorf("metadata lacks total_pixels: %s", md)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--video-total-pixels", "1e6", "--video-preset", "videomae"}, "applies to the qwen2-vl preset only, not videomae"},
		{[]string{"--video-total-pixels", "-5"}, "--video-total-pixels -5: want a positive pixel count (0: off)"},
		{[]string{"--video-fps", "-2"}, "tokenize: --video-fps -2: want a positive number of frames per second\n"},
		{[]string{"--video-frames", "-1"}, "tokenize: --video-frames -1: want a positive number of frames\n"},
	} {
		code, _, stderr := tokenize(t, "", append([]string{"run", gif, "-o", filepath.Join(dir, "bad")}, c.args...)...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %s; want %q", c.args, code, stderr, c.want)
		}
	}
}
