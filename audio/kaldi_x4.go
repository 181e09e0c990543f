package audio

import (
	"math"
	"sync"
)

// Four-frame (AVX2) path of KaldiFbank: the 512-point real FFT as four
// radix-4 Stockham stages (the plan of getRealFFT(512)) run by radix4x4 on
// one frame per lane, untanglex4, melx4 and log10x4.

type kaldiX4Buf struct {
	xr, xi, yr, yi [256][4]float64 // ping-pong; imaginary parts 8192 bytes after real ones
	power          [257][4]float64
	mel            [astMels][4]float64
	logs           [4 * astMels]float64
	raw32          [astWin]float32
}

const kaldiX4ImOff = 256 * 32

type kaldiX4Plan struct {
	l, s []int
	tw   [][][4]float64 // per stage: [j*6 + (k-1)*2 + {0 re, 1 im}]
	twU  [][4]float64   // [2k], [2k+1]: W512^k re, im, k ≤ 128
	flat *melFlat
}

var kaldiX4 = sync.OnceValue(func() *kaldiX4Plan {
	f := getRealFFT(astNFFT)
	p := &kaldiX4Plan{flat: astBank.flat()}
	bc := func(v float64) [4]float64 { return [4]float64{v, v, v, v} }
	for _, st := range f.stages {
		if st.p != 4 {
			return nil
		}
		tw := make([][4]float64, st.l*6)
		for j := range st.l {
			for k := 1; k < 4; k++ {
				tw[j*6+(k-1)*2], tw[j*6+(k-1)*2+1] = bc(st.wRe[j*4+k]), bc(st.wIm[j*4+k])
			}
		}
		p.l, p.s, p.tw = append(p.l, st.l), append(p.s, st.s), append(p.tw, tw)
	}
	if len(p.l)%2 != 0 {
		return nil // the result must end in xr/xi
	}
	for k := range f.m/2 + 1 {
		p.twU = append(p.twU, bc(f.twRe[k]), bc(f.twIm[k]))
	}
	return p
})

var kaldiX4Pool = sync.Pool{New: func() any { return new(kaldiX4Buf) }}

// kaldiFbankX4 computes frames t0 .. t0+3 of KaldiFbank into out (frame t
// at out[t*astMels:]), exactly as the scalar loop does up to the order of
// a few floating-point additions in the FFT.
func kaldiFbankX4(p *kaldiX4Plan, b *kaldiX4Buf, out []float32, x []float32, t0 int) {
	for f := range 4 {
		t := t0 + f
		s := x[t*astShift : t*astShift+astWin]
		raw32 := &b.raw32
		var sum float64
		for _, v := range s {
			sum += float64(v)
		}
		mean := float32(sum / astWin)
		for i, v := range s {
			raw32[i] = v - mean
		}
		for i := astWin - 1; i > 0; i-- {
			raw32[i] -= 0.97 * raw32[i-1]
		}
		raw32[0] -= 0.97 * raw32[0]
		for j := range astWin / 2 {
			b.xr[j][f] = float64(raw32[2*j] * astWindow32[2*j])
			b.xi[j][f] = float64(raw32[2*j+1] * astWindow32[2*j+1])
		}
		for j := astWin / 2; j < 256; j++ {
			b.xr[j][f], b.xi[j][f] = 0, 0
		}
	}
	src, dst := &b.xr[0], &b.yr[0]
	for i := range p.l {
		radix4x4(src, dst, &p.tw[i][0], p.l[i], p.s[i], kaldiX4ImOff)
		src, dst = dst, src
	}
	untanglex4(&b.power[0], &b.xr[0], &p.twU[0], 256, kaldiX4ImOff)
	p.flat.apply4(b.mel[:], b.power[:])
	for f := range 4 {
		for m := range astMels {
			b.logs[f*astMels+m] = math.Max(b.mel[m][f], kaldiEps)
		}
	}
	log10x4(&b.logs[0], &b.logs[0], len(b.logs), kaldiLogConsts)
	o := out[t0*astMels : (t0+4)*astMels]
	for i, v := range b.logs {
		o[i] = float32(v * math.Ln10)
	}
}

var kaldiLogConsts = newLogConsts(0, 0, 0)
