package video

import (
	"context"
	"errors"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestTruncatedAndGarbage: cut files and garbage behind a valid magic
// number give a result from the frames that exist, or ErrCorrupt /
// ErrNoFrames / ErrUnsupportedFormat — never a panic, never a leaked temp
// file. Specific expectations: an MP4 cut before its moov is ErrCorrupt; a
// WebM cut at 60 % yields fewer frames than the whole file.
func TestTruncatedAndGarbage(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	tmp := t.TempDir()
	tok, _ := New(Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, TempDir: tmp})
	mp4, _ := os.ReadFile(fixture("audio_first_160x120.mp4"))
	_, err1 := tok.Tokenize(context.Background(), mp4[:len(mp4)/2])
	if !errors.Is(err1, ErrCorrupt) {
		t.Errorf("mp4 cut in half: %v, want ErrCorrupt", err1)
	}
	// The same input gives the same message (error rows must not make
	// reruns differ), on one line.
	if _, err2 := tok.Tokenize(context.Background(), mp4[:len(mp4)/2]); err1 == nil || err2 == nil ||
		err1.Error() != err2.Error() || strings.Contains(err1.Error(), "\n") || strings.Contains(err1.Error(), "tokenfab-video-") {
		t.Errorf("mp4 cut in half, twice: %q then %q", err1, err2)
	}
	webm, _ := os.ReadFile(fixture("odd_95x53_vp9.webm"))
	tk, err := tok.Tokenize(context.Background(), webm[:len(webm)*6/10])
	if err != nil {
		t.Errorf("webm cut at 60%%: %v", err)
	} else if tk.NumFrames >= 30 || tk.NumFrames < 5 {
		t.Errorf("webm cut at 60%%: %d frames", tk.NumFrames)
	}
	rng := rand.New(rand.NewSource(1))
	for _, name := range fixtureClips {
		data, _ := os.ReadFile(fixture(name))
		for k := 0; k < 2; k++ {
			cut := data[:rng.Intn(len(data))]
			bad := append([]byte(nil), data...)
			for j := 0; j < 20; j++ {
				bad[16+rng.Intn(len(bad)-16)] = byte(rng.Intn(256))
			}
			for _, in := range [][]byte{cut, bad} {
				for _, gifMode := range []string{"go", "ffmpeg"} {
					tk2, _ := New(Config{Preset: "vit-base-patch16-224", NumFrames: 2, GIF: gifMode, TempDir: tmp})
					_, err := tk2.Tokenize(context.Background(), in)
					if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNoFrames) && !errors.Is(err, ErrUnsupportedFormat) {
						t.Errorf("%s (%d bytes): unexpected error kind: %v", name, len(in), err)
					}
				}
			}
		}
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Fatalf("temp files left: %d", len(ents))
	}
}
