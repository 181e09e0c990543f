package audio

import (
	"context"
	"errors"
	"testing"
)

// checkDecodeResult asserts the invariants every decode result must hold.
func checkDecodeResult(t *testing.T, p *PCM, err error) {
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedFormat) && !errors.Is(err, ErrNeedFFmpeg) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		return
	}
	if p.Channels < 1 || p.SampleRate < 1 || len(p.Samples)%p.Channels != 0 {
		t.Fatalf("bad PCM: %d ch, %d Hz, %d samples", p.Channels, p.SampleRate, len(p.Samples))
	}
}

func addSeeds(f *testing.F, names ...string) {
	for _, n := range names {
		b := fixture(f, n)
		f.Add(b)
		f.Add(b[:len(b)/2]) // truncated
		c := append([]byte(nil), b...)
		for i := len(c) / 3; i < len(c); i += 97 {
			c[i] ^= 0x5A // corrupted
		}
		f.Add(c)
	}
}

// go test -fuzz FuzzDecodeWAV ./audio
func FuzzDecodeWAV(f *testing.F) {
	addSeeds(f, "wav_s16.wav", "wav_s24.wav", "wav_f64.wav", "wav_alaw.wav", "wav_rf64_s16.wav", "wav_s16_streaming.wav")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeWAV(b)
		checkDecodeResult(t, p, err)
		if err == nil && len(p.Samples) > 4*len(b) {
			t.Fatalf("%d samples from %d bytes", len(p.Samples), len(b))
		}
	})
}

func FuzzDecodeFLAC(f *testing.F) {
	addSeeds(f, "flac_s16.flac", "flac_s24.flac")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeFLAC(b)
		checkDecodeResult(t, p, err)
	})
}

func FuzzDecodeMP3(f *testing.F) {
	addSeeds(f, "mp3_16k_mono.mp3", "mp3_44k_stereo.mp3")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeMP3(b)
		checkDecodeResult(t, p, err)
	})
}

func FuzzDecodeVorbis(f *testing.F) {
	addSeeds(f, "ogg_vorbis_16k.ogg")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeVorbis(b)
		checkDecodeResult(t, p, err)
	})
}

// The whole Tokenize path with the ffmpeg fallback off: an error or tokens,
// never a panic.
func FuzzTokenize(f *testing.F) {
	addSeeds(f, "wav_s16.wav", "mp3_16k_mono.mp3", "flac_s16.flac", "ogg_vorbis_16k.ogg")
	tk, err := New(Config{FFmpeg: "off", MaxBytes: 1 << 20, MaxDurationSeconds: 60})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := tk.Tokenize(context.Background(), b)
		if err == nil && (tok.NumTokens != tok.NFrames || len(tok.Mel) != tok.NFrames*tok.NMels) {
			t.Fatalf("inconsistent tokens: %d %d %d", tok.NumTokens, tok.NFrames, len(tok.Mel))
		}
	})
}
