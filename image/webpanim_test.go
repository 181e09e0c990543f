package image

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// webpFramesGolden is the "frames" part of image_golden.json: every frame of
// an animated WebP as Pillow 13 composites it (scripts/golden/image_golden.py).
type webpFramesGolden struct {
	File   string `json:"file"`
	Lossy  bool   `json:"lossy"`
	Frames []struct {
		Duration int    `json:"duration"`
		RGB      string `json:"rgb_sha256"`
		Alpha    string `json:"alpha_sha256"`
	} `json:"frames"`
}

func loadWebPFrameGoldens(t *testing.T) (fix, corpus []webpFramesGolden) {
	b, err := os.ReadFile(filepath.Join(fixturesDir(), "golden", "image_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Fixtures, Corpus []webpFramesGolden }
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	keep := func(rs []webpFramesGolden) (out []webpFramesGolden) {
		for _, r := range rs {
			if len(r.Frames) > 0 {
				out = append(out, r)
			}
		}
		return out
	}
	return keep(g.Fixtures), keep(g.Corpus)
}

// checkWebPFrames: durations and alpha exact; RGB sha256-equal to Pillow
// for lossless files, within the lossy tolerance (±2 on ≥ 99.9 % of
// samples) against PIL's frames for lossy ones.
func checkWebPFrames(t *testing.T, g webpFramesGolden, data []byte) {
	frames, w, h, err := DecodeWebPFrames(data, 1<<30, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != len(g.Frames) {
		t.Fatalf("%d frames, Pillow %d", len(frames), len(g.Frames))
	}
	var want []uint8
	if g.Lossy {
		var sw, sh int
		want, sw, sh = readPNGRGB(t, filepath.Join(fixturesDir(), "golden", "samples", g.File+".frames.png"))
		if sw != w || sh != h*len(frames) {
			t.Fatalf("sample strip %dx%d, want %dx%d", sw, sh, w, h*len(frames))
		}
	}
	for k, f := range frames {
		gf := g.Frames[k]
		if f.DurationMs != gf.Duration {
			t.Errorf("frame %d: duration %d ms, Pillow %d", k, f.DurationMs, gf.Duration)
		}
		if (gf.Alpha != "") != (f.Alpha != nil) {
			t.Errorf("frame %d: alpha present %v, Pillow %v", k, f.Alpha != nil, gf.Alpha != "")
		} else if f.Alpha != nil && hexsha(f.Alpha) != gf.Alpha {
			t.Errorf("frame %d: canvas alpha differs from Pillow", k)
		}
		if !g.Lossy {
			if hexsha(f.RGB) != gf.RGB {
				t.Errorf("frame %d: RGB differs from Pillow", k)
			}
			continue
		}
		var s tolStats
		s.add(f.RGB, want[k*w*h*3:(k+1)*w*h*3])
		t.Logf("frame %d vs Pillow: %s", k, s)
		if !s.ok() {
			t.Errorf("frame %d beyond tolerance: %s", k, s)
		}
	}
}

func TestWebPFramesFixtures(t *testing.T) {
	fix, _ := loadWebPFrameGoldens(t)
	if len(fix) < 3 {
		t.Fatalf("%d animated WebP fixtures with frame goldens, want 3 (run scripts/golden/image.sh)", len(fix))
	}
	for _, g := range fix {
		t.Run(g.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(fixturesDir(), g.File))
			if err != nil {
				t.Fatal(err)
			}
			checkWebPFrames(t, g, data)
		})
	}
}

func TestWebPFramesCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus; skipped with -short")
	}
	_, corpus := loadWebPFrameGoldens(t)
	dir := testenv.Shared(t, "corpus/image")
	if len(corpus) == 0 {
		t.Fatal("no animated WebP in the corpus goldens")
	}
	for _, g := range corpus {
		t.Run(g.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, g.File))
			if err != nil {
				t.Fatal(err)
			}
			checkWebPFrames(t, g, data)
		})
	}
}

// TestWebPFramesErrors: limits and malformed containers give sentinel
// errors, not panics.
func TestWebPFramesErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixturesDir(), "synth_anim_lossless.webp"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := DecodeWebPFrames(data, 1<<30, 5); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("6 frames, maxFrames 5: %v", err)
	}
	if _, _, _, err := DecodeWebPFrames(data, 40*30*4*6-1, 100); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("maxBytes one short: %v", err)
	}
	if _, _, _, err := DecodeWebPFrames(data, 40*30*4*6, 100); err != nil {
		t.Errorf("maxBytes exact: %v", err)
	}
	still, _ := os.ReadFile(filepath.Join(fixturesDir(), "synth_lossless.webp"))
	if IsAnimatedWebP(still) || !IsAnimatedWebP(data) {
		t.Errorf("IsAnimatedWebP wrong")
	}
	if _, _, _, err := DecodeWebPFrames(still, 1<<30, 100); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("still WebP: %v", err)
	}
	for cut := 21; cut < len(data); cut += 97 {
		_, _, _, err := DecodeWebPFrames(data[:cut], 1<<30, 100)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("truncated at %d: %v", cut, err)
		}
	}
	// a canvas over the pixel limit is refused from the header, before any
	// canvas is allocated (VP8X canvas 16384×16384)
	huge := append([]byte(nil), data...)
	v := indexChunk(huge, "VP8X")
	copy(huge[v+12:v+18], []byte{0xff, 0x3f, 0, 0xff, 0x3f, 0})
	if _, _, _, err := DecodeWebPFrames(huge, 1<<40, 100); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("16384² canvas: %v", err)
	}
	if _, err := decodeRGB(huge, decodeOptions{maxPixels: DefaultMaxPixels, maxFileBytes: -1}); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("decodeRGB, 16384² canvas: %v", err)
	}
	// a frame moved outside the canvas: first ANMF x offset (in 2-pixel units)
	bad := append([]byte(nil), data...)
	i := indexChunk(bad, "ANMF")
	bad[i+8] = 100
	if _, _, _, err := DecodeWebPFrames(bad, 1<<30, 100); !errors.Is(err, ErrCorrupt) {
		t.Errorf("frame outside canvas: %v", err)
	}
	if _, err := decodeRGB(bad, decodeOptions{maxPixels: DefaultMaxPixels, maxFileBytes: -1}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("decodeRGB, frame outside canvas: %v", err)
	}
}

func indexChunk(d []byte, cc string) int {
	for i := 12; i+8 <= len(d); {
		if string(d[i:i+4]) == cc {
			return i
		}
		n := int(d[i+4]) | int(d[i+5])<<8 | int(d[i+6])<<16 | int(d[i+7])<<24
		i += 8 + n + n&1
	}
	return -1
}

// FuzzWebPFrames: DecodeWebPFrames on any input returns frames of the
// canvas size or a sentinel error, never panics. Limits are small so fuzzed
// headers cannot allocate much.
func FuzzWebPFrames(f *testing.F) {
	seedFuzz(f, "anim_lossless.webp", "anim_lossy.webp", "anim_noalpha.webp")
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, w, h, err := DecodeWebPFrames(data, 1<<22, 64)
		if err != nil {
			if !ours(err) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		for _, fr := range frames {
			if len(fr.RGB) != w*h*3 || (fr.Alpha != nil && len(fr.Alpha) != w*h) {
				t.Fatalf("frame sizes inconsistent with %dx%d", w, h)
			}
		}
	})
}

// Benchmarks on the corpus animation (245×245, 42 VP8L frames); the
// Pillow side is scripts/golden/webp_anim_bench.py (compare cpu-ms/op).
func webpAnimBenchInput(b *testing.B) []byte {
	d, err := os.ReadFile(filepath.Join(testenv.Shared(b, "corpus/image"), "webp_animated_pillow_iss634.webp"))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func BenchmarkWebPAnimAllFrames(b *testing.B) {
	data := webpAnimBenchInput(b)
	defer cpuMs(b)()
	for b.Loop() {
		if _, _, _, err := DecodeWebPFrames(data, 1<<30, 1000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWebPAnimFirstFrame(b *testing.B) {
	data := webpAnimBenchInput(b)
	defer cpuMs(b)()
	for b.Loop() {
		if _, err := decodeRGB(data, decodeOptions{maxPixels: DefaultMaxPixels, maxFileBytes: -1}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSplitRGBA: the 4-pixel splitRGBA equals the byte-by-byte definition
// for every length mod 4 (the tail path) and with and without alpha.
func TestSplitRGBA(t *testing.T) {
	for n := 0; n < 23; n++ {
		rgba := make([]uint8, 4*n)
		for i := range rgba {
			rgba[i] = uint8(i*37 + 11)
		}
		wantRGB, wantA := make([]uint8, 3*n), make([]uint8, n)
		for i := 0; i < n; i++ {
			copy(wantRGB[3*i:], rgba[4*i:4*i+3])
			wantA[i] = rgba[4*i+3]
		}
		rgb, a := make([]uint8, 3*n), make([]uint8, n)
		splitRGBA(rgb, a, rgba)
		if string(rgb) != string(wantRGB) || string(a) != string(wantA) {
			t.Fatalf("n=%d: differs", n)
		}
		rgb2 := make([]uint8, 3*n)
		splitRGBA(rgb2, nil, rgba)
		if string(rgb2) != string(wantRGB) {
			t.Fatalf("n=%d, no alpha: differs", n)
		}
	}
}
