//go:build !amd64 || purego

package audio

const hasFFT400x4 = false

func fft400x4(buf *fft400x4Buf, tab *fft400x4Tab, dst *[201][4]float64) {
	panic("fft400x4: no AVX2 kernel on this platform")
}

func melx4(out *[4]float64, power *[4]float64, w *float64, start *int32, cnt *int32, nMels int) {
	panic("melx4: no AVX2 kernel on this platform")
}

func log10x4(dst *float64, src *float64, n int, k *logConsts) {
	panic("log10x4: no AVX2 kernel on this platform")
}

func whisperOutx4(out *float32, src *float64, n int, k *logConsts) {
	panic("whisperOutx4: no AVX2 kernel on this platform")
}

func pack400x4(b *fft400x4Buf, x *float32, off *[4]int, w *[400]float64) {
	panic("pack400x4: no AVX2 kernel on this platform")
}

func radix4x4(x, y *[4]float64, tw *[4]float64, l, s, imOff int) {
	panic("radix4x4: no AVX2 kernel on this platform")
}

func untanglex4(dst *[4]float64, z *[4]float64, twU *[4]float64, m, imOff int) {
	panic("untanglex4: no AVX2 kernel on this platform")
}

func transpose4max(dst *float64, src *[4]float64, n, rowStride int, mx *[4]float64) {
	panic("transpose4max: no AVX2 kernel on this platform")
}
