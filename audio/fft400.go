package audio

import "math"

// A hard-coded real FFT of n = 400 (Whisper's n_fft), power spectrum only.
// The 400 real samples are packed into z[j] = x[2j] + i·x[2j+1], j < 200,
// and the 200-point complex DFT is split as 200 = 25·8 (Cooley–Tukey,
// j = 8·n1 + n2, k = k1 + 25·k2), the 25-point DFTs again as 5·5:
//
//	stage 1: for each n2 < 8, a 25-point DFT over n1 (two passes of
//	         5-point butterflies with the 5·5 twiddles), then the
//	         twiddles W200^(n2·k1);
//	stage 2: for each k1 < 25, an 8-point DFT over n2;
//
// then the usual untangling of the packed real pairs, two bins (k and
// 200−k) per step. Same arithmetic (float64) as the generic realFFT in
// fft.go, fewer passes and no per-stage index arithmetic; checked against
// gonum in fft_test.go.

// fft400Buf is the scratch of one power400 call (kept by the caller so
// the stack frame needs no zeroing).
type fft400Buf struct {
	pr, pi [200]float64 // packed, windowed input
	ar, ai [200]float64 // after stage 1, at k1·8 + n2
	zr, zi [200]float64 // the 200-point DFT
}

var (
	// tw25[b*5+c] = W25^(b·c)
	tw25r, tw25i [25]float64
	// tw200[n2*25+k1] = W200^(n2·k1)
	tw200r, tw200i [200]float64
	// twU[k] = W400^k, k ≤ 100 (untangling)
	twUr, twUi [101]float64
	// set by a variable initializer so that fft400x4Table (which copies
	// them) sees them set
	fft400Ready = initFFT400Tables()
)

func initFFT400Tables() bool {
	for b := range 5 {
		for c := range 5 {
			a := -2 * math.Pi * float64(b*c) / 25
			tw25r[b*5+c], tw25i[b*5+c] = math.Cos(a), math.Sin(a)
		}
	}
	for n2 := range 8 {
		for k1 := range 25 {
			a := -2 * math.Pi * float64(n2*k1) / 200
			tw200r[n2*25+k1], tw200i[n2*25+k1] = math.Cos(a), math.Sin(a)
		}
	}
	for k := range 101 {
		a := -2 * math.Pi * float64(k) / 400
		twUr[k], twUi[k] = math.Cos(a), math.Sin(a)
	}
	return true
}

const sqrtHalf = 0.70710678118654752440

// power400Windowed writes |rfft(x·w)_k|², k = 0..200, into dst.
func power400Windowed(b *fft400Buf, dst *[201]float64, x *[400]float32, w *[400]float64) {
	for j := range 200 {
		b.pr[j] = float64(x[2*j]) * w[2*j]
		b.pi[j] = float64(x[2*j+1]) * w[2*j+1]
	}
	b.power(dst)
}

// power400 writes |rfft(x)_k|², k = 0..200, into dst.
func power400(b *fft400Buf, dst *[201]float64, x *[400]float64) {
	for j := range 200 {
		b.pr[j] = x[2*j]
		b.pi[j] = x[2*j+1]
	}
	b.power(dst)
}

func (b *fft400Buf) power(dst *[201]float64) {
	b.stage1()
	b.stage2()
	b.untangle(dst)
}

