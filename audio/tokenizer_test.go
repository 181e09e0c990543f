package audio

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// makeWAV builds a 16-bit PCM WAV from interleaved float samples.
func makeWAV(x []float32, ch, rate int) []byte {
	b := make([]byte, 44+2*len(x))
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(x)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], uint16(ch))
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(rate*ch*2))
	binary.LittleEndian.PutUint16(b[32:], uint16(ch*2))
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(x)))
	for i, v := range x {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(math.Round(float64(v)*32767))))
	}
	return b
}

func mustNew(t testing.TB, cfg Config) *Tokenizer {
	t.Helper()
	tk, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// The whole chain (decode → mono → 16 kHz → log-mel) on corpus speech,
// against HF goldens computed from ffmpeg's decode.
func TestTokenizeWhisperCorpusChain(t *testing.T) {
	dir := testenv.Shared(t, "corpus/audio")
	tk := mustNew(t, Config{})
	for _, c := range goldenCorpus {
		b, _ := os.ReadFile(filepath.Join(dir, c))
		tok, err := tk.Tokenize(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := golden(t, "whisper80_corpus_"+c)
		if tok.NumTokens != 3000 || tok.NFrames != 3000 || tok.NMels != 80 || tok.Chunks != 1 || len(tok.Mel) != len(want) {
			t.Fatalf("%s: tokens %d frames %d mels %d", c, tok.NumTokens, tok.NFrames, tok.NMels)
		}
		if d, _ := maxAbsDiff(tok.Mel, want); d > whisperTol {
			t.Fatalf("%s: max |Δ| %g", c, d)
		}
	}
}

// Stereo with L = −R downmixes (mean) to silence: every value −1.5, as
// HF gives for zeros. AST takes channel 0 instead, so it sees the tone.
func TestDownmixMeanVsFirst(t *testing.T) {
	tone := synth("tone440_2s")
	st := make([]float32, 2*len(tone))
	for i, v := range tone {
		st[2*i], st[2*i+1] = v, -v
	}
	wav := makeWAV(st, 2, 16000)
	tok, err := mustNew(t, Config{}).Tokenize(context.Background(), wav)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := golden(t, "whisper80_silence_1s")
	if d, _ := maxAbsDiff(tok.Mel, want); d != 0 || tok.Mel[0] != -1.5 {
		t.Fatalf("L=-R not silent: max |Δ| %g, first %g", d, tok.Mel[0])
	}
	a, err := mustNew(t, Config{Preset: "ast"}).Tokenize(context.Background(), wav)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := DecodeWAV(wav)
	wantA, _ := ASTFeatures(p.Channel(0))
	if d, _ := maxAbsDiff(a.Mel, wantA); d != 0 || math.Abs(float64(a.Mel[0])-0.467033) < 1e-3 {
		t.Fatalf("ast did not take channel 0: max |Δ| %g, first %g", d, a.Mel[0])
	}
	m, _ := mustNew(t, Config{Preset: "ast", Downmix: "mean"}).Tokenize(context.Background(), wav)
	silent := (math.Log(kaldiEps) + 4.2677393) / 9.1379948 // log floor of a silent frame
	if math.Abs(float64(m.Mel[0])-silent) > 1e-6 {
		t.Fatalf("ast with Downmix mean: first %g, want the silent %g", m.Mel[0], silent)
	}
}

func TestTokenizeEmptyAndShort(t *testing.T) {
	for _, n := range []int{0, 1, 100, 399} {
		wav := makeWAV(make([]float32, n), 1, 16000)
		w, err := mustNew(t, Config{}).Tokenize(context.Background(), wav)
		if err != nil {
			t.Fatalf("%d samples: %v", n, err)
		}
		if w.NFrames != 3000 || w.Mel[0] != -1.5 || w.Mel[len(w.Mel)-1] != -1.5 {
			t.Fatalf("%d samples: whisper %d frames, %g", n, w.NFrames, w.Mel[0])
		}
		a, err := mustNew(t, Config{Preset: "ast"}).Tokenize(context.Background(), wav)
		if err != nil {
			t.Fatalf("%d samples: %v", n, err)
		}
		if a.NumTokens != 1212 || math.Abs(float64(a.Mel[0])-0.467033) > 1e-6 {
			t.Fatalf("%d samples: ast %d tokens, first %g", n, a.NumTokens, a.Mel[0])
		}
	}
}

func TestTokenizeLongAudio(t *testing.T) {
	x := synth("tone440_35s")
	wav := makeWAV(x, 1, 16000)
	tok, err := mustNew(t, Config{}).Tokenize(context.Background(), wav)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Chunks != 2 || tok.NumTokens != 6000 || tok.Truncated {
		t.Fatalf("chunks %d tokens %d truncated %v", tok.Chunks, tok.NumTokens, tok.Truncated)
	}
	tr, _ := mustNew(t, Config{LongAudio: "truncate"}).Tokenize(context.Background(), wav)
	if tr.Chunks != 1 || tr.NumTokens != 3000 || !tr.Truncated {
		t.Fatalf("truncate: chunks %d truncated %v", tr.Chunks, tr.Truncated)
	}
	if _, err := mustNew(t, Config{MaxDurationSeconds: 10}).Tokenize(context.Background(), wav); !errors.Is(err, ErrTooLong) {
		t.Fatalf("MaxDurationSeconds: %v", err)
	}
	if _, err := mustNew(t, Config{MaxBytes: 1000}).Tokenize(context.Background(), wav); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxBytes: %v", err)
	}
}

func TestASTPatchLayout(t *testing.T) {
	feat := make([]float32, 1024*128)
	for i := range feat {
		feat[i] = float32(i)
	}
	p := ASTPatches(feat)
	if len(p) != 1212*256 {
		t.Fatal(len(p))
	}
	// patch (f=3, t=7), in-patch (freq i=2, time j=5) = feat[time 75][mel 32].
	idx := (3*101+7)*256 + 2*16 + 5
	if p[idx] != feat[75*128+32] {
		t.Fatalf("got %g want %g", p[idx], feat[75*128+32])
	}
}

func TestTokenizeErrors(t *testing.T) {
	tk := mustNew(t, Config{FFmpeg: "off"})
	for _, in := range [][]byte{nil, []byte("hello"), []byte("RIFF\x00\x00\x00\x00WAVE"), fixture(t, "opus_16k.opus")} {
		if _, err := tk.Tokenize(context.Background(), in); !errors.Is(err, ErrUnsupportedFormat) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%q: err %v", in[:min(len(in), 8)], err)
		}
	}
	for _, c := range []Config{{Preset: "x"}, {Resampler: "sox"}, {LongAudio: "x"}, {Downmix: "x"}} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tk.Tokenize(ctx, fixture(t, "wav_s16.wav")); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// Concurrent Tokenize calls give the same result as a sequential one.
func TestTokenizeConcurrent(t *testing.T) {
	tk := mustNew(t, Config{})
	in := fixture(t, "wav_s16_stereo_44k.wav")
	ref, err := tk.Tokenize(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := tk.Tokenize(context.Background(), in)
			if err == nil {
				if d, _ := maxAbsDiff(got.Mel, ref.Mel); d != 0 {
					err = errors.New("concurrent result differs")
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if ref.SourceRate != 44100 || ref.SourceChannels != 2 {
		t.Fatalf("source %d Hz %d ch", ref.SourceRate, ref.SourceChannels)
	}
}

func TestWhisperFFmpegLoader(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	tk := mustNew(t, Config{Resampler: "ffmpeg"})
	tok, err := tk.Tokenize(context.Background(), fixture(t, "wav_s16.wav"))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := mustNew(t, Config{}).Tokenize(context.Background(), fixture(t, "wav_s16.wav"))
	// 16 kHz mono s16 in, s16 out: ffmpeg's path is lossless here.
	if d, _ := maxAbsDiff(tok.Mel, ref.Mel); d != 0 {
		t.Fatalf("max |Δ| %g", d)
	}
}

// Decoder "ffmpeg" decodes every format with ffmpeg (pcm_f32le), so the
// MP3 fixture's samples are ffmpeg's own: features equal those of the
// committed ffmpeg decode (.f32, made by scripts/golden/audio_fixtures.sh)
// run through the same resample and log-mel, exactly.
func TestDecoderFFmpeg(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	tk := mustNew(t, Config{Decoder: "ffmpeg"})
	if d := tk.Describe(); d["decoder"] != "ffmpeg" || d["decoder_params"] == nil {
		t.Fatalf("Describe: decoder %v params %v", d["decoder"], d["decoder_params"])
	}
	if d := mustNew(t, Config{}).Describe(); d["decoder"] != "builtin" {
		t.Fatalf("default decoder %v", d["decoder"])
	}
	tok, err := tk.Tokenize(context.Background(), fixture(t, "mp3_16k_mono.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Codec != "ffmpeg/mp3" || tok.SourceRate != 16000 || tok.SourceChannels != 1 {
		t.Fatalf("codec %q rate %d channels %d", tok.Codec, tok.SourceRate, tok.SourceChannels)
	}
	ref := bytesToF32(fixture(t, "mp3_16k_mono.mp3.f32"))
	want, _ := WhisperLogMel(ref, 80)
	if d, at := maxAbsDiff(tok.Mel, want); d != 0 {
		t.Fatalf("max |Δ| %g at %d vs the ffmpeg decode", d, at)
	}
	for _, c := range []Config{{Decoder: "sox"}, {Decoder: "ffmpeg", FFmpeg: "off"}} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
}
