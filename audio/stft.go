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
	fft   *fourier.FFT
	coeff []complex128
}

func newPowerFFT(n int) *powerFFT {
	return &powerFFT{n: n, fft: fourier.NewFFT(n), coeff: make([]complex128, n/2+1)}
}

// power writes |X_k|² for k = 0..n/2 into dst (float64).
func (p *powerFFT) power(dst, x []float64) {
	c := p.fft.Coefficients(p.coeff, x)
	for k, v := range c {
		re, im := real(v), imag(v)
		dst[k] = re*re + im*im
	}
}

var fftPools sync.Map // n -> *sync.Pool of *powerFFT

func getPowerFFT(n int) *powerFFT {
	pl, _ := fftPools.LoadOrStore(n, &sync.Pool{New: func() any { return newPowerFFT(n) }})
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