// stage1: for each n2, the 25-point DFT of z[8·n1 + n2] (n1 = 5a + c'),
// twiddled by W200^(n2·k1), stored at ar[k1·8 + n2].
func (b *fft400Buf) stage1() {
	var tr, ti [25]float64 // [b'*5 + c]
	pr, pi := &b.pr, &b.pi
	for n2 := range 8 {
		// First pass: for each b' < 5, the 5-point DFT over a of
		// z[8(5a + b') + n2] = z[40a + 8b' + n2], twiddled by W25^(b'·c).
		for bb := range 5 {
			i := 8*bb + n2
			a0r, a0i := pr[i], pi[i]
			a1r, a1i := pr[i+40], pi[i+40]
			a2r, a2i := pr[i+80], pi[i+80]
			a3r, a3i := pr[i+120], pi[i+120]
			a4r, a4i := pr[i+160], pi[i+160]
			s14r, s14i := a1r+a4r, a1i+a4i
			d14r, d14i := a1r-a4r, a1i-a4i
			s23r, s23i := a2r+a3r, a2i+a3i
			d23r, d23i := a2r-a3r, a2i-a3i
			m1r := a0r + c5a*s14r + c5b*s23r
			m1i := a0i + c5a*s14i + c5b*s23i
			m2r := a0r + c5b*s14r + c5a*s23r
			m2i := a0i + c5b*s14i + c5a*s23i
			n1r, n1i := s5a*d14r+s5b*d23r, s5a*d14i+s5b*d23i
			n2r, n2i := s5b*d14r-s5a*d23r, s5b*d14i-s5a*d23i
			b1r, b1i := m1r+n1i, m1i-n1r
			b4r, b4i := m1r-n1i, m1i+n1r
			b2r, b2i := m2r+n2i, m2i-n2r
			b3r, b3i := m2r-n2i, m2i+n2r
			o := bb * 5
			tr[o], ti[o] = a0r+s14r+s23r, a0i+s14i+s23i
			if bb == 0 {
				tr[o+1], ti[o+1] = b1r, b1i
				tr[o+2], ti[o+2] = b2r, b2i
				tr[o+3], ti[o+3] = b3r, b3i
				tr[o+4], ti[o+4] = b4r, b4i
				continue
			}
			wr, wi := tw25r[o+1], tw25i[o+1]
			tr[o+1], ti[o+1] = b1r*wr-b1i*wi, b1r*wi+b1i*wr
			wr, wi = tw25r[o+2], tw25i[o+2]
			tr[o+2], ti[o+2] = b2r*wr-b2i*wi, b2r*wi+b2i*wr
			wr, wi = tw25r[o+3], tw25i[o+3]
			tr[o+3], ti[o+3] = b3r*wr-b3i*wi, b3r*wi+b3i*wr
			wr, wi = tw25r[o+4], tw25i[o+4]
			tr[o+4], ti[o+4] = b4r*wr-b4i*wi, b4r*wi+b4i*wr
		}
		// Second pass: for each c < 5, the 5-point DFT over b' of
		// t[b'][c] gives k1 = c + 5d; twiddle by W200^(n2·k1).
		for c := range 5 {
			a0r, a0i := tr[c], ti[c]
			a1r, a1i := tr[c+5], ti[c+5]
			a2r, a2i := tr[c+10], ti[c+10]
			a3r, a3i := tr[c+15], ti[c+15]
			a4r, a4i := tr[c+20], ti[c+20]
			s14r, s14i := a1r+a4r, a1i+a4i
			d14r, d14i := a1r-a4r, a1i-a4i
			s23r, s23i := a2r+a3r, a2i+a3i
			d23r, d23i := a2r-a3r, a2i-a3i
			m1r := a0r + c5a*s14r + c5b*s23r
			m1i := a0i + c5a*s14i + c5b*s23i
			m2r := a0r + c5b*s14r + c5a*s23r
			m2i := a0i + c5b*s14i + c5a*s23i
			n1r, n1i := s5a*d14r+s5b*d23r, s5a*d14i+s5b*d23i
			n2r, n2i := s5b*d14r-s5a*d23r, s5b*d14i-s5a*d23i
			b0r, b0i := a0r+s14r+s23r, a0i+s14i+s23i
			b1r, b1i := m1r+n1i, m1i-n1r
			b4r, b4i := m1r-n1i, m1i+n1r
			b2r, b2i := m2r+n2i, m2i-n2r
			b3r, b3i := m2r-n2i, m2i+n2r
			w := n2*25 + c
			o := c*8 + n2
			if n2 == 0 {
				b.ar[o], b.ai[o] = b0r, b0i
				b.ar[o+40], b.ai[o+40] = b1r, b1i
				b.ar[o+80], b.ai[o+80] = b2r, b2i
				b.ar[o+120], b.ai[o+120] = b3r, b3i
				b.ar[o+160], b.ai[o+160] = b4r, b4i
				continue
			}
			wr, wi := tw200r[w], tw200i[w]
			b.ar[o], b.ai[o] = b0r*wr-b0i*wi, b0r*wi+b0i*wr
			wr, wi = tw200r[w+5], tw200i[w+5]
			b.ar[o+40], b.ai[o+40] = b1r*wr-b1i*wi, b1r*wi+b1i*wr
			wr, wi = tw200r[w+10], tw200i[w+10]
			b.ar[o+80], b.ai[o+80] = b2r*wr-b2i*wi, b2r*wi+b2i*wr
			wr, wi = tw200r[w+15], tw200i[w+15]
			b.ar[o+120], b.ai[o+120] = b3r*wr-b3i*wi, b3r*wi+b3i*wr
			wr, wi = tw200r[w+20], tw200i[w+20]
			b.ar[o+160], b.ai[o+160] = b4r*wr-b4i*wi, b4r*wi+b4i*wr
		}
	}
}

