package audio

import (
	"math"
)

// Whisper constants (openai/whisper audio.py).
const (
	whisperSR      = 16000
	whisperNFFT    = 400
	whisperHop     = 160
	whisperSamples = 480000 // 30 s
	whisperFrames  = 3000
)

// whisperBanks holds the float64 Slaney filter banks for 80 and 128 mels.
var whisperBanks = map[int]*melBank{
	80:  slaneyMelBank(whisperSR, whisperNFFT, 80, 0, 8000, MelSlaney, true),
	128: slaneyMelBank(whisperSR, whisperNFFT, 128, 0, 8000, MelSlaney, true),
}

var whisperWindow = hannWindow(whisperNFFT, true)

// whisperChunk computes the Whisper log-mel of one 30-s chunk: x (at most
// 480000 samples at 16 kHz, zero-padded to 480000) → out [3000][nMels]
// float32, frame-major. It follows transformers WhisperFeatureExtractor's
// numpy path: float64 periodic-Hann STFT (n_fft 400, hop 160, centre,
// reflect padding), power, Slaney mel, log10 of max(mel, 1e-10) cast to
// float32, the 3001st frame dropped, then max(x, max−8) and (x+4)/4 in
// float32 with the max over this chunk.
func whisperChunk(out []float32, x []float32, bank *melBank) {
	const pad = whisperNFFT / 2
	nMels := bank.nMels
	// Padded float64 signal: 200 reflected + 480000 + 200 reflected.
	sig := make([]float64, whisperSamples+2*pad)
	for i := range whisperSamples {
		if i < len(x) {
			sig[pad+i] = float64(x[i])
		}
	}
	for i := range pad {
		sig[pad-1-i] = sig[pad+1+i]
		sig[pad+whisperSamples+i] = sig[pad+whisperSamples-2-i]
	}
	f := getPowerFFT(whisperNFFT)
	defer putPowerFFT(f)
	frame := make([]float64, whisperNFFT)
	power := make([]float64, whisperNFFT/2+1)
	mel := make([]float64, nMels)
	maxv := float32(math.Inf(-1))
	for t := range whisperFrames {
		s := sig[t*whisperHop : t*whisperHop+whisperNFFT]
		for i, w := range whisperWindow {
			frame[i] = s[i] * w
		}
		f.power(power, frame)
		bank.apply(mel, power)
		o := out[t*nMels : (t+1)*nMels]
		for m, v := range mel {
			l := float32(math.Log10(math.Max(v, 1e-10)))
			o[m] = l
			if l > maxv {
				maxv = l
			}
		}
	}
	floor := maxv - 8
	for i, v := range out[:whisperFrames*nMels] {
		if v < floor {
			v = floor
		}
		out[i] = (v + 4) / 4
	}
}

// WhisperLogMel computes Whisper log-mel features of mono 16-kHz samples:
// consecutive 30-s chunks (the last, or only, one zero-padded; no samples
// gives one all-padding chunk), each normalized with its own max as HF does
// per call. Returns [chunks·3000][nMels] float32, frame-major, and the chunk
// count. nMels must be 80 or 128. Matches transformers
// WhisperFeatureExtractor (numpy path) to 5e-5 (measured ~1e-6).
func WhisperLogMel(x []float32, nMels int) ([]float32, int) {
	bank := whisperBanks[nMels]
	if bank == nil {
		return nil, 0
	}
	chunks := max(1, (len(x)+whisperSamples-1)/whisperSamples)
	out := make([]float32, chunks*whisperFrames*nMels)
	for c := range chunks {
		lo := min(c*whisperSamples, len(x))
		hi := min(lo+whisperSamples, len(x))
		whisperChunk(out[c*whisperFrames*nMels:(c+1)*whisperFrames*nMels], x[lo:hi], bank)
	}
	return out, chunks
}
