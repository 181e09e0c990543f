package audio

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Our real FFT's power spectrum equals gonum's (fftpack) to 1e-12 relative
// to the frame's peak power, for every length we use and some others.
func TestRealFFTMatchesGonum(t *testing.T) {
	for _, n := range []int{2, 4, 6, 10, 30, 200, 400, 512, 2048, 1200} {
		f := getRealFFT(n)
		if f == nil {
			t.Fatalf("no plan for %d", n)
		}
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Sin(float64(i)*0.37) + 0.3*math.Cos(float64(i*i)*0.01) + float64(i%7)*0.1
		}
		want := newPowerFFT(n)
		wp := make([]float64, n/2+1)
		want.power(wp, x)
		got := make([]float64, n/2+1)
		f.power(got, x)
		peak := 0.0
		for _, v := range wp {
			peak = math.Max(peak, v)
		}
		for k := range wp {
			if d := math.Abs(got[k] - wp[k]); d > 1e-12*peak {
				t.Fatalf("n=%d bin %d: %g, gonum %g", n, k, got[k], wp[k])
			}
		}
	}
	if getRealFFT(14) != nil {
		t.Fatal("14 = 2·7 should fall back to gonum")
	}
}

func BenchmarkFFT400Ours(b *testing.B) {
	x := make([]float64, 400)
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	f := getRealFFT(400)
	dst := make([]float64, 201)
	b.ReportAllocs()
	for b.Loop() {
		f.power(dst, x)
	}
}

var _ = fourier.NewFFT

func TestLog10Fast(t *testing.T) {
	worst := 0.0
	for i := range 200000 {
		x := math.Pow(10, -10+14*float64(i)/200000) * (1 + 0.37*math.Sin(float64(i)))
		d := math.Abs(log10Fast(x) - math.Log10(x))
		worst = math.Max(worst, d)
	}
	if worst > 1e-9 {
		t.Fatalf("worst absolute error %g", worst)
	}
}
