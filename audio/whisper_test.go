package audio

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// The filters computed in code equal HF's (float64 mel_filter_bank) when
// both are stored as float32: bit for bit.
func TestWhisperFiltersBitExact(t *testing.T) {
	for _, n := range []int{80, 128} {
		want, shape := golden(t, "whisper_filters"+map[int]string{80: "80", 128: "128"}[n])
		d := whisperBanks[n].dense()
		if shape[0] != n || shape[1] != 201 {
			t.Fatalf("shape %v", shape)
		}
		for m := range n {
			for k := range 201 {
				if float32(d[m][k]) != want[m*201+k] {
					t.Fatalf("mel %d bin %d: %g, HF %g", m, k, float32(d[m][k]), want[m*201+k])
				}
			}
		}
	}
}

// whisperTol: HF's own docstring gives 1e-5 between its numpy and torch
// paths and we measured up to 5.0e-5 between them on a chirp; the issue's
// target is 5e-5 against the numpy path, which we match far closer (both
// float64 STFTs; the difference is float64 summation order).
const whisperTol = 5e-5

func checkWhisper(t *testing.T, x []float32, nMels int, gname string) float64 {
	t.Helper()
	want, shape := golden(t, gname)
	got, chunks := WhisperLogMel(x, nMels)
	if chunks != shape[0] || len(got) != len(want) {
		t.Fatalf("%d chunks (%d values), golden shape %v", chunks, len(got), shape)
	}
	d, at := maxAbsDiff(got, want)
	if d > whisperTol || math.IsNaN(d) {
		t.Fatalf("max |Δ| %g at chunk %d frame %d mel %d (got %g want %g)", d, at/(3000*nMels), at/nMels%3000, at%nMels, got[at], want[at])
	}
	return d
}

func TestWhisperGoldenSynthetic(t *testing.T) {
	for _, nMels := range []int{80, 128} {
		for _, s := range goldenSignals {
			t.Run(s, func(t *testing.T) {
				d := checkWhisper(t, goldenInput(t, s), nMels, "whisper"+itoa(nMels)+"_"+s)
				t.Logf("whisper-%d %s: max |Δ| %.3g", nMels, s, d)
			})
		}
	}
}

func TestWhisperGoldenCorpus(t *testing.T) {
	dir := testenv.Shared(t, "corpus/audio")
	for _, c := range goldenCorpus {
		b, err := os.ReadFile(filepath.Join(dir, c))
		if err != nil {
			t.Fatal(err)
		}
		p, err := DecodeWAV(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, nMels := range []int{80, 128} {
			if nMels == 128 && !strings.Contains(c, "0920") {
				continue
			}
			d := checkWhisper(t, p.Mono(), nMels, "whisper"+itoa(nMels)+"_corpus_"+c)
			t.Logf("whisper-%d %s: max |Δ| %.3g", nMels, c, d)
		}
	}
}

func itoa(n int) string {
	if n == 80 {
		return "80"
	}
	return "128"
}
