package audio

import (
	"math"
)

// AST / Kaldi fbank constants (torchaudio.compliance.kaldi.fbank as
// transformers ASTFeatureExtractor calls it: htk_compat, 16 kHz,
// use_energy False, window "hanning", 128 bins, dither 0, frame_shift 10 ms,
// frame_length 25 ms, snip_edges True, preemphasis 0.97, remove_dc_offset,
// low_freq 20, high_freq 0 → Nyquist).
const (
	astSR        = 16000
	astWin       = 400 // 25 ms
	astShift     = 160 // 10 ms
	astNFFT      = 512 // round_to_power_of_two(400)
	astMels      = 128
	astMaxFrames = 1024
	astMean      = float32(-4.2677393)
	astStd2      = float32(4.5689974 * 2)
	astPatch     = 16
	astStride    = 10
	astFDim      = (astMels-astPatch)/astStride + 1      // 12
	astTDim      = (astMaxFrames-astPatch)/astStride + 1 // 101
	kaldiEps     = 1.1920928955078125e-07                // torch.finfo(torch.float).eps
)

// kaldiMelBank is torchaudio.compliance.kaldi.get_mel_banks (no VTLN): Kaldi
// mel 1127·ln(1+f/700), triangles equally spaced in mel between lowFreq
// and highFreq over nBins+2 points, evaluated at the mel of FFT bin k·sr/nFFT
// for k < nFFT/2, no area normalization; the Nyquist bin has weight 0.
// torchaudio computes it in float32, so do we (then widen to float64).
func kaldiMelBank(nBins, nFFT int, sr, lowFreq, highFreq float64) *melBank {
	nyq := 0.5 * sr
	if highFreq <= 0 {
		highFreq += nyq
	}
	nFFTBins := nFFT / 2
	binWidth := sr / float64(nFFT)
	mel := func(f float32) float32 { return float32(1127.0 * math.Log(1.0+float64(f)/700.0)) }
	melLow := 1127.0 * math.Log(1.0+lowFreq/700.0)
	melHigh := 1127.0 * math.Log(1.0+highFreq/700.0)
	delta := (melHigh - melLow) / float64(nBins+1)
	d := make([][]float64, nBins)
	for b := range d {
		left := float32(melLow + float64(b)*delta)
		center := float32(melLow + float64(b+1)*delta)
		right := float32(melLow + float64(b+2)*delta)
		row := make([]float64, nFFTBins+1)
		for k := range nFFTBins {
			m := mel(float32(binWidth) * float32(k))
			up := (m - left) / (center - left)
			down := (right - m) / (right - center)
			v := min(up, down)
			if v > 0 {
				row[k] = float64(v)
			}
		}
		d[b] = row
	}
	return sparsify(d, nFFTBins+1)
}

var (
	astBank     = kaldiMelBank(astMels, astNFFT, astSR, 20, 0)
	astWindow32 = func() []float32 { // torch.hann_window(400, periodic=False) in float32
		w := make([]float32, astWin)
		for i := range w {
			w[i] = float32(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(astWin-1)))
		}
		return w
	}()
)

// KaldiFbank computes Kaldi log-mel filterbank features of mono 16-kHz
// samples as AST uses them: [frames][128] float32, frames =
// 1+(len−400)/160 (0 when len < 400). Per frame: subtract the mean,
// pre-emphasis x[j] −= 0.97·x[j−1] (x[−1] = x[0]), symmetric Hann (400),
// zero-pad to 512, |rfft|², Kaldi mel bank 20–8000 Hz, ln(max(e, 1.19e-7)).
// Matches torchaudio.compliance.kaldi.fbank (float32) to about 1e-5 in log
// units; computed in float64.
func KaldiFbank(x []float32) ([]float32, int) {
	if len(x) < astWin {
		return nil, 0
	}
	n := 1 + (len(x)-astWin)/astShift
	out := make([]float32, n*astMels)
	f := getPowerFFT(astNFFT)
	defer putPowerFFT(f)
	frame := make([]float64, astNFFT)
	raw32 := make([]float32, astWin)
	power := make([]float64, astNFFT/2+1)
	mel := make([]float64, astMels)
	t0 := 0
	if hasFFT400x4 && !noX4 {
		if p := kaldiX4(); p != nil {
			b := kaldiX4Pool.Get().(*kaldiX4Buf)
			for ; t0+4 <= n; t0 += 4 {
				kaldiFbankX4(p, b, out, x, t0)
			}
			kaldiX4Pool.Put(b)
		}
	}
	for t := t0; t < n; t++ {
		s := x[t*astShift : t*astShift+astWin]
		// Time-domain steps in float32 as torchaudio does them (their
		// rounding noise is what fills the near-empty low mel bins of
		// the reference); the FFT and mel sums in float64.
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
		for i, w := range astWindow32 {
			frame[i] = float64(raw32[i] * w)
		}
		clear(frame[astWin:])
		f.power(power, frame)
		astBank.apply(mel, power)
		o := out[t*astMels : (t+1)*astMels]
		for m, v := range mel {
			o[m] = float32(log10Fast(math.Max(v, kaldiEps)) * math.Ln10)
		}
	}
	return out, n
}

// ASTFeatures computes transformers ASTFeatureExtractor's input_values for
// mono 16-kHz samples: KaldiFbank, zero-padded or cut to 1024 frames, then
// (x + 4.2677393) / 9.1379948 (float32). Returns [1024][128] float32
// (frame-major) and whether frames were cut.
func ASTFeatures(x []float32) ([]float32, bool) {
	fb, n := KaldiFbank(x)
	out := make([]float32, astMaxFrames*astMels)
	copy(out, fb)
	for i, v := range out {
		out[i] = (v - astMean) / astStd2
	}
	return out, n > astMaxFrames
}

// ASTPatches cuts AST features [1024][128] into the 16×16 patches of AST's
// patch embedding (stride 10 in both axes) over the (frequency 128, time
// 1024) map: 12 × 101 = 1212 patches, frequency-major (patch index
// f·101 + t), each 256 float32 in (frequency row, time column) order —
// the order of Conv2d's weight [out][1][16 freq][16 time].
func ASTPatches(feat []float32) []float32 {
	out := make([]float32, astFDim*astTDim*astPatch*astPatch)
	p := 0
	for f := range astFDim {
		for t := range astTDim {
			for i := range astPatch { // frequency within the patch
				for j := range astPatch { // time within the patch
					out[p] = feat[(t*astStride+j)*astMels+f*astStride+i]
					p++
				}
			}
		}
	}
	return out
}
