package audio

import "math"

// MelScale selects the Hz↔mel mapping.
type MelScale string

const (
	// MelSlaney is Slaney's Auditory Toolbox scale (librosa htk=False,
	// Whisper): linear below 1 kHz (f/(200/3)), logarithmic above
	// (15 + ln(f/1000)·27/ln 6.4).
	MelSlaney MelScale = "slaney"
	// MelHTK is 2595·log10(1+f/700) (torchaudio MelSpectrogram, librosa
	// htk=True).
	MelHTK MelScale = "htk"
	// MelKaldi is Kaldi's 1127·ln(1+f/700) (the same curve as HTK up to
	// rounding; torchaudio.compliance.kaldi, AST).
	MelKaldi MelScale = "kaldi"
)

const (
	slaneyFSp       = 200.0 / 3
	slaneyMinLogHz  = 1000.0
	slaneyMinLogMel = slaneyMinLogHz / slaneyFSp // 15
)

var slaneyLogStep = math.Log(6.4) / 27.0

func hzToMel(f float64, s MelScale) float64 {
	switch s {
	case MelHTK:
		return 2595.0 * math.Log10(1.0+f/700.0)
	case MelKaldi:
		return 1127.0 * math.Log(1.0+f/700.0)
	}
	if f >= slaneyMinLogHz {
		return slaneyMinLogMel + math.Log(f/slaneyMinLogHz)/slaneyLogStep
	}
	return f / slaneyFSp
}

func melToHz(m float64, s MelScale) float64 {
	switch s {
	case MelHTK:
		return 700.0 * (math.Pow(10, m/2595.0) - 1.0)
	case MelKaldi:
		return 700.0 * (math.Exp(m/1127.0) - 1.0)
	}
	if m >= slaneyMinLogMel {
		return slaneyMinLogHz * math.Exp(slaneyLogStep*(m-slaneyMinLogMel))
	}
	return slaneyFSp * m
}

// linspace is numpy.linspace(a, b, n) bit for bit: i·step + a with the last
// point set to b.
func linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	if n == 1 {
		out[0] = a
		return out
	}
	step := (b - a) / float64(n-1)
	for i := range out {
		out[i] = float64(float64(i)*step) + a
	}
	out[n-1] = b
	return out
}

// melBank is a sparse triangular filter bank: filter m has non-zero weights
// w[m] on FFT bins start[m] .. start[m]+len(w[m])-1.
type melBank struct {
	nMels, nBins int
	start        []int
	w            [][]float64
}

// dense returns the bank as [nMels][nBins] float64.
func (b *melBank) dense() [][]float64 {
	d := make([][]float64, b.nMels)
	for m := range d {
		d[m] = make([]float64, b.nBins)
		copy(d[m][b.start[m]:], b.w[m])
	}
	return d
}

func sparsify(d [][]float64, nBins int) *melBank {
	b := &melBank{nMels: len(d), nBins: nBins, start: make([]int, len(d)), w: make([][]float64, len(d))}
	for m, row := range d {
		lo, hi := 0, len(row)
		for lo < hi && row[lo] == 0 {
			lo++
		}
		for hi > lo && row[hi-1] == 0 {
			hi--
		}
		b.start[m] = lo
		b.w[m] = append([]float64(nil), row[lo:hi]...)
	}
	return b
}

// slaneyMelBank computes the HF/librosa mel filter bank (triangles between
// nMels+2 points equally spaced on the mel scale, on the FFT bin
// frequencies linspace(0, sr/2, nFFT/2+1)), with Slaney area normalization
// 2/(f[m+2]-f[m]) when norm is true. float64; float32(weight) equals
// transformers mel_filter_bank(..., norm="slaney", mel_scale="slaney") and
// whisper/assets/mel_filters.npz bit for bit (tested).
func slaneyMelBank(sr, nFFT, nMels int, fmin, fmax float64, scale MelScale, norm bool) *melBank {
	nBins := nFFT/2 + 1
	fftFreqs := linspace(0, float64(sr/2), nBins)
	mels := linspace(hzToMel(fmin, scale), hzToMel(fmax, scale), nMels+2)
	ff := make([]float64, len(mels))
	for i, m := range mels {
		ff[i] = melToHz(m, scale)
	}
	d := make([][]float64, nMels)
	for m := range d {
		d[m] = make([]float64, nBins)
		lower := ff[m+1] - ff[m]
		upper := ff[m+2] - ff[m+1]
		enorm := 1.0
		if norm {
			enorm = 2.0 / (ff[m+2] - ff[m])
		}
		for k, f := range fftFreqs {
			down := -(ff[m] - f) / lower
			up := (ff[m+2] - f) / upper
			v := math.Max(0, math.Min(down, up))
			d[m][k] = v * enorm
		}
	}
	return sparsify(d, nBins)
}

