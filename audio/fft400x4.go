package audio

import "math"

// Four-frame layout of the n=400 FFT (see fft400x4_amd64.go). The offsets
// of these fields are hard-coded in the generated assembly.

// noX4 turns the AVX2 paths off (tests compare them with the scalar ones).
var noX4 bool

type fft400x4Buf struct {
	pr, pi [200][4]float64 // packed windowed input; after stage 2 the 200-point DFT
	ar, ai [200][4]float64 // after stage 1, at k1·8 + n2
	tr, ti [25][4]float64  // 25-point scratch
}

type fft400x4Tab struct {
	c5a, c5b, s5a, s5b, sqrtHalf, half [4]float64
	tw25r, tw25i                       [25][4]float64
	tw200r, tw200i                     [200][4]float64
	twUr, twUi                         [101][4]float64
}

var fft400x4Table = func() *fft400x4Tab {
	_ = fft400Ready
	t := new(fft400x4Tab)
	bc := func(v float64) [4]float64 { return [4]float64{v, v, v, v} }
	t.c5a, t.c5b, t.s5a, t.s5b, t.sqrtHalf, t.half = bc(c5a), bc(c5b), bc(s5a), bc(s5b), bc(sqrtHalf), bc(0.5)
	for i := range 25 {
		t.tw25r[i], t.tw25i[i] = bc(tw25r[i]), bc(tw25i[i])
	}
	for n2 := range 8 {
		for k1 := range 25 {
			i := n2*25 + k1
			t.tw200r[i], t.tw200i[i] = bc(tw200r[i]), bc(tw200i[i])
		}
	}
	for k := range 101 {
		t.twUr[k], t.twUi[k] = bc(twUr[k]), bc(twUi[k])
	}
	return t
}()

// power400x4Windowed writes |rfft(x_f·w)_k|² into dst[k][f] for the four
// frames x_f = x[off_f : off_f+400].
func power400x4Windowed(b *fft400x4Buf, dst *[201][4]float64, x []float32, off *[4]int, w *[400]float64) {
	for _, o := range off {
		_ = x[o : o+400]
	}
	pack400x4(b, &x[0], off, w)
	fft400x4(b, fft400x4Table, dst)
}

// logConsts are the constants of log10x4 and whisperOutx4, each repeated
// for the four lanes; offsets hard-coded in the generated assembly.
type logConsts struct {
	mant, one, sqrt2, half, magic, magicBias, log10of2, twoOverLn10 [4]float64
	c                                                               [11][4]float64 // 1/(2k+1)
	skip, low                                                       [4]float64
	floor, four, quarter                                            [4]float32
	_                                                               [4]float32
}

func newLogConsts(skip, low float64, floor float32) *logConsts {
	bc := func(v float64) [4]float64 { return [4]float64{v, v, v, v} }
	bc32 := func(v float32) [4]float32 { return [4]float32{v, v, v, v} }
	k := &logConsts{
		mant: bc(math.Float64frombits(1<<52 - 1)), one: bc(1), sqrt2: bc(math.Sqrt2), half: bc(0.5),
		magic: bc(math.Float64frombits(0x4330000000000000)), magicBias: bc(1<<52 + 1023),
		log10of2: bc(math.Log10(2)), twoOverLn10: bc(2 / math.Ln10),
		skip: bc(skip), low: bc(low), floor: bc32(floor), four: bc32(4), quarter: bc32(0.25),
	}
	for i := range k.c {
		k.c[i] = bc(1 / float64(2*i+1))
	}
	return k
}
