package audio

import (
	"fmt"
	"math"
)

// PresetLogMel is a configurable log-mel spectrogram (Config.LogMel).
const PresetLogMel = "log-mel"

// LogMelConfig configures the "log-mel" preset. Zero fields take librosa's
// feature.melspectrogram defaults (librosa ≥ 0.10): 22050 Hz, n_fft 2048,
// hop 512, periodic Hann of n_fft, centre with **constant (zero)** padding
// (librosa ≥ 0.9; it was "reflect" before), power 2, 128 Slaney-scale mels
// from 0 to sr/2 with Slaney area normalization; then log10(max(·, 1e-10)).
// torchaudio.transforms.MelSpectrogram's defaults differ: n_fft 400, hop
// 200, HTK scale, no norm, reflect padding.
type LogMelConfig struct {
	SampleRate int     // Hz the audio is resampled to; 0 → 22050
	NFFT       int     // FFT size and (periodic Hann) window length, samples; 0 → 2048
	HopLength  int     // samples between frames; 0 → NFFT/4
	NMels      int     // mel bands; 0 → 128
	FMin       float64 // lowest filter edge, Hz; 0 → 0
	FMax       float64 // highest filter edge, Hz; 0 → SampleRate/2
	MelScale   string  // "slaney" (default) or "htk"
	Norm       string  // "slaney" (default: area normalization) or "none"
	NoCenter   bool    // false (default): pad NFFT/2 each side, frames = 1+n/hop; true: frames = 1+(n−NFFT)/hop
	PadMode    string  // centre padding: "constant" (default, librosa ≥ 0.9) or "reflect" (torch, Whisper)
	Power      float64 // 2 (default: power) or 1 (magnitude)
	Log        string  // "log10" (default), "ln", or "none" (mel power itself)
	LogFloor   float64 // clamp before the log; 0 → 1e-10
}

func (c LogMelConfig) withDefaults() (LogMelConfig, error) {
	if c.SampleRate == 0 {
		c.SampleRate = 22050
	}
	if c.NFFT == 0 {
		c.NFFT = 2048
	}
	if c.HopLength == 0 {
		c.HopLength = c.NFFT / 4
	}
	if c.NMels == 0 {
		c.NMels = 128
	}
	if c.FMax == 0 {
		c.FMax = float64(c.SampleRate) / 2
	}
	if c.MelScale == "" {
		c.MelScale = "slaney"
	}
	if c.Norm == "" {
		c.Norm = "slaney"
	}
	if c.PadMode == "" {
		c.PadMode = "constant"
	}
	if c.Power == 0 {
		c.Power = 2
	}
	if c.Log == "" {
		c.Log = "log10"
	}
	if c.LogFloor == 0 {
		c.LogFloor = 1e-10
	}
	bad := func(f string, v any) error { return fmt.Errorf("%w: LogMel.%s = %v", ErrConfig, f, v) }
	switch {
	case c.SampleRate < 1000 || c.SampleRate > 1_000_000:
		return c, bad("SampleRate", c.SampleRate)
	case c.NFFT < 2 || c.NFFT > 1<<16:
		return c, bad("NFFT", c.NFFT)
	case c.HopLength < 1:
		return c, bad("HopLength", c.HopLength)
	case c.NMels < 1 || c.NMels > 1024:
		return c, bad("NMels", c.NMels)
	case c.FMin < 0 || c.FMax <= c.FMin || c.FMax > float64(c.SampleRate)/2:
		return c, bad("FMin/FMax", [2]float64{c.FMin, c.FMax})
	case c.MelScale != "slaney" && c.MelScale != "htk":
		return c, bad("MelScale", c.MelScale)
	case c.Norm != "slaney" && c.Norm != "none":
		return c, bad("Norm", c.Norm)
	case c.PadMode != "constant" && c.PadMode != "reflect":
		return c, bad("PadMode", c.PadMode)
	case c.Power != 1 && c.Power != 2:
		return c, bad("Power", c.Power)
	case c.Log != "log10" && c.Log != "ln" && c.Log != "none":
		return c, bad("Log", c.Log)
	case c.LogFloor < 0:
		return c, bad("LogFloor", c.LogFloor)
	}
	return c, nil
}

// logMelEngine is a validated LogMelConfig with its filters and window.
type logMelEngine struct {
	c      LogMelConfig
	bank   *melBank
	window []float64
}

func newLogMelEngine(c LogMelConfig) (*logMelEngine, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	scale := MelSlaney
	if c.MelScale == "htk" {
		scale = MelHTK
	}
	return &logMelEngine{
		c:      c,
		bank:   slaneyMelBank(c.SampleRate, c.NFFT, c.NMels, c.FMin, c.FMax, scale, c.Norm == "slaney"),
		window: hannWindow(c.NFFT, true),
	}, nil
}

// frames returns the frame count for n samples.
func (e *logMelEngine) frames(n int) int {
	if e.c.NoCenter {
		if n < e.c.NFFT {
			return 0
		}
		return 1 + (n-e.c.NFFT)/e.c.HopLength
	}
	return 1 + n/e.c.HopLength
}

// compute returns [frames][NMels] float32 (frame-major) for mono samples
// at c.SampleRate. Matches HF audio_utils.spectrogram + mel_filter_bank
// (librosa's formulas) and torchaudio MelSpectrogram to 1e-4 in log10
// units on dense signals (tests).
func (e *logMelEngine) compute(x []float32) ([]float32, int) {
	c := e.c
	nf := e.frames(len(x))
	out := make([]float32, nf*c.NMels)
	if nf == 0 {
		return out, 0
	}
	pad := 0
	if !c.NoCenter {
		pad = c.NFFT / 2
	}
	n := len(x)
	sample := func(i int) float64 {
		if i >= 0 && i < n {
			return float64(x[i])
		}
		if c.PadMode == "constant" || n == 0 {
			return 0
		}
		return float64(x[reflectIndex(i, n)])
	}
	f := getPowerFFT(c.NFFT)
	defer putPowerFFT(f)
	frame := make([]float64, c.NFFT)
	power := make([]float64, c.NFFT/2+1)
	mel := make([]float64, c.NMels)
	for t := range nf {
		lo := t*c.HopLength - pad
		if lo >= 0 && lo+c.NFFT <= n {
			for i, w := range e.window {
				frame[i] = float64(x[lo+i]) * w
			}
		} else {
			for i, w := range e.window {
				frame[i] = sample(lo+i) * w
			}
		}
		f.power(power, frame)
		if c.Power == 1 {
			for k, v := range power {
				power[k] = math.Sqrt(v)
			}
		}
		e.bank.apply(mel, power)
		o := out[t*c.NMels : (t+1)*c.NMels]
		for m, v := range mel {
			switch c.Log {
			case "log10":
				o[m] = float32(math.Log10(math.Max(v, c.LogFloor)))
			case "ln":
				o[m] = float32(math.Log(math.Max(v, c.LogFloor)))
			default:
				o[m] = float32(v)
			}
		}
	}
	return out, nf
}

func (e *logMelEngine) describe() map[string]any {
	c := e.c
	return map[string]any{
		"sample_rate": c.SampleRate, "n_fft": c.NFFT, "hop_length": c.HopLength, "n_mels": c.NMels,
		"f_min": c.FMin, "f_max": c.FMax, "mel_scale": c.MelScale, "norm": c.Norm, "center": !c.NoCenter,
		"pad_mode": c.PadMode, "power": c.Power, "log": c.Log, "log_floor": c.LogFloor, "window": "hann (periodic)",
	}
}
