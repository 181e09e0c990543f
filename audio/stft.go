package audio

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
)

// powerFFT computes |rfft(x)|² (n/2+1 bins) of a real frame of length n.
// Not safe for concurrent use; get one from powerFFTPool.
type powerFFT struct {
	n     int
	fast  *realFFT // our mixed-radix FFT when n/2 factors into 2,3,4,5
	fft   *fourier.FFT
	coeff []complex128
}

func newPowerFFT(n int) *powerFFT {
	return &powerFFT{n: n, fft: fourier.NewFFT(n), coeff: make([]complex128, n/2+1)}
}

// power writes |X_k|² for k = 0..n/2 into dst (float64).
func (p *powerFFT) power(dst, x []float64) {
	if p.fast != nil {
		p.fast.power(dst, x)
		return
	}
	c := p.fft.Coefficients(p.coeff, x)
	for k, v := range c {
		re, im := real(v), imag(v)
		dst[k] = re*re + im*im
	}
}

var fftPools sync.Map // n -> *sync.Pool of *powerFFT

func getPowerFFT(n int) *powerFFT {
	pl, _ := fftPools.LoadOrStore(n, &sync.Pool{New: func() any {
		p := newPowerFFT(n)
		p.fast = getRealFFT(n)
		return p
	}})
	return pl.(*sync.Pool).Get().(*powerFFT)
}

func putPowerFFT(p *powerFFT) {
	pl, _ := fftPools.Load(p.n)
	pl.(*sync.Pool).Put(p)
}

// hannWindow returns a Hann window of length n in float64: periodic
// (numpy.hanning(n+1)[:-1], torch.hann_window(n), Whisper) or symmetric
// (numpy.hanning(n), torch.hann_window(n, periodic=False), Kaldi).
// Computed as numpy does: 0.5 + 0.5·cos(π·k/(M−1)) for k = 1−M, 3−M, …, M−1.
func hannWindow(n int, periodic bool) []float64 {
	m := n
	if periodic {
		m = n + 1
	}
	w := make([]float64, n)
	if m == 1 {
		w[0] = 1
		return w
	}
	for i := range w {
		k := float64(1 - m + 2*i)
		w[i] = 0.5 + 0.5*math.Cos(math.Pi*k/float64(m-1))
	}
	return w
}

// reflectIndex maps an index outside [0,n) to numpy "reflect" padding (the
// edge sample is not repeated), bouncing as often as needed.
func reflectIndex(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - i
	}
	return i
}

// lnFast is ln(x) for positive normal x, to about 1e-15 absolute (tested
// densely against math.Log, and log10Fast against math.Log10; results are
// rounded to float32, whose ulp near 1 is 6e-8): x = 2^e·m, m ∈ [1, 2);
// the top 8 mantissa bits pick c ≈ m from a table holding 1/c and ln c;
// r = m/c − 1, |r| < 2^-9, and ln(1+r) is a degree-5 Taylor polynomial
// (error < r⁶/6 < 1e-17). No division and no data-dependent branch.
func lnFast(x float64) float64 {
	b := math.Float64bits(x)
	e := float64(int(b>>52&0x7ff) - 1023)
	t := &lnTab[b>>44&255]
	r := math.Float64frombits(b&(1<<52-1)|1023<<52)*t[0] - 1
	p := r * (1 + r*(-0.5+r*(1.0/3+r*(-0.25+r*0.2))))
	return e*math.Ln2 + t[1] + p
}

// log10Fast is log10(x) for positive normal x (lnFast / ln 10).
func log10Fast(x float64) float64 { return lnFast(x) * (1 / math.Ln10) }

// lnTab[i] = {1/c, ln c} rounded to float64 with c = 1 + (i+½)/256; the
// log is taken of the stored reciprocal so the pair is consistent.
var lnTab = func() (t [256][2]float64) {
	for i := range t {
		inv := 1 / (1 + (float64(i)+0.5)/256)
		t[i] = [2]float64{inv, -math.Log(inv)}
	}
	return t
}()