// apply computes out[m] = Σ_k w[m][k]·power[start[m]+k] for one frame.
func (b *melBank) apply(out []float64, power []float64) {
	for m := range out[:b.nMels] {
		w := b.w[m]
		p := power[b.start[m] : b.start[m]+len(w)]
		var s float64
		for k, v := range w {
			s += v * p[k]
		}
		out[m] = s
	}
}

// melPairs is a filter bank in which every FFT bin has non-zero weight in
// at most two adjacent filters (true of triangular banks whose triangles
// only overlap their neighbours): bin k adds wLo[k]·p to filter lo[k] and
// wHi[k]·p to filter lo[k]+1. One pass over the bins in ascending order
// adds the same non-zero products to each filter in the same order as
// melBank.apply (zero products change no sum), so the results are equal
// bit for bit; without the per-filter loop overhead.
type melPairs struct {
	nMels    int
	lo       []int32
	wLo, wHi []float64
}

// pairs returns b as melPairs, or nil when some bin is in more than two
// filters or in two non-adjacent ones.
func (b *melBank) pairs() *melPairs {
	p := &melPairs{nMels: b.nMels, lo: make([]int32, b.nBins), wLo: make([]float64, b.nBins), wHi: make([]float64, b.nBins)}
	d := b.dense()
	for k := range b.nBins {
		var ms []int
		for m := range b.nMels {
			if d[m][k] != 0 {
				ms = append(ms, m)
			}
		}
		switch {
		case len(ms) == 0:
			p.lo[k] = 0
		case len(ms) == 1:
			p.lo[k], p.wLo[k] = int32(ms[0]), d[ms[0]][k]
		case len(ms) == 2 && ms[1] == ms[0]+1:
			p.lo[k], p.wLo[k], p.wHi[k] = int32(ms[0]), d[ms[0]][k], d[ms[1]][k]
		default:
			return nil
		}
	}
	return p
}

// apply computes acc[m] = Σ_k w[m][k]·power[k]; acc has nMels+1 entries
// (the last is scratch).
func (p *melPairs) apply(acc []float64, power []float64) {
	acc = acc[:p.nMels+1]
	clear(acc)
	lo, wl, wh := p.lo, p.wLo[:len(p.lo)], p.wHi[:len(p.lo)]
	power = power[:len(lo)]
	for k, j := range lo {
		v := power[k]
		acc[j] += float64(wl[k] * v)
		acc[j+1] += float64(wh[k] * v)
	}
}

// melFlat is a melBank with the weights in one array, for melx4.
type melFlat struct {
	nMels, nBins int
	w            []float64
	start, cnt   []int32
}

func (b *melBank) flat() *melFlat {
	f := &melFlat{nMels: b.nMels, nBins: b.nBins, start: make([]int32, b.nMels), cnt: make([]int32, b.nMels)}
	for m := range b.nMels {
		f.start[m], f.cnt[m] = int32(b.start[m]), int32(len(b.w[m]))
		f.w = append(f.w, b.w[m]...)
	}
	f.w = append(f.w, 0) // never read; keeps &w[0] valid for an empty bank
	return f
}

// apply4 writes the mel energies of four frames, out[m][f], from
// power[k][f] (len(power) == nBins, len(out) ≥ nMels).
func (f *melFlat) apply4(out [][4]float64, power [][4]float64) {
	_ = out[f.nMels-1]
	_ = power[f.nBins-1]
	melx4(&out[0], &power[0], &f.w[0], &f.start[0], &f.cnt[0], f.nMels)
}
