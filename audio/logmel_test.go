package audio

import (
	"context"
	"errors"
	"testing"
)

// log-mel against librosa's formulas (HF audio_utils, float64) and against
// torchaudio.transforms.MelSpectrogram (float32). Against the float64
// librosa formulas: 1e-5 in log10 units (measured ≤ 1.9e-6). Against torch
// (float32 filters differ from float64 ones by up to 1.2e-5, float32 STFT):
// 2e-4 on bins within 60 dB of the frame's loudest (measured 1.0e-4 on
// noise); quieter bins of the chirp are spectral leakage buried in torch's
// float32 rounding noise and are not compared.
func TestLogMelGoldens(t *testing.T) {
	librosa, err := newLogMelEngine(LogMelConfig{SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	ta, err := newLogMelEngine(LogMelConfig{SampleRate: 16000, NFFT: 400, HopLength: 200, MelScale: "htk", Norm: "none", PadMode: "reflect"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		eng       *logMelEngine
		gold, sig string
		tol       float64
	}{
		{librosa, "logmel_librosa_chirp_3s", "chirp_3s", 1e-5},
		{librosa, "logmel_librosa_noise_1s", "noise_1s", 1e-5},
		{librosa, "logmel_librosa_hundred_samples", "hundred_samples", 1e-5},
		{ta, "logmel_torchaudio_noise_1s", "noise_1s", 2e-4},
		{ta, "logmel_torchaudio_chirp_3s", "chirp_3s", 2e-4},
	} {
		want, shape := golden(t, c.gold)
		got, nf := c.eng.compute(goldenInput(t, c.sig))
		if nf != shape[0] || len(got) != len(want) {
			t.Fatalf("%s: %d frames, golden %v", c.gold, nf, shape)
		}
		if c.eng == ta {
			got, want = loudBins(got, want, 128, 6)
		}
		d, at := maxAbsDiff(got, want)
		if d > c.tol {
			t.Fatalf("%s: max |Δ| %g at frame %d mel %d (got %g want %g)", c.gold, d, at/128, at%128, got[at], want[at])
		}
		t.Logf("%s: max |Δ| %.3g", c.gold, d)
	}
}

func TestLogMelPresetTokenize(t *testing.T) {
	tk := mustNew(t, Config{Preset: "log-mel"})
	d := tk.Describe()
	if d["sample_rate"] != 22050 {
		t.Fatalf("librosa default rate: %v", d["sample_rate"])
	}
	tok, err := tk.Tokenize(context.Background(), fixture(t, "wav_s16.wav")) // 0.4 s at 16 kHz → 8820 at 22.05 kHz
	if err != nil {
		t.Fatal(err)
	}
	if tok.SampleRate != 22050 || tok.NFrames != 1+8820/512 || tok.NMels != 128 || len(tok.Mel) != tok.NFrames*128 {
		t.Fatalf("rate %d frames %d mels %d", tok.SampleRate, tok.NFrames, tok.NMels)
	}
	for _, c := range []LogMelConfig{{NFFT: 1}, {MelScale: "bark"}, {PadMode: "edge"}, {FMax: 1e6}, {Power: 3}, {Log: "db"}} {
		if _, err := New(Config{Preset: "log-mel", LogMel: c}); !errors.Is(err, ErrConfig) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
}

// loudBins keeps the (got, want) pairs whose reference value is within
// below (log10 units) of its frame's maximum.
func loudBins(got, want []float32, nMels int, below float32) ([]float32, []float32) {
	var g, w []float32
	for f := 0; f < len(want)/nMels; f++ {
		fr := want[f*nMels : (f+1)*nMels]
		mx := fr[0]
		for _, v := range fr {
			mx = max(mx, v)
		}
		for m, v := range fr {
			if v >= mx-below {
				g, w = append(g, got[f*nMels+m]), append(w, v)
			}
		}
	}
	return g, w
}

// melPairs.apply and (with AVX2) melFlat.apply4 give melBank.apply's sums
// bit for bit.
func TestMelPairsFlatBitExact(t *testing.T) {
	x := noise(201*4, 11)
	for _, n := range []int{80, 128} {
		bank := whisperBanks[n]
		pairs, flat := bank.pairs(), bank.flat()
		if pairs == nil {
			t.Fatal("Slaney bank not pairwise")
		}
		power := make([][4]float64, 201)
		for k := range power {
			for f := range 4 {
				power[k][f] = float64(x[k*4+f]) * float64(x[k*4+f]) * float64(k+1)
			}
		}
		out4 := make([][4]float64, n)
		if hasFFT400x4 {
			flat.apply4(out4, power)
		}
		want := make([]float64, n)
		acc := make([]float64, n+1)
		p := make([]float64, 201)
		for f := range 4 {
			for k := range p {
				p[k] = power[k][f]
			}
			bank.apply(want, p)
			pairs.apply(acc, p)
			for m := range n {
				if acc[m] != want[m] || (hasFFT400x4 && out4[m][f] != want[m]) {
					t.Fatalf("n=%d frame %d mel %d: pairs %g, x4 %g, bank %g", n, f, m, acc[m], out4[m][f], want[m])
				}
			}
		}
	}
}
