package audio

import (
	"math"
	"testing"
)

// resampleTol: the target against torchaudio (float32 kernel and
// conv1d) is 1e-5; we sum in float64, so the difference is float32
// rounding in torch (~1e-7).
const resampleTol = 1e-5

func TestResampleGolden(t *testing.T) {
	cases := [][2]int{{44100, 16000}, {48000, 16000}, {22050, 16000}, {8000, 16000}, {32000, 16000}, {16000, 22050}, {11025, 16000}}
	for _, c := range cases {
		x, _ := golden(t, "input_noise_"+itoa2(c[0]))
		want, _ := golden(t, "resample_noise_"+itoa2(c[0])+"_"+itoa2(c[1]))
		r, err := NewResampler(c[0], c[1])
		if err != nil {
			t.Fatal(err)
		}
		got := r.Resample(x)
		if len(got) != len(want) {
			t.Fatalf("%v: len %d, torchaudio %d", c, len(got), len(want))
		}
		d, at := maxAbsDiff(got, want)
		if d > resampleTol {
			t.Fatalf("%v: max |Δ| %g at %d", c, d, at)
		}
		t.Logf("%d→%d: max |Δ| %.3g", c[0], c[1], d)
	}
}

// A 10 kHz tone at 44.1 kHz is above the new Nyquist (8 kHz): it must come
// out attenuated (torchaudio's output, which we match, has it at about
// −60 dB), not aliased to 6 kHz at full level as a resampler without an
// anti-aliasing filter (e.g. tphakala/go-audio-resampler) does.
func TestResampleAboveNyquistAttenuated(t *testing.T) {
	x := make([]float32, 22050)
	for i := range x {
		x[i] = float32(0.5 * math.Sin(2*math.Pi*10000*float64(i)/44100))
	}
	r, _ := NewResampler(44100, 16000)
	y := r.Resample(x)
	want, _ := golden(t, "resample_tone10k_44100_16000")
	if d, _ := maxAbsDiff(y, want); d > resampleTol {
		t.Fatalf("vs torchaudio: max |Δ| %g", d)
	}
	// RMS away from the edges (the zero padding makes edge transients).
	var sum float64
	mid := y[1000 : len(y)-1000]
	for _, v := range mid {
		sum += float64(v) * float64(v)
	}
	rms := math.Sqrt(sum / float64(len(mid)))
	inRMS := 0.5 / math.Sqrt2
	db := 20 * math.Log10(rms/inRMS)
	t.Logf("10 kHz tone after 44.1→16 kHz: %.1f dB", db)
	if db > -40 {
		t.Fatalf("above-Nyquist tone only attenuated to %.1f dB (aliasing)", db)
	}
}

func TestResampleIdentityAndEdges(t *testing.T) {
	r, _ := NewResampler(16000, 16000)
	x := []float32{1, 2, 3}
	if y := r.Resample(x); len(y) != 3 || y[2] != 3 {
		t.Fatal("identity")
	}
	r, _ = NewResampler(44100, 16000)
	if y := r.Resample(nil); len(y) != 0 {
		t.Fatal("empty")
	}
	if y := r.Resample([]float32{0.5}); len(y) != 1 {
		t.Fatalf("1 sample → %d", len(y))
	}
	if _, err := NewResampler(0, 16000); err == nil {
		t.Fatal("rate 0 accepted")
	}
}

func itoa2(n int) string {
	s := ""
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}
