package audio

import (
	"math"
	"sync"
)

// realFFT is a real-input FFT of even length n whose power spectrum we need
// (|X_k|², k = 0..n/2). It packs the n real samples into n/2 complex ones,
// runs a mixed-radix (2, 3, 4, 5) Stockham FFT on them and untangles the
// result. Plans are immutable and shared; scratch buffers come from a pool.
// Checked against gonum's fftpack in fft_test.go (1e-12 relative).
type realFFT struct {
	n, m   int // n real points, m = n/2 complex points
	stages []fftStage
	// untangling twiddles e^{-2πik/n}, k = 0..m
	twRe, twIm []float64
	pool       sync.Pool // *fftScratch
}

type fftStage struct {
	p, l, s int       // radix, sub-length m' = l (length after this stage / p), stride s
	wRe     []float64 // twiddles w^(j·k), j < l, k < p, at j*p+k
	wIm     []float64
}

type fftScratch struct{ ar, ai, br, bi []float64 }

var realFFTs sync.Map // n -> *realFFT

// getRealFFT returns the shared plan for n (even, > 0); nil if n has a
// prime factor other than 2, 3, 5 in n/2 (callers then use gonum).
func getRealFFT(n int) *realFFT {
	if v, ok := realFFTs.Load(n); ok {
		return v.(*realFFT)
	}
	if n < 2 || n%2 != 0 {
		return nil
	}
	m := n / 2
	var radices []int
	for r := m; r > 1; {
		switch {
		case r%4 == 0:
			radices = append(radices, 4)
			r /= 4
		case r%2 == 0:
			radices = append(radices, 2)
			r /= 2
		case r%5 == 0:
			radices = append(radices, 5)
			r /= 5
		case r%3 == 0:
			radices = append(radices, 3)
			r /= 3
		default:
			return nil
		}
	}
	f := &realFFT{n: n, m: m}
	// Stockham DIF: at each stage the current length L = p·l is split;
	// stride s grows by p.
	L, s := m, 1
	for _, p := range radices {
		l := L / p
		st := fftStage{p: p, l: l, s: s, wRe: make([]float64, l*p), wIm: make([]float64, l*p)}
		for j := range l {
			for k := range p {
				a := -2 * math.Pi * float64(j*k) / float64(L)
				st.wRe[j*p+k], st.wIm[j*p+k] = math.Cos(a), math.Sin(a)
			}
		}
		f.stages = append(f.stages, st)
		L, s = l, s*p
	}
	f.twRe, f.twIm = make([]float64, m+1), make([]float64, m+1)
	for k := range m + 1 {
		a := -2 * math.Pi * float64(k) / float64(n)
		f.twRe[k], f.twIm[k] = math.Cos(a), math.Sin(a)
	}
	f.pool.New = func() any {
		return &fftScratch{make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, m)}
	}
	v, _ := realFFTs.LoadOrStore(n, f)
	return v.(*realFFT)
}

const (
	c5a = 0.30901699437494745 // cos(2π/5)
	c5b = -0.8090169943749475 // cos(4π/5)
	s5a = 0.9510565162951535  // sin(2π/5)
	s5b = 0.5877852522924731  // sin(4π/5)
	s3  = 0.86602540378443864676
)

// power writes |rfft(x)_k|² for k = 0..n/2 into dst; len(x) == n.
func (f *realFFT) power(dst, x []float64) {
	sc := f.pool.Get().(*fftScratch)
	for i := range f.m {
		sc.ar[i], sc.ai[i] = x[2*i], x[2*i+1]
	}
	f.powerPacked(dst, sc)
	f.pool.Put(sc)
}

// powerPacked transforms sc.ar + i·sc.ai (the packed frame) in place and
// writes the power spectrum.
func (f *realFFT) powerPacked(dst []float64, sc *fftScratch) {
	ar, ai, br, bi := sc.ar, sc.ai, sc.br, sc.bi
	m := f.m
	for _, st := range f.stages {
		stockham(&st, ar, ai, br, bi)
		ar, ai, br, bi = br, bi, ar, ai
	}
	// Untangle: X_k = E_k + W^k O_k, E_k = (Z_k + conj Z_{m-k})/2,
	// O_k = (Z_k − conj Z_{m−k})/(2i).
	// k = 0 and k = m (Nyquist): Z_0 = a + ib gives X_0 = a+b, X_m = a−b.
	dst[0] = (ar[0] + ai[0]) * (ar[0] + ai[0])
	dst[m] = (ar[0] - ai[0]) * (ar[0] - ai[0])
	twr, twi := f.twRe[:m], f.twIm[:m]
	for k := 1; k < m; k++ {
		zr, zi := ar[k], ai[k]
		cr, ci := ar[m-k], -ai[m-k]
		er, ei := 0.5*(zr+cr), 0.5*(zi+ci)
		// (Z − conj)/(2i): (a+ib)/(2i) = (b − ia)/2
		or, oi := 0.5*(zi-ci), -0.5*(zr-cr)
		wr, wi := twr[k], twi[k]
		xr := er + wr*or - wi*oi
		xi := ei + wr*oi + wi*or
		dst[k] = xr*xr + xi*xi
	}
}

