package image

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/codebook"
	"github.com/tokenfab/tokenfab/internal/testenv"
)

// image_extra.json comes from scripts/golden/image_extra.py
// (transformers 5.23 FuyuImageProcessorPil / ImageGPTImageProcessorPil,
// numpy). Hashes are float32-exact: tolerance 0 on lossless inputs.

type extraGolden struct {
	Fuyu []struct {
		File          string  `json:"file"`
		UH            int     `json:"unpadded_height"`
		UW            int     `json:"unpadded_width"`
		H             int     `json:"height"`
		W             int     `json:"width"`
		PixelSHA      string  `json:"pixel_values_sha256"`
		PatchesShape  []int   `json:"patches_shape"`
		PatchesSHA    string  `json:"patches_sha256"`
		PadPixelValue float64 `json:"pad_pixel_value"`
	} `json:"fuyu"`
	IGPT []struct {
		File     string  `json:"file"`
		InputIDs []int32 `json:"input_ids"`
	} `json:"igpt"`
	Convert struct {
		F32  []uint32 `json:"f32_bits"`
		F16  []uint16 `json:"f16_bits"`
		BF16 []uint16 `json:"bf16_bits"`
	} `json:"convert"`
}

func loadExtra(t *testing.T) *extraGolden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir(), "golden", "image_extra.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g extraGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Fuyu) == 0 || len(g.IGPT) == 0 {
		t.Fatal("image_extra.json has no fuyu/igpt records")
	}
	return &g
}

