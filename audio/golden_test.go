package audio

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

type goldenEntry struct {
	Shape []int          `json:"shape"`
	Rest  map[string]any `json:"-"`
}

var (
	manifestOnce sync.Once
	manifest     struct {
		Arrays map[string]json.RawMessage `json:"arrays"`
	}
)

func goldenDir() string { return filepath.Join(testenv.Root(), "fixtures", "audio", "golden") }

// golden loads fixtures/audio/golden/NAME.f32.gz and its shape.
func golden(t testing.TB, name string) ([]float32, []int) {
	t.Helper()
	manifestOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(goldenDir(), "manifest.json"))
		if err == nil {
			err = json.Unmarshal(b, &manifest)
		}
		if err != nil {
			panic(err)
		}
	})
	raw, ok := manifest.Arrays[name]
	if !ok {
		t.Fatalf("golden %s not in manifest (run scripts/golden/audio.sh)", name)
	}
	var e goldenEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	gz, err := os.ReadFile(filepath.Join(goldenDir(), name+".f32.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	v := bytesToF32(b)
	n := 1
	for _, d := range e.Shape {
		n *= d
	}
	if n != len(v) {
		t.Fatalf("golden %s: %d values, shape %v", name, len(v), e.Shape)
	}
	return v, e.Shape
}

// goldenMeta returns a number that audio_golden.py recorded next to the
// golden NAME in the manifest (0 with a test failure if it is missing).
func goldenMeta(t testing.TB, name, key string) float64 {
	t.Helper()
	golden(t, name) // loads the manifest
	var m map[string]any
	if err := json.Unmarshal(manifest.Arrays[name], &m); err != nil {
		t.Fatal(err)
	}
	v, ok := m[key].(float64)
	if !ok {
		t.Fatalf("golden %s: no number %q in the manifest (run scripts/golden/audio.sh)", name, key)
	}
	return v
}

// synth recomputes the formula signals of audio_golden.py (float64 maths,
// then float32).
func synth(name string) []float32 {
	const sr = 16000.0
	var n int
	var f func(t float64) float64
	switch name {
	case "tone440_2s":
		n, f = 32000, func(t float64) float64 { return 0.5 * math.Sin(2*math.Pi*440*t) }
	case "tone440_35s":
		n, f = 35*16000, func(t float64) float64 { return 0.5 * math.Sin(2*math.Pi*440*t) }
	case "chirp_3s":
		n, f = 48000, func(t float64) float64 { return 0.5 * math.Sin(2*math.Pi*(50*t+(7950.0/6)*t*t)) }
	case "silence_1s":
		return make([]float32, 16000)
	default:
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(f(float64(i) / sr))
	}
	return out
}

// goldenInput returns a synthetic signal: a formula, or a stored input.
func goldenInput(t testing.TB, name string) []float32 {
	if x := synth(name); x != nil {
		return x
	}
	x, _ := golden(t, "input_"+name)
	return x
}

var goldenSignals = []string{"tone440_2s", "chirp_3s", "silence_1s", "tone440_35s", "noise_1s", "one_sample", "hundred_samples"}

var goldenCorpus = []string{"wav_s16_16k_mono_speech_librivox_0870.wav", "wav_s16_16k_mono_speech_librivox_0920.wav",
	"wav_s16_16k_mono_speech_librivox_0930.wav", "wav_s16_16k_mono_speech_pocketsphinx_cards_005.wav"}
