package audio

import (
	"math"
	"sync"
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

var (
	whisperWindow = hannWindow(whisperNFFT, true)
	// whisperPairs: the same banks as per-bin pairs (nil would mean the
	// bank is not pairwise; Slaney triangles always are).
	whisperPairs = map[int]*melPairs{80: whisperBanks[80].pairs(), 128: whisperBanks[128].pairs()}
	whisperFlat  = map[int]*melFlat{80: whisperBanks[80].flat(), 128: whisperBanks[128].flat()}
)

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
	if len(x) > whisperSamples {
		x = x[:whisperSamples]
	}
	// sample returns the reflect-padded, zero-padded chunk at index i
	// (i in [-200, 480200)).
	sample := func(i int) float64 {
		if i < 0 {
			i = -i
		} else if i >= whisperSamples {
			i = 2*(whisperSamples-1) - i
		}
		if i < len(x) {
			return float64(x[i])
		}
		return 0
	}
	pairs := whisperPairs[nMels]
	sc := whisperScratch.Get().(*whisperBuf)
	defer whisperScratch.Put(sc)
	if cap(sc.mel) < whisperFrames*nMels {
		sc.mel = make([]float64, whisperFrames*nMels)
	}
	mel := sc.mel[:whisperFrames*nMels]
	frame, power, acc := &sc.frame, &sc.power, sc.acc[:nMels+1]
	win := (*[whisperNFFT]float64)(whisperWindow)
	maxE := 0.0
	flat := whisperFlat[nMels]
	var mx4 [4]float64 // lane maxima of the four-frame path
	x4 := hasFFT400x4 && !noX4 && nMels%4 == 0
	for t := 0; t < whisperFrames; t++ {
		lo := t*whisperHop - pad
		if x4 && lo >= 0 && lo+3*whisperHop+whisperNFFT <= len(x) && t+4 <= whisperFrames {
			// four dense frames at once (AVX2)
			off := [4]int{lo, lo + whisperHop, lo + 2*whisperHop, lo + 3*whisperHop}
			power400x4Windowed(&sc.fft4, &sc.power4, x, &off, win)
			flat.apply4(sc.mel4[:nMels], sc.power4[:])
			_ = mel[(t+4)*nMels-1]
			transpose4max(&mel[t*nMels], &sc.mel4[0], nMels, nMels, &mx4)
			t += 3
			continue
		}
		m := mel[t*nMels : (t+1)*nMels]
		if lo >= 0 && lo+whisperNFFT <= len(x) {
			power400Windowed(&sc.fft, power, (*[whisperNFFT]float32)(x[lo:lo+whisperNFFT]), win)
		} else if lo >= len(x) && 2*(whisperSamples-1)-(lo+whisperNFFT-1) >= len(x) {
			// every sample (reflected or not) is padding: zero energy
			clear(m)
			continue
		} else {
			zero := true
			for i, w := range whisperWindow {
				v := sample(lo + i)
				frame[i] = v * w
				if v != 0 {
					zero = false
				}
			}
			if zero {
				clear(m)
				continue
			}
			power400(&sc.fft, power, frame)
		}
		if pairs != nil {
			pairs.apply(acc, power[:])
			copy(m, acc)
		} else {
			bank.apply(m, power[:])
		}
		for _, v := range m {
			if v > maxE {
				maxE = v
			}
		}
	}
	maxE = max(maxE, mx4[0], mx4[1], mx4[2], mx4[3])
	// log10(max(e, 1e-10)) as float32, then max(·, max−8), (·+4)/4 in
	// float32. Energies far below the floor need no log: they clamp.
	maxv := float32(math.Log10(math.Max(maxE, 1e-10)))
	floor := maxv - 8
	// Energies at or below 1e-10 all give max(-10, floor); energies below
	// skip (< 10^floor with a 1e-4 relative margin, far above float32
	// rounding) give floor: neither needs a log.
	low := float32(-10)
	if low < floor {
		low = floor
	}
	lowOut := (low + 4) / 4
	skip := math.Max(math.Pow(10, float64(floor))*(1-1e-4), 1e-10)
	if x4 && len(mel)%4 == 0 {
		whisperOutx4(&out[0], &mel[0], len(mel), newLogConsts(skip, float64(low), floor))
		return
	}
	for i, e := range mel {
		if e < skip {
			out[i] = lowOut
			continue
		}
		v := float32(log10Fast(e))
		if v < floor {
			v = floor
		}
		out[i] = (v + 4) / 4
	}
}

type whisperBuf struct {
	mel    []float64
	frame  [whisperNFFT]float64
	power  [whisperNFFT/2 + 1]float64
	acc    [129]float64
	fft    fft400Buf
	fft4   fft400x4Buf
	power4 [201][4]float64
	mel4   [128][4]float64
}

var whisperScratch = sync.Pool{New: func() any { return new(whisperBuf) }}

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