// readExtraInput reads a fixture, or a corpus file ("corpus:NAME", through
// testenv.Shared: the subtest skips or fails per its policy when the corpus
// is absent).
func readExtraInput(t *testing.T, rel string) []byte {
	if name, ok := strings.CutPrefix(rel, "corpus:"); ok {
		b, err := os.ReadFile(testenv.Shared(t, "corpus/image/"+name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return readFixture(t, rel)
}

func TestFuyuGolden(t *testing.T) {
	g := loadExtra(t)
	tk, err := New(Config{Preset: "fuyu"})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range g.Fuyu {
		t.Run(rec.File, func(t *testing.T) {
			out, err := tk.Tokenize(context.Background(), readExtraInput(t, rec.File))
			if err != nil {
				t.Fatalf("%s: %v", rec.File, err)
			}
			if out.ResizedWidth != rec.UW || out.ResizedHeight != rec.UH || out.ImageWidth != rec.W || out.ImageHeight != rec.H {
				t.Fatalf("%s: resized %dx%d image %dx%d, HF %dx%d / %dx%d", rec.File, out.ResizedWidth, out.ResizedHeight,
					out.ImageWidth, out.ImageHeight, rec.UW, rec.UH, rec.W, rec.H)
			}
			if out.NumPatches != rec.PatchesShape[0] || out.PatchDim != rec.PatchesShape[1] {
				t.Errorf("%s: patches %dx%d, HF %v", rec.File, out.NumPatches, out.PatchDim, rec.PatchesShape)
			}
			gh, gw := rec.H/30, rec.W/30
			if out.GridTHW != [3]int32{1, int32(gh), int32(gw)} || out.NumTokens != gh*(gw+1) {
				t.Errorf("%s: grid %v tokens %d", rec.File, out.GridTHW, out.NumTokens)
			}
			if s := f32sha(tk.PixelValuesCHW(out)); s != rec.PixelSHA {
				t.Errorf("%s: pixel_values differ from HF", rec.File)
			}
			if s := f32sha(tk.PatchValues(out)); s != rec.PatchesSHA {
				t.Errorf("%s: patches differ from HF patchify_image", rec.File)
			}
			if rec.W > rec.UW {
				if v := tk.Normalize(0, out.Image[(rec.W-1)*3]); float64(v) != rec.PadPixelValue {
					t.Errorf("%s: pad value %v, HF %v", rec.File, v, rec.PadPixelValue)
				}
			}
		})
	}
}

func igptPalette(t *testing.T) [][3]float64 {
	t.Helper()
	pal, err := LoadPalette(filepath.Join(fixturesDir(), "igpt_test_palette.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pal) != 512 || pal[511] != pal[7] {
		t.Fatalf("test palette: %d colours, duplicate row %v", len(pal), pal[511] == pal[7])
	}
	return pal
}

func TestIGPTGolden(t *testing.T) {
	g := loadExtra(t)
	if _, err := New(Config{Preset: "igpt"}); err == nil {
		t.Fatal("igpt without a palette must be refused")
	}
	tk, err := New(Config{Preset: "igpt", Palette: igptPalette(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range g.IGPT {
		t.Run(rec.File, func(t *testing.T) {
			out, err := tk.Tokenize(context.Background(), readExtraInput(t, rec.File))
			if err != nil {
				t.Fatalf("%s: %v", rec.File, err)
			}
			if len(out.InputIDs) != 1024 || out.NumTokens != 1024 || out.NumPatches != 1024 || out.PatchDim != 3 {
				t.Fatalf("%s: %d ids, %d tokens, %d patches of %d", rec.File, len(out.InputIDs), out.NumTokens, out.NumPatches, out.PatchDim)
			}
			diff := 0
			for i := range rec.InputIDs {
				if out.InputIDs[i] != rec.InputIDs[i] {
					diff++
				}
			}
			if diff != 0 {
				t.Errorf("%s: %d of 1024 input_ids differ from HF", rec.File, diff)
			}
		})
	}
}

// TestIGPTTies: the test palette's row 511 duplicates row 7; a pixel
// nearest to that colour must get 7 (np.argmin's first minimum), never 511.
func TestIGPTTies(t *testing.T) {
	pal := igptPalette(t)
	tk, err := New(Config{Preset: "igpt", Palette: pal})
	if err != nil {
		t.Fatal(err)
	}
	for v := 0; v < 256; v++ {
		x := [3]float32{tk.Normalize(0, uint8(v)), tk.Normalize(1, uint8(v)), tk.Normalize(2, uint8(v))}
		k := nearestColour(x, pal, tk.pal2)
		if k == 511 {
			t.Fatalf("value %d: tie resolved to 511, want the lowest index", v)
		}
	}
	// A pixel exactly at colour 7 ties between 7 and 511.
	x := [3]float32{float32(pal[7][0]), float32(pal[7][1]), float32(pal[7][2])}
	if k := nearestColour(x, pal, tk.pal2); k != 7 {
		t.Fatalf("pixel at colour 7: got %d", k)
	}
}

// TestCodebookInputIDs: with a Codebook, InputIDs[i] is Nearest of patch i
// (its uint8 samples as float32), checked by brute force here; a codebook
// of the wrong width is refused.
func TestCodebookInputIDs(t *testing.T) {
	base, err := New(Config{Preset: "vit-base-patch16-224"})
	if err != nil {
		t.Fatal(err)
	}
	data := readFixture(t, "synth_70x70.png")
	ref, err := base.Tokenize(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	d := ref.PatchDim
	cb := &codebook.Codebook{K: 5, Dim: d}
	for _, p := range []int{3, 50, 100, 150, 3} { // centre 4 duplicates centre 0: ties go to 0
		for _, v := range ref.Patches[p*d : (p+1)*d] {
			cb.Centres = append(cb.Centres, float32(v))
		}
	}
	tk, err := New(Config{Preset: "vit-base-patch16-224", Codebook: cb})
	if err != nil {
		t.Fatal(err)
	}
	out, err := tk.Tokenize(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.InputIDs) != out.NumPatches || out.NumTokens != out.NumPatches {
		t.Fatalf("%d ids for %d patches", len(out.InputIDs), out.NumPatches)
	}
	for i := 0; i < out.NumPatches; i++ {
		best, bd := 0, math.Inf(1)
		for k := 0; k < cb.K; k++ {
			var s float64
			for j, v := range out.Patches[i*d : (i+1)*d] {
				x := float64(v) - float64(cb.Centres[k*d+j])
				s += x * x
			}
			if s < bd { // float64 reference; float32 Dist could only differ on a near-tie (none here: the test would report it)
				best, bd = k, s
			}
		}
		if int(out.InputIDs[i]) != best {
			t.Fatalf("patch %d: id %d, brute force %d", i, out.InputIDs[i], best)
		}
	}
	if out.InputIDs[3] != 0 || out.InputIDs[50] != 1 {
		t.Fatalf("a centre's own patch: ids %d %d", out.InputIDs[3], out.InputIDs[50])
	}
	if _, err := New(Config{Preset: "clip-vit-large-patch14", Codebook: cb}); err == nil {
		t.Fatal("codebook of 768 accepted for 588-sample patches")
	}
}
