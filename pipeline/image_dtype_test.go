package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestHalfConversionGolden: f16Bits against numpy's astype(np.float16) and
// bf16Bits against the round-to-nearest-even definition computed in
// scripts/golden/image_extra.py (no bfloat16 library is in the venvs), on
// ±0, subnormals, ties, overflow, Inf/NaN, every pixel value of the 0.5/0.5
// presets, normal samples and random bit patterns. Tolerance: 0 (bits).
func TestHalfConversionGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "image", "golden", "image_extra.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Convert struct {
			F32  []uint32 `json:"f32_bits"`
			F16  []uint16 `json:"f16_bits"`
			BF16 []uint16 `json:"bf16_bits"`
		} `json:"convert"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	c := g.Convert
	if len(c.F32) < 500 || len(c.F16) != len(c.F32) || len(c.BF16) != len(c.F32) {
		t.Fatalf("golden sizes %d %d %d", len(c.F32), len(c.F16), len(c.BF16))
	}
	bad16, badBF := 0, 0
	for i, u := range c.F32 {
		f := math.Float32frombits(u)
		if h := f16Bits(f); h != c.F16[i] {
			bad16++
			if bad16 < 5 {
				t.Errorf("float16(%g = %#08x) = %#04x, numpy %#04x", f, u, h, c.F16[i])
			}
		}
		if h := bf16Bits(f); h != c.BF16[i] {
			badBF++
			if badBF < 5 {
				t.Errorf("bfloat16(%g = %#08x) = %#04x, reference %#04x", f, u, h, c.BF16[i])
			}
		}
	}
	if bad16+badBF > 0 {
		t.Fatalf("%d float16 and %d bfloat16 mismatches of %d", bad16, badBF, len(c.F32))
	}
}

// TestImageHalfAndIDColumns: float16 and bfloat16 patch columns hold the
// conversions of PatchValues, with their types, HF features and metadata;
// igpt rows carry input_ids (the image package's palette indices).
func TestImageHalfAndIDColumns(t *testing.T) {
	src := t.TempDir()
	png := imageFixture(t, "synth_70x70.png")
	writeTree(t, src, map[string]string{"a.png": string(png)})
	pal, err := image.LoadPalette(filepath.Join(testenv.Root(), "fixtures", "image", "igpt_test_palette.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dtype string
		cfg   image.Config
		elem  arrow.DataType
		hf    string
	}{
		{"float16", image.Config{Preset: "siglip-base-patch16-224", PatchDType: "float16"}, arrow.FixedWidthTypes.Float16, "float16"},
		{"bfloat16", image.Config{Preset: "fuyu", PatchDType: "bfloat16"}, arrow.PrimitiveTypes.Uint16, "uint16"},
		{"uint8", image.Config{Preset: "igpt", Palette: pal}, arrow.PrimitiveTypes.Uint8, "uint8"},
	} {
		tok, m := newImageTok(t, tc.cfg)
		tk, err := tok.Tokenize(context.Background(), png)
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		if _, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Allocator: mem, Modalities: []Modality{m}}); err != nil {
			t.Fatal(err)
		}
		mem.AssertSize(t, 0)
		files, _ := filepath.Glob(filepath.Join(out, "part-*.arrow"))
		if len(files) != 1 {
			t.Fatalf("%s: part files %v", tc.dtype, files)
		}
		f, err := os.Open(files[0])
		if err != nil {
			t.Fatal(err)
		}
		fr, err := ipc.NewFileReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := fr.Schema()
		pf, _ := sc.FieldsByName("patches")
		if want := arrow.ListOf(arrow.FixedSizeListOf(int32(tk.PatchDim), tc.elem)); len(pf) != 1 || !arrow.TypeEqual(pf[0].Type, want) {
			t.Fatalf("%s: patches %v, want %v", tc.dtype, pf, want)
		}
		hf, _ := sc.Metadata().GetValue("huggingface")
		if want := fmt.Sprintf(`"patches":{"feature":{"feature":{"dtype":"%s"`, tc.hf); !containsStr(hf, want) {
			t.Errorf("%s: huggingface metadata %s lacks %s", tc.dtype, hf, want)
		}
		tf, _ := sc.Metadata().GetValue("tokenfab")
		if tc.dtype != "uint8" && (!containsStr(tf, `"patch_dtype":"`+tc.dtype+`"`) || !containsStr(tf, "patch_storage")) {
			t.Errorf("%s: tokenfab metadata %s lacks patch_dtype/patch_storage", tc.dtype, tf)
		}
		rec, err := fr.RecordBatch(0)
		if err != nil {
			t.Fatal(err)
		}
		vals := rec.Column(sc.FieldIndices("patches")[0]).(*array.List).ListValues().(*array.FixedSizeList).ListValues()
		pv := tok.PatchValues(tk)
		switch v := vals.(type) {
		case *array.Float16:
			got := v.Values()
			if len(got) != len(pv) {
				t.Fatalf("float16: %d values, want %d", len(got), len(pv))
			}
			for i, x := range pv {
				if got[i].Uint16() != f16Bits(x) {
					t.Fatalf("float16 value %d: %#04x, want %#04x", i, got[i].Uint16(), f16Bits(x))
				}
			}
		case *array.Uint16:
			if tc.dtype != "bfloat16" {
				t.Fatalf("%s: uint16 column", tc.dtype)
			}
			got := v.Uint16Values()
			if len(got) != len(pv) {
				t.Fatalf("bfloat16: %d values, want %d", len(got), len(pv))
			}
			for i, x := range pv {
				if got[i] != bf16Bits(x) {
					t.Fatalf("bfloat16 value %d: %#04x, want %#04x", i, got[i], bf16Bits(x))
				}
			}
		case *array.Uint8:
			if !slices.Equal(v.Uint8Values(), tk.Patches) {
				t.Fatal("uint8 patches differ")
			}
		}
		ids := rec.Column(sc.FieldIndices("input_ids")[0]).(*array.List)
		if tc.cfg.Palette != nil {
			if ids.IsNull(0) || !slices.Equal(ids.ListValues().(*array.Int32).Int32Values(), tk.InputIDs) || len(tk.InputIDs) != 1024 {
				t.Fatalf("igpt input_ids differ from the image package's (%d ids)", len(tk.InputIDs))
			}
		} else if !ids.IsNull(0) {
			t.Fatalf("%s: input_ids not null without palette/codebook", tc.dtype)
		}
		rec.Release()
		fr.Close()
		f.Close()
	}
}

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }
