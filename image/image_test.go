package image

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Qwen2-VL geometry against transformers' own smart_resize (goldens),
// plus the vectors spelled out.
func TestQwenVectors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixturesDir(), "golden", "qwen_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	// field names in the JSON are lower-case
	var raw []map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) < 10 {
		t.Fatalf("only %d vectors", len(raw))
	}
	for _, c := range raw {
		h, w, mx := int(c["h"].(float64)), int(c["w"].(float64)), int(c["max_pixels"].(float64))
		rh, rw, err := SmartResize(h, w, 28, 3136, mx)
		if e, ok := c["error"]; ok {
			if err == nil {
				t.Errorf("%dx%d max %d: HF errors (%v), we gave %dx%d", h, w, mx, e, rh, rw)
			}
			continue
		}
		if err != nil || rh != int(c["rh"].(float64)) || rw != int(c["rw"].(float64)) {
			t.Errorf("%dx%d max %d: got %dx%d %v, HF %vx%v", h, w, mx, rh, rw, err, c["rh"], c["rw"])
		}
	}
	for _, v := range []struct{ h, w, max, gh, gw int }{
		{480, 640, 12845056, 34, 46}, {480, 640, 1003520, 34, 46},
		{1080, 1920, 1003520, 52, 94}, {1080, 1920, 12845056, 78, 138},
		{70, 70, 12845056, 4, 4}, {333, 517, 1003520, 24, 36}, {224, 150, 1003520, 16, 10},
	} {
		rh, rw, err := SmartResize(v.h, v.w, 28, 3136, v.max)
		if err != nil || rh/14 != v.gh || rw/14 != v.gw {
			t.Errorf("%dx%d max %d: grid (1,%d,%d), want (1,%d,%d)", v.h, v.w, v.max, rh/14, rw/14, v.gh, v.gw)
		}
	}
}

// Every uint8 value through each preset's rescale+normalize equals HF's
// float32 bit for bit.
func TestNormalizeLUT(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixturesDir(), "golden", "normalize.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]struct {
		Bits [][]uint32 `json:"bits"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	for _, name := range presetOrder {
		tk, err := New(Config{Preset: name})
		if err != nil {
			t.Fatal(err)
		}
		bits := g[name].Bits
		if len(bits) != 3 {
			t.Fatalf("%s: no golden", name)
		}
		for c := 0; c < 3; c++ {
			for v := 0; v < 256; v++ {
				if got := math.Float32bits(tk.Normalize(c, uint8(v))); got != bits[c][v] {
					t.Fatalf("%s c=%d v=%d: %x, HF %x", name, c, v, got, bits[c][v])
				}
			}
		}
	}
}

// A PNG whose header claims 100000×100000 is refused from the header: fast
// and without allocating the pixels.
func TestDecompressionBomb(t *testing.T) {
	data := readFixture(t, "bomb_100000x100000.png")
	tk, _ := New(Config{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := tk.Tokenize(context.Background(), data)
	el := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("err = %v, want ErrTooManyPixels", err)
	}
	if el > 10*time.Millisecond {
		t.Errorf("refusal took %v (> 10 ms)", el)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes before refusing", alloc)
	}
	t.Logf("refused in %v: %v", el, err)
}

func TestErrors(t *testing.T) {
	tk, _ := New(Config{MaxFileBytes: 100})
	ctx := context.Background()
	if _, err := tk.Tokenize(ctx, []byte("hello world, not an image")); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("text: %v", err)
	}
	if _, err := tk.Tokenize(ctx, readFixture(t, "synth_70x70.png")); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("max file bytes: %v", err)
	}
	tk, _ = New(Config{})
	d := readFixture(t, "synth_70x70.png")
	if _, err := tk.Tokenize(ctx, d[:len(d)/2]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tk.Tokenize(cctx, d); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := New(Config{Preset: "nope"}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad preset: %v", err)
	}
	if _, err := New(Config{Resample: "cubic-ish"}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad filter: %v", err)
	}
	if _, err := New(Config{Mean: []float64{1}}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad mean: %v", err)
	}
}

// Tokenize end to end on fixtures: metadata, EXIF switch, Qwen layout.
func TestTokenizeMetadata(t *testing.T) {
	ctx := context.Background()
	tk, _ := New(Config{Preset: "qwen2-vl", PatchDType: "float32"})
	toks, err := tk.Tokenize(ctx, readFixture(t, "synth_exif6.png"))
	if err != nil {
		t.Fatal(err)
	}
	if toks.Orientation != 6 || !toks.OrientationApplied || toks.OriginalWidth != 36 || toks.OriginalHeight != 24 || toks.Width != 24 || toks.Height != 36 {
		t.Errorf("orientation metadata %+v", toks)
	}
	if toks.PatchDim != 1176 || toks.GridTHW[0] != 1 || toks.NumTokens*4 != toks.NumPatches || len(toks.PixelValues) != toks.NumPatches*1176 {
		t.Errorf("qwen layout: dim %d grid %v tokens %d", toks.PatchDim, toks.GridTHW, toks.NumTokens)
	}
	// temporal copies are equal: columns [c][0] and [c][1]
	row := toks.Patches[:1176]
	for c := 0; c < 3; c++ {
		a := row[c*392 : c*392+196]
		b := row[c*392+196 : c*392+392]
		if string(a) != string(b) {
			t.Fatal("temporal patch copies differ")
		}
	}
	tk2, _ := New(Config{Preset: "qwen2-vl", DisableEXIF: true})
	toks2, err := tk2.Tokenize(ctx, readFixture(t, "synth_exif6.png"))
	if err != nil {
		t.Fatal(err)
	}
	if toks2.OrientationApplied || toks2.Width != 36 || toks2.Orientation != 6 {
		t.Errorf("DisableEXIF: %+v", toks2)
	}
	v, _ := New(Config{})
	vt, err := v.Tokenize(ctx, readFixture(t, "synth_70x70.png"))
	if err != nil {
		t.Fatal(err)
	}
	if vt.GridTHW != [3]int32{1, 14, 14} || vt.NumTokens != 196 || vt.PatchDim != 768 {
		t.Errorf("vit grid %v tokens %d dim %d", vt.GridTHW, vt.NumTokens, vt.PatchDim)
	}
	// patch (gy, gx) column (c, py, px) is image pixel (gy*16+py, gx*16+px) channel c
	for _, p := range [][5]int{{0, 0, 0, 0, 0}, {3, 5, 2, 15, 7}, {13, 13, 1, 9, 15}} {
		gy, gx, c, py, px := p[0], p[1], p[2], p[3], p[4]
		got := vt.Patches[(gy*14+gx)*768+(c*16+py)*16+px]
		want := vt.Image[((gy*16+py)*224+gx*16+px)*3+c]
		if got != want {
			t.Errorf("patch layout at %v", p)
		}
	}
	d := v.Describe()
	if d["preset"] != "vit-base-patch16-224" || d["resample"] != "bilinear" || d["patch_size"] != 16 {
		t.Errorf("Describe: %v", d)
	}
}

func TestConcurrentTokenize(t *testing.T) {
	tk, _ := New(Config{Preset: "clip-vit-large-patch14"})
	data := readFixture(t, "synth_edges_420.jpg")
	ref, err := tk.Tokenize(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				got, err := tk.Tokenize(context.Background(), data)
				if err != nil || string(got.Patches) != string(ref.Patches) {
					t.Error("concurrent result differs")
					return
				}
			}
		}()
	}
	wg.Wait()
}