// stage2: for each k1, the 8-point DFT over n2 of ar[k1·8 + n2], stored at
// z[k1 + 25·k2].
func (b *fft400Buf) stage2() {
	for k1 := range 25 {
		i := k1 * 8
		a := (*[8]float64)(b.ar[i : i+8])
		c := (*[8]float64)(b.ai[i : i+8])
		// even DFT-4 of a0, a2, a4, a6
		t0r, t0i := a[0]+a[4], c[0]+c[4]
		t1r, t1i := a[0]-a[4], c[0]-c[4]
		t2r, t2i := a[2]+a[6], c[2]+c[6]
		t3r, t3i := a[2]-a[6], c[2]-c[6]
		e0r, e0i := t0r+t2r, t0i+t2i
		e2r, e2i := t0r-t2r, t0i-t2i
		e1r, e1i := t1r+t3i, t1i-t3r
		e3r, e3i := t1r-t3i, t1i+t3r
		// odd DFT-4 of a1, a3, a5, a7
		u0r, u0i := a[1]+a[5], c[1]+c[5]
		u1r, u1i := a[1]-a[5], c[1]-c[5]
		u2r, u2i := a[3]+a[7], c[3]+c[7]
		u3r, u3i := a[3]-a[7], c[3]-c[7]
		o0r, o0i := u0r+u2r, u0i+u2i
		o2r, o2i := u0r-u2r, u0i-u2i
		o1r, o1i := u1r+u3i, u1i-u3r
		o3r, o3i := u1r-u3i, u1i+u3r
		// W8^1·o1 = (o1r+o1i, o1i−o1r)/√2; W8^2·o2 = (o2i, −o2r);
		// W8^3·o3 = (o3i−o3r, −o3r−o3i)/√2
		p1r, p1i := (o1r+o1i)*sqrtHalf, (o1i-o1r)*sqrtHalf
		p2r, p2i := o2i, -o2r
		p3r, p3i := (o3i-o3r)*sqrtHalf, -(o3r+o3i)*sqrtHalf
		zr, zi := &b.zr, &b.zi
		zr[k1], zi[k1] = e0r+o0r, e0i+o0i
		zr[k1+25], zi[k1+25] = e1r+p1r, e1i+p1i
		zr[k1+50], zi[k1+50] = e2r+p2r, e2i+p2i
		zr[k1+75], zi[k1+75] = e3r+p3r, e3i+p3i
		zr[k1+100], zi[k1+100] = e0r-o0r, e0i-o0i
		zr[k1+125], zi[k1+125] = e1r-p1r, e1i-p1i
		zr[k1+150], zi[k1+150] = e2r-p2r, e2i-p2i
		zr[k1+175], zi[k1+175] = e3r-p3r, e3i-p3i
	}
}

// untangle: X_k = E_k + W400^k·O_k and X_(200−k) = conj(E_k − W400^k·O_k)
// with E_k = (Z_k + conj Z_(200−k))/2, O_k = (Z_k − conj Z_(200−k))/(2i).
func (b *fft400Buf) untangle(dst *[201]float64) {
	zr, zi := &b.zr, &b.zi
	dst[0] = (zr[0] + zi[0]) * (zr[0] + zi[0])
	dst[200] = (zr[0] - zi[0]) * (zr[0] - zi[0])
	for k := 1; k <= 100; k++ {
		ar, ai := zr[k], zi[k]
		cr, ci := zr[200-k], -zi[200-k]
		er, ei := 0.5*(ar+cr), 0.5*(ai+ci)
		or, oi := 0.5*(ai-ci), -0.5*(ar-cr)
		wr, wi := twUr[k], twUi[k]
		pr, pi := wr*or-wi*oi, wr*oi+wi*or
		xr, xi := er+pr, ei+pi
		dst[k] = xr*xr + xi*xi
		yr, yi := er-pr, ei-pi
		dst[200-k] = yr*yr + yi*yi
	}
}
