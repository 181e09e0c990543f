package audio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// Every file of ../shared/corpus/audio decodes natively like
// `ffmpeg -f f32le`: WAV and FLAC sample-exact (tolerance 1e-7, float32
// rounding only), MP3 within 1e-4 with ffmpeg's gapless length, Ogg Vorbis
// within 1e-6. Opus goes through the ffmpeg fallback (exact).
func TestDecodeCorpusVsFFmpeg(t *testing.T) {
	dir := testenv.Shared(t, "corpus/audio")
	files, _ := filepath.Glob(filepath.Join(dir, "*.*"))
	if len(files) < 29 {
		t.Fatalf("%d corpus files, want 29", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			opt := DecodeOptions{FFmpeg: "off"}
			if strings.HasPrefix(name, "opus") {
				opt.FFmpeg = ""
			}
			p, err := DecodeContext(t.Context(), b, opt)
			if err != nil {
				t.Fatal(err)
			}
			want := ffmpegF32(t, f)
			if len(p.Samples) != len(want) {
				t.Fatalf("%s: %d samples, ffmpeg %d", p.Codec, len(p.Samples), len(want))
			}
			tol := decodeTol(name)
			if d, at := maxAbsDiff(p.Samples, want); d > tol {
				t.Fatalf("%s: max |Δ| %g at %d (tolerance %g)", p.Codec, d, at, tol)
			} else {
				t.Logf("%s: %d samples, max |Δ| %g", p.Codec, len(want), d)
			}
			if p.Truncated {
				t.Fatal("flagged truncated")
			}
		})
	}
}

// PreferFFmpeg (Config.Decoder "ffmpeg") gives exactly `ffmpeg -i FILE -f
// f32le` for every corpus file: same length (MP3 cut to the LAME tag's
// length, which ffmpeg applies to files but not to pipes) and the same
// samples (tolerance 0: the same decoder writes both).
func TestPreferFFmpegCorpusExact(t *testing.T) {
	dir := testenv.Shared(t, "corpus/audio")
	files, _ := filepath.Glob(filepath.Join(dir, "*.*"))
	if len(files) < 29 {
		t.Fatalf("%d corpus files, want 29", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := DecodeContext(t.Context(), b, DecodeOptions{PreferFFmpeg: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := ffmpegF32(t, f)
		if len(p.Samples) != len(want) {
			t.Fatalf("%s: %d samples, ffmpeg %d", name, len(p.Samples), len(want))
		}
		if d, at := maxAbsDiff(p.Samples, want); d != 0 {
			t.Fatalf("%s: max |Δ| %g at %d", name, d, at)
		}
		if !strings.HasPrefix(p.Codec, "ffmpeg") {
			t.Fatalf("%s: codec %q", name, p.Codec)
		}
	}
}
