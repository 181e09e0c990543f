package audio

import (
	"errors"
	"os"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// A file cut at 3/4 decodes what is there and says so (or, if
// nothing usable remains, fails with ErrCorrupt); the decoded part equals
// the start of the full decode.
func TestTruncatedCompressed(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  int
	}{{"flac_s16.flac", 15}, {"mp3_16k_mono.mp3", 15}, {"ogg_vorbis_16k.ogg", 15}, {"ogg_vorbis_16k.ogg", 19}, {"wav_s24.wav", 15}} {
		name, cut := tc.name, tc.cut
		full := fixture(t, name)
		whole, err := DecodeContext(t.Context(), full, DecodeOptions{FFmpeg: "off"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := DecodeContext(t.Context(), full[:len(full)*cut/20], DecodeOptions{FFmpeg: "off"})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: %v", name, err)
			}
			t.Logf("%s: %v", name, err)
			continue
		}
		if !p.Truncated {
			t.Errorf("%s: a cut file not flagged Truncated (%d of %d samples)", name, len(p.Samples), len(whole.Samples))
		}
		if len(p.Samples) == 0 || len(p.Samples) >= len(whole.Samples) {
			t.Errorf("%s: %d samples of %d", name, len(p.Samples), len(whole.Samples))
			continue
		}
		n := len(p.Samples) / 2 // the last packet before the cut may differ (overlap-add)
		if d, _ := maxAbsDiff(p.Samples[:n], whole.Samples[:n]); d > 1e-6 {
			t.Errorf("%s: prefix differs by %g", name, d)
		}
		t.Logf("%s: %d of %d samples, truncated", name, len(p.Samples), len(whole.Samples))
	}
}

// Ogg Vorbis cut mid-stream (the fixtures hold all audio in one page, so
// use a corpus file): the pages before the cut decode, flagged Truncated.
func TestTruncatedVorbisCorpus(t *testing.T) {
	full, err := os.ReadFile(testenv.Shared(t, "corpus/audio/ogg_vorbis_16k_mono_speech_librivox_0920.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := DecodeVorbis(full)
	p, err := DecodeVorbis(full[:len(full)/2])
	if err != nil {
		t.Fatal(err)
	}
	if !p.Truncated || len(p.Samples) == 0 || len(p.Samples) >= len(whole.Samples) {
		t.Fatalf("truncated %v, %d of %d samples", p.Truncated, len(p.Samples), len(whole.Samples))
	}
	n := len(p.Samples) / 2
	if d, _ := maxAbsDiff(p.Samples[:n], whole.Samples[:n]); d > 1e-6 {
		t.Fatalf("prefix differs by %g", d)
	}
}
