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

// log10Fast is log10(x) for positive normal x, to about 3e-10 absolute
// (tested against math.Log10; the result is rounded to float32, whose ulp
// near 1 is 6e-8): frexp, then the atanh series
// ln m = 2(s + s³/3 + … + s⁹/9), s = (m−1)/(m+1), m ∈ [√½, √2), |s| ≤ 0.172.
func log10Fast(x float64) float64 {
	b := math.Float64bits(x)
	e := int(b>>52&0x7ff) - 1023
	m := math.Float64frombits(b&^(0x7ff<<52) | 1023<<52)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	s := (m - 1) / (m + 1)
	s2 := s * s
	ln := 2 * s * (1 + s2*(1.0/3+s2*(1.0/5+s2*(1.0/7+s2*(1.0/9+s2*(1.0/11))))))
	return (ln + float64(e)*math.Ln2) * (1 / math.Ln10)
}
