package audio

import (
	"math"
	"testing"
	"unsafe"

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

// lnFast/log10Fast against math.Log/Log10 on a dense sweep of every table
// cell and both ends of it (2^20 points per octave over [1, 2), plus
// octaves from 2^-40 to 2^40) and on the cell edges exactly.
func TestLnFastDense(t *testing.T) {
	worst := 0.0
	check := func(x float64) {
		// absolute error, relative to max(1, |ln x|)
		s := math.Max(1, math.Abs(math.Log(x)))
		d := math.Abs(lnFast(x)-math.Log(x)) / s
		d10 := math.Abs(log10Fast(x)-math.Log10(x)) / s
		worst = math.Max(worst, math.Max(d, d10))
	}
	for i := range 1 << 20 {
		m := 1 + float64(i)/(1<<20)
		check(m)
		check(math.Nextafter(m, 2))
		check(math.Nextafter(m, 0))
	}
	for e := -40; e <= 40; e++ {
		for i := range 4096 {
			check(math.Ldexp(1+float64(i)/4096+1.0/8192, e))
		}
	}
	check(1e-10)
	check(math.MaxFloat64)
	check(0x1p-1022)
	if worst > 1e-15 {
		t.Fatalf("worst error %g", worst)
	}
	t.Logf("worst error %g (absolute, per unit of max(1, |ln x|))", worst)
}

// The hard-coded n=400 FFT (fft400.go) equals gonum's power spectrum to
// 1e-12 of the peak, on noise, a tone and single impulses.
func TestPower400MatchesGonum(t *testing.T) {
	want := newPowerFFT(400)
	wp := make([]float64, 201)
	var b fft400Buf
	var got [201]float64
	var x [400]float64
	for trial := range 410 {
		for i := range x {
			switch {
			case trial < 400:
				x[i] = 0
				if i == trial {
					x[i] = 1
				}
			case trial == 400:
				x[i] = math.Sin(float64(i)*0.37) + 0.3*math.Cos(float64(i*i)*0.01)
			default:
				x[i] = math.Sin(float64(i*i*trial)) - 0.2
			}
		}
		want.power(wp, x[:])
		power400(&b, &got, &x)
		peak := 0.0
		for _, v := range wp {
			peak = math.Max(peak, v)
		}
		for k := range wp {
			if d := math.Abs(got[k] - wp[k]); d > 1e-12*peak {
				t.Fatalf("trial %d bin %d: %g, gonum %g", trial, k, got[k], wp[k])
			}
		}
	}
}

func BenchmarkFFT400Codelet(b *testing.B) {
	var x [400]float64
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	var buf fft400Buf
	var dst [201]float64
	for b.Loop() {
		power400(&buf, &dst, &x)
	}
}

// The four-frame AVX2 kernel equals gonum's power spectrum to 1e-12 of
// each frame's peak.
func TestPower400x4MatchesGonum(t *testing.T) {
	if !hasFFT400x4 {
		t.Skip("no AVX2")
	}
	want := newPowerFFT(400)
	wp := make([]float64, 201)
	x := noise(2000, 9)
	for i := range 400 {
		x[1000+i] = float32(math.Sin(float64(i) * 0.37))
	}
	x[1700] = 1
	var ones [400]float64
	for i := range ones {
		ones[i] = 1
	}
	var b fft400x4Buf
	var dst [201][4]float64
	for _, off := range [][4]int{{0, 160, 320, 480}, {1000, 1300, 1600, 7}} {
		power400x4Windowed(&b, &dst, x, &off, &ones)
		for f, o := range off {
			fr := make([]float64, 400)
			for i := range fr {
				fr[i] = float64(x[o+i])
			}
			want.power(wp, fr)
			peak := 0.0
			for _, v := range wp {
				peak = math.Max(peak, v)
			}
			for k := range wp {
				if d := math.Abs(dst[k][f] - wp[k]); d > 1e-12*peak {
					t.Fatalf("frame at %d bin %d: %g, gonum %g", o, k, dst[k][f], wp[k])
				}
			}
		}
	}
}

func BenchmarkFFT400x4PerFrame(b *testing.B) {
	if !hasFFT400x4 {
		b.Skip("no AVX2")
	}
	x := noise(1000, 3)
	var w [400]float64
	for i := range w {
		w[i] = 1
	}
	var buf fft400x4Buf
	var dst [201][4]float64
	off := [4]int{0, 160, 320, 480}
	for b.Loop() {
		power400x4Windowed(&buf, &dst, x, &off, &w)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/4, "ns/frame")
}

// log10x4 (AVX2) against math.Log10 on the sweep of TestLnFastDense.
func TestLog10x4Dense(t *testing.T) {
	if !hasFFT400x4 {
		t.Skip("no AVX2")
	}
	var xs []float64
	for i := range 1 << 20 {
		m := 1 + float64(i)/(1<<20)
		xs = append(xs, m, math.Nextafter(m, 2), math.Nextafter(m, 0), math.Sqrt2*m/2+0.5)
	}
	for e := -40; e <= 40; e++ {
		for i := range 4096 {
			xs = append(xs, math.Ldexp(1+float64(i)/4096+1.0/8192, e))
		}
	}
	xs = append(xs, 1e-10, math.MaxFloat64, 0x1p-1022, math.Sqrt2, math.Nextafter(math.Sqrt2, 2), 1)
	for len(xs)%4 != 0 {
		xs = append(xs, 1)
	}
	got := make([]float64, len(xs))
	log10x4(&got[0], &xs[0], len(xs), newLogConsts(0, 0, 0))
	worst := 0.0
	for i, x := range xs {
		d := math.Abs(got[i]-math.Log10(x)) / math.Max(1, math.Abs(math.Log10(x)))
		worst = math.Max(worst, d)
	}
	if worst > 1e-15 {
		t.Fatalf("worst error %g", worst)
	}
	t.Logf("worst error %g (absolute, per unit of max(1, |log10 x|))", worst)
}

// whisperOutx4 equals the scalar end of whisperChunk (float32 results),
// skipped values included; both logs are within ~1e-15 of the true value,
// so they round to different float32 only when log10 e lies that close to
// a rounding midpoint (at most 1 ulp, and rare).
func TestWhisperOutx4MatchesScalar(t *testing.T) {
	if !hasFFT400x4 {
		t.Skip("no AVX2")
	}
	r := noise(1<<16, 12)
	e := make([]float64, len(r))
	for i, v := range r {
		e[i] = math.Pow(10, 3-12*float64(v+0.5)) * (1 + 0.3*math.Sin(float64(i))) // 1e-9 .. 1e3
	}
	flips := 0
	e[0], e[1], e[2] = 0, 1e-10, math.Nextafter(1e-10, 1)
	floor := float32(-3.25)
	low := max(float32(-10), floor)
	skip := math.Max(math.Pow(10, float64(floor))*(1-1e-4), 1e-10)
	got := make([]float32, len(e))
	whisperOutx4(&got[0], &e[0], len(e), newLogConsts(skip, float64(low), floor))
	for i, v := range e {
		want := (low + 4) / 4
		if v >= skip {
			w := float32(log10Fast(v))
			if w < floor {
				w = floor
			}
			want = (w + 4) / 4
		}
		if got[i] != want {
			flips++
			if math.Nextafter32(want, got[i]) != got[i] || flips > len(e)/10000 {
				t.Fatalf("e=%g: %g, scalar %g (%d differences)", v, got[i], want, flips)
			}
		}
	}
	t.Logf("%d of %d differ by 1 ulp", flips, len(e))
	// n not a multiple of 8: the four-value tail
	got12 := make([]float32, 12)
	whisperOutx4(&got12[0], &e[0], 12, newLogConsts(skip, float64(low), floor))
	for i := range got12 {
		if got12[i] != got[i] {
			t.Fatalf("tail: %d: %g, want %g", i, got12[i], got[i])
		}
	}
}

// The struct offsets the generated assembly assumes.
func TestX4Offsets(t *testing.T) {
	var b fft400x4Buf
	var k logConsts
	var tb fft400x4Tab
	for _, c := range []struct {
		got, want uintptr
	}{
		{unsafe.Offsetof(b.pi), 6400}, {unsafe.Offsetof(b.ar), 12800}, {unsafe.Offsetof(b.ai), 19200},
		{unsafe.Offsetof(b.tr), 25600}, {unsafe.Offsetof(b.ti), 26400},
		{unsafe.Offsetof(tb.tw25r), 192}, {unsafe.Offsetof(tb.tw25i), 992}, {unsafe.Offsetof(tb.tw200r), 1792},
		{unsafe.Offsetof(tb.tw200i), 8192}, {unsafe.Offsetof(tb.twUr), 14592}, {unsafe.Offsetof(tb.twUi), 17824},
		{unsafe.Offsetof(k.c), 256}, {unsafe.Offsetof(k.skip), 608}, {unsafe.Offsetof(k.low), 640},
		{unsafe.Offsetof(k.floor), 672}, {unsafe.Offsetof(k.four), 688}, {unsafe.Offsetof(k.quarter), 704},
	} {
		if c.got != c.want {
			t.Errorf("offset %d, assembly assumes %d", c.got, c.want)
		}
	}
}

// The AVX2 paths of WhisperLogMel and KaldiFbank against the scalar ones
// on noise and a chirp: the same float32 values up to an ulp or two.
func TestX4MatchesScalar(t *testing.T) {
	if !hasFFT400x4 {
		t.Skip("no AVX2")
	}
	x := noise(whisperSamples, 21)
	for i := range 48000 {
		x[i] = float32(0.3 * math.Sin(float64(i)*float64(i)*1e-5))
	}
	run := func() (w80, w128, kf []float32) {
		w80, _ = WhisperLogMel(x[:300001], 80)
		w128, _ = WhisperLogMel(x, 128)
		kf, _ = KaldiFbank(x[:163843])
		return
	}
	a80, a128, akf := run()
	noX4 = true
	b80, b128, bkf := run()
	noX4 = false
	for _, c := range []struct {
		name string
		a, b []float32
		tol  float64
	}{{"whisper80", a80, b80, 2.5e-7}, {"whisper128", a128, b128, 2.5e-7}, {"kaldi", akf, bkf, 5e-6}} {
		d, at := maxAbsDiff(c.a, c.b)
		if d > c.tol || len(c.a) != len(c.b) {
			t.Errorf("%s: max |Δ| %g at %d (%g vs %g)", c.name, d, at, c.a[at], c.b[at])
		}
		t.Logf("%s: AVX2 vs scalar max |Δ| %g", c.name, d)
	}
}
