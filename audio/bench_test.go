package audio

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"

	goaudiowav "github.com/go-audio/wav"
	dspfft "github.com/mjibson/go-dsp/fft"
	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

func noise(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.Float64() - 0.5)
	}
	return x
}

// FFT choice (docs/dependencies.md): one n_fft=400 real frame, as the
// Whisper STFT does 3001 times per 30-s chunk.
func BenchmarkFFT400Gonum(b *testing.B) {
	x := make([]float64, 400)
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	f := fourier.NewFFT(400)
	dst := make([]complex128, 201)
	b.ReportAllocs()
	for b.Loop() {
		f.Coefficients(dst, x)
	}
}

func BenchmarkFFT400GoDSP(b *testing.B) {
	x := make([]float64, 400)
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		dspfft.FFTReal(x)
	}
}

// The FFT paths agree (so the choice is about speed; go-dsp's symmetric
// window, not its FFT, is what gives 0.49 on Whisper).
func TestFFTGonumMatchesGoDSP(t *testing.T) {
	x := make([]float64, 400)
	for i := range x {
		x[i] = math.Sin(float64(i) * 0.3)
	}
	a := fourier.NewFFT(400).Coefficients(nil, x)
	c := dspfft.FFTReal(x)
	for k := range a {
		if d := math.Abs(real(a[k]-c[k])) + math.Abs(imag(a[k]-c[k])); d > 1e-9 {
			t.Fatalf("bin %d differs by %g", k, d)
		}
	}
}

// cpuTime returns this process's user+system CPU time: reported next to
// ns/op because the 2-core machine is shared and wall time is noisy.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// 30 s of 16-kHz audio to Whisper log-mel (one chunk), one goroutine.
func BenchmarkWhisper80Chunk30s(b *testing.B) {
	x := noise(whisperSamples, 1)
	b.SetBytes(int64(len(x) * 4))
	c0 := cpuTime()
	for b.Loop() {
		WhisperLogMel(x, 80)
	}
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

// Speech-like input: 8 s of speech-band signal then 22 s of zero padding,
// the common case (most values are clamped at max−8).
func BenchmarkWhisper80Speech8s(b *testing.B) {
	x := make([]float32, 8*16000)
	copy(x, synth("chirp_3s"))
	copy(x[48000:], noise(80000, 5))
	c0 := cpuTime()
	for b.Loop() {
		WhisperLogMel(x, 80)
	}
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

func BenchmarkWhisper128Chunk30s(b *testing.B) {
	x := noise(whisperSamples, 1)
	c0 := cpuTime()
	for b.Loop() {
		WhisperLogMel(x, 128)
	}
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

func BenchmarkAST10s(b *testing.B) {
	x := noise(163840, 2)
	c0 := cpuTime()
	for b.Loop() {
		ASTFeatures(x)
	}
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

func BenchmarkResample44100To16000_30s(b *testing.B) {
	x := noise(44100*30, 3)
	r, _ := NewResampler(44100, 16000)
	b.SetBytes(int64(len(x) * 4))
	for b.Loop() {
		r.Resample(x)
	}
}

func BenchmarkResample48000To16000_30s(b *testing.B) {
	x := noise(48000*30, 3)
	r, _ := NewResampler(48000, 16000)
	for b.Loop() {
		r.Resample(x)
	}
}

// WAV decode throughput: 60 s of 44.1-kHz stereo s16 (5.3 M samples).
// ns/op → samples/s = 5292000 / (ns/op·1e-9).
func benchWAV() []byte { return makeWAV(noise(44100*60*2, 4), 2, 44100) }

func BenchmarkWAVDecodeOurs(b *testing.B) {
	w := benchWAV()
	b.SetBytes(int64(len(w)))
	for b.Loop() {
		if _, err := DecodeWAV(w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(44100*60*2)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
}

func BenchmarkWAVDecodeGoAudio(b *testing.B) {
	w := benchWAV()
	b.SetBytes(int64(len(w)))
	for b.Loop() {
		d := goaudiowav.NewDecoder(bytes.NewReader(w))
		buf, err := d.FullPCMBuffer()
		if err != nil || len(buf.Data) != 44100*60*2 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(44100*60*2)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
}

func benchDecodeFile(b *testing.B, rel string) {
	b.Helper()
	data, err := os.ReadFile(testenv.Shared(b, rel))
	if err != nil {
		b.Fatal(err)
	}
	var n int
	c0 := cpuTime()
	for b.Loop() {
		p, err := DecodeContext(b.Context(), data, DecodeOptions{FFmpeg: "off"})
		if err != nil {
			b.Fatal(err)
		}
		n = len(p.Samples)
	}
	cpu := float64(cpuTime()-c0) / 1e9
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
	b.ReportMetric(float64(n)*float64(b.N)/cpu/1e6, "cpu-Msamples/s")
	b.ReportMetric(cpu*1e3/float64(b.N), "cpu-ms/op")
}

// decodeBenchFiles are the corpus files of the decode throughput table
// (docs/benchmarks.md, scripts/bench_audio_decode.py), one per codec and
// rate; the script runs ffmpeg on the same files.
var decodeBenchFiles = []string{
	"wav_s24_extensible_48k_stereo_speech_librivox_0930_ffmpeg.wav",
	"wav_s16_16k_mono_speech_librivox_0920.wav",
	"flac_s16_44k_mono_music_lena.flac",
	"flac_s16_16k_mono_speech_librivox_0920.flac",
	"mp3_128k_44k_mono_id3v24_music_lena.mp3",
	"mp3_48k_16k_mono_speech_librivox_0920.mp3",
	"ogg_vorbis_44k_mono_music_lena.ogg",
	"ogg_vorbis_16k_mono_speech_librivox_0920.ogg",
}

// BenchmarkDecodeCorpus decodes each file in memory with the builtin
// decoders (one goroutine); read cpu-Msamples/s (samples per second of
// process CPU time, all channels counted) or cpu-ms/op.
func BenchmarkDecodeCorpus(b *testing.B) {
	for _, f := range decodeBenchFiles {
		b.Run(f, func(b *testing.B) { benchDecodeFile(b, "corpus/audio/"+f) })
	}
}