// stockham runs one radix-p stage: for j < l, q < s, the p inputs
// x[q + s·(j + r·l)] go through a p-point DFT, are twiddled by w^(j·k) and
// land at y[q + s·(p·j + k)].
func stockham(st *fftStage, xr, xi, yr, yi []float64) {
	p, l, s := st.p, st.l, st.s
	ls := l * s
	switch p {
	case 4:
		for j := range l {
			w1r, w1i := st.wRe[j*4+1], st.wIm[j*4+1]
			w2r, w2i := st.wRe[j*4+2], st.wIm[j*4+2]
			w3r, w3i := st.wRe[j*4+3], st.wIm[j*4+3]
			for q := range s {
				i0 := q + s*j
				a0r, a0i := xr[i0], xi[i0]
				a1r, a1i := xr[i0+ls], xi[i0+ls]
				a2r, a2i := xr[i0+2*ls], xi[i0+2*ls]
				a3r, a3i := xr[i0+3*ls], xi[i0+3*ls]
				t0r, t0i := a0r+a2r, a0i+a2i
				t1r, t1i := a0r-a2r, a0i-a2i
				t2r, t2i := a1r+a3r, a1i+a3i
				t3r, t3i := a1r-a3r, a1i-a3i
				// b0 = t0+t2, b2 = t0−t2, b1 = t1 − i·t3, b3 = t1 + i·t3
				o := q + s*4*j
				yr[o], yi[o] = t0r+t2r, t0i+t2i
				b1r, b1i := t1r+t3i, t1i-t3r
				b2r, b2i := t0r-t2r, t0i-t2i
				b3r, b3i := t1r-t3i, t1i+t3r
				yr[o+s], yi[o+s] = b1r*w1r-b1i*w1i, b1r*w1i+b1i*w1r
				yr[o+2*s], yi[o+2*s] = b2r*w2r-b2i*w2i, b2r*w2i+b2i*w2r
				yr[o+3*s], yi[o+3*s] = b3r*w3r-b3i*w3i, b3r*w3i+b3i*w3r
			}
		}
	case 2:
		for j := range l {
			w1r, w1i := st.wRe[j*2+1], st.wIm[j*2+1]
			for q := range s {
				i0 := q + s*j
				a0r, a0i := xr[i0], xi[i0]
				a1r, a1i := xr[i0+ls], xi[i0+ls]
				o := q + s*2*j
				yr[o], yi[o] = a0r+a1r, a0i+a1i
				br, bi := a0r-a1r, a0i-a1i
				yr[o+s], yi[o+s] = br*w1r-bi*w1i, br*w1i+bi*w1r
			}
		}
	case 5:
		for j := range l {
			w := 5 * j
			for q := range s {
				i0 := q + s*j
				a0r, a0i := xr[i0], xi[i0]
				a1r, a1i := xr[i0+ls], xi[i0+ls]
				a2r, a2i := xr[i0+2*ls], xi[i0+2*ls]
				a3r, a3i := xr[i0+3*ls], xi[i0+3*ls]
				a4r, a4i := xr[i0+4*ls], xi[i0+4*ls]
				s14r, s14i := a1r+a4r, a1i+a4i
				d14r, d14i := a1r-a4r, a1i-a4i
				s23r, s23i := a2r+a3r, a2i+a3i
				d23r, d23i := a2r-a3r, a2i-a3i
				// b_k = a0 + Σ a_r e^{-2πi rk/5}
				m1r := a0r + c5a*s14r + c5b*s23r
				m1i := a0i + c5a*s14i + c5b*s23i
				m2r := a0r + c5b*s14r + c5a*s23r
				m2i := a0i + c5b*s14i + c5a*s23i
				// −i·(s5a·d14 + s5b·d23) for k=1; −i·(s5b·d14 − s5a·d23) for k=2
				n1r, n1i := s5a*d14r+s5b*d23r, s5a*d14i+s5b*d23i
				n2r, n2i := s5b*d14r-s5a*d23r, s5b*d14i-s5a*d23i
				b1r, b1i := m1r+n1i, m1i-n1r
				b4r, b4i := m1r-n1i, m1i+n1r
				b2r, b2i := m2r+n2i, m2i-n2r
				b3r, b3i := m2r-n2i, m2i+n2r
				o := q + s*5*j
				yr[o], yi[o] = a0r+s14r+s23r, a0i+s14i+s23i
				wr, wi := st.wRe[w+1], st.wIm[w+1]
				yr[o+s], yi[o+s] = b1r*wr-b1i*wi, b1r*wi+b1i*wr
				wr, wi = st.wRe[w+2], st.wIm[w+2]
				yr[o+2*s], yi[o+2*s] = b2r*wr-b2i*wi, b2r*wi+b2i*wr
				wr, wi = st.wRe[w+3], st.wIm[w+3]
				yr[o+3*s], yi[o+3*s] = b3r*wr-b3i*wi, b3r*wi+b3i*wr
				wr, wi = st.wRe[w+4], st.wIm[w+4]
				yr[o+4*s], yi[o+4*s] = b4r*wr-b4i*wi, b4r*wi+b4i*wr
			}
		}
	case 3:
		for j := range l {
			w := 3 * j
			for q := range s {
				i0 := q + s*j
				a0r, a0i := xr[i0], xi[i0]
				a1r, a1i := xr[i0+ls], xi[i0+ls]
				a2r, a2i := xr[i0+2*ls], xi[i0+2*ls]
				sr, si := a1r+a2r, a1i+a2i
				dr, di := a1r-a2r, a1i-a2i
				mr, mi := a0r-0.5*sr, a0i-0.5*si
				b1r, b1i := mr+s3*di, mi-s3*dr
				b2r, b2i := mr-s3*di, mi+s3*dr
				o := q + s*3*j
				yr[o], yi[o] = a0r+sr, a0i+si
				yr[o+s], yi[o+s] = b1r*st.wRe[w+1]-b1i*st.wIm[w+1], b1r*st.wIm[w+1]+b1i*st.wRe[w+1]
				yr[o+2*s], yi[o+2*s] = b2r*st.wRe[w+2]-b2i*st.wIm[w+2], b2r*st.wIm[w+2]+b2i*st.wRe[w+2]
			}
		}
	}
}
