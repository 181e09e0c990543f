package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/text"
)

func imageFixture(t testing.TB, name string) []byte {
	t.Helper()
	return readFixture(t, "image", name)
}

func newImageTok(t testing.TB, cfg image.Config) (*image.Tokenizer, Modality) {
	t.Helper()
	tok, err := image.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewImage(tok)
	if err != nil {
		t.Fatal(err)
	}
	return tok, m
}

// TestImageAdapterMatchesImagePackage: the payload is the image package's
// output, unchanged, for both dtypes and both kinds of preset.
func TestImageAdapterMatchesImagePackage(t *testing.T) {
	for _, preset := range []string{"vit-base-patch16-224", "qwen2-vl"} {
		for _, dtype := range []string{"uint8", "float32"} {
			tok, m := newImageTok(t, image.Config{Preset: preset, PatchDType: dtype})
			for _, name := range []string{"synth_70x70.png", "synth_edges_420.jpg", "synth_exif6.png"} {
				data := imageFixture(t, name)
				tk, err := tok.Tokenize(context.Background(), data)
				if err != nil {
					t.Fatal(err)
				}
				p, err := m.Tokenize(context.Background(), data)
				if err != nil {
					t.Fatal(err)
				}
				what := fmt.Sprintf("%s/%s/%s", preset, dtype, name)
				if p.NumTokens != tk.NumTokens || p.GridTHW != tk.GridTHW || !p.HasGrid || p.PatchDim != tk.PatchDim || p.InputIDs != nil {
					t.Fatalf("%s: payload tokens %d grid %v dim %d, image package %d %v %d", what, p.NumTokens, p.GridTHW, p.PatchDim, tk.NumTokens, tk.GridTHW, tk.PatchDim)
				}
				if dtype == "uint8" && (!bytes.Equal(p.Patches, tk.Patches) || p.PatchValues != nil) {
					t.Fatalf("%s: uint8 patches differ from Tokens.Patches", what)
				}
				if dtype == "float32" && (p.Patches != nil || fmt.Sprint(p.PatchValues) != fmt.Sprint(tok.PatchValues(tk))) {
					t.Fatalf("%s: float32 patches differ from PatchValues", what)
				}
				if d := m.Describe(); d["patch_dim"] != tk.PatchDim || d["patch_dtype"] != dtype || d["preset"] != preset {
					t.Fatalf("%s: describe %v", what, d)
				}
				if len(p.Patches)+len(p.PatchValues) != tk.NumPatches*tk.PatchDim {
					t.Fatalf("%s: %d values for %d patches of %d", what, len(p.Patches)+len(p.PatchValues), tk.NumPatches, tk.PatchDim)
				}
			}
		}
	}
	// Values from HF (image/golden/qwen_vectors.json: 70×70 → 56×56) and the
	// ViT geometry (224/16 = 14).
	_, q := newImageTok(t, image.Config{Preset: "qwen2-vl"})
	p, err := q.Tokenize(context.Background(), imageFixture(t, "synth_70x70.png"))
	if err != nil || p.GridTHW != [3]int32{1, 4, 4} || p.NumTokens != 4 || p.PatchDim != 1176 || len(p.Patches) != 16*1176 {
		t.Fatalf("qwen 70x70: grid %v tokens %d dim %d, %v; want (1,4,4), 4 tokens (16 patches / merge 2²), 1176", p.GridTHW, p.NumTokens, p.PatchDim, err)
	}
	_, v := newImageTok(t, image.Config{})
	p, err = v.Tokenize(context.Background(), imageFixture(t, "synth_70x70.png"))
	if err != nil || p.GridTHW != [3]int32{1, 14, 14} || p.NumTokens != 196 || p.PatchDim != 768 {
		t.Fatalf("vit 70x70: grid %v tokens %d dim %d, %v", p.GridTHW, p.NumTokens, p.PatchDim, err)
	}
	// A decompression bomb is a too_large row; garbage is an error (a
	// tokenize row once routed).
	_, err = v.Tokenize(context.Background(), imageFixture(t, "bomb_100000x100000.png"))
	if re, ok := err.(*RowError); !ok || re.Kind != KindTooLarge {
		t.Errorf("bomb: %v, want a too_large RowError", err)
	}
	if _, err := v.Tokenize(context.Background(), []byte("\x89PNG\r\n\x1a\nnot really")); err == nil {
		t.Error("corrupt PNG accepted")
	}
}

// imgRow is a row read back with the image columns.
type imgRow struct {
	outRow
	patches       []uint8
	values        []float32
	patchesNull   bool
	grid          [3]int32
	gridNull      bool
	patchEntryLen int
}

// readImageRows reads every part file of dir, with the image columns.
func readImageRows(t *testing.T, dir string) ([]imgRow, *arrow.Schema) {
	t.Helper()
	var rows []imgRow
	schema := readPartBatches(t, dir, func(schema *arrow.Schema, rec arrow.RecordBatch) {
		base := decodeBatch(rec)
		pl := rec.Column(schema.FieldIndices("patches")[0]).(*array.List)
		gl := rec.Column(schema.FieldIndices("grid_thw")[0]).(*array.FixedSizeList)
		fsl := pl.ListValues().(*array.FixedSizeList)
		for k := range base {
			r := imgRow{outRow: base[k], patchEntryLen: int(fsl.DataType().(*arrow.FixedSizeListType).Len())}
			if pl.IsNull(k) {
				r.patchesNull = true
			} else {
				s, e := pl.ValueOffsets(k)
				d := int64(r.patchEntryLen)
				switch vals := fsl.ListValues().(type) {
				case *array.Uint8:
					r.patches = append([]uint8{}, vals.Uint8Values()[s*d:e*d]...)
				case *array.Float32:
					r.values = append([]float32{}, vals.Float32Values()[s*d:e*d]...)
				}
			}
			if gl.IsNull(k) {
				r.gridNull = true
			} else {
				r.grid = gridAt(gl, k)
			}
			rows = append(rows, r)
		}
	})
	return rows, schema
}

// TestImageColumnsReadBack writes text, images and bad images and reads the
// columns back: types, metadata, values, nulls on error rows.
func TestImageColumnsReadBack(t *testing.T) {
	ttok, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	files := map[string]string{
		"a.png":    string(imageFixture(t, "synth_70x70.png")),
		"b.jpg":    string(imageFixture(t, "synth_edges_420.jpg")),
		"bomb.png": string(imageFixture(t, "bomb_100000x100000.png")),
		"bad.png":  "\x89PNG\r\n\x1a\n" + strings.Repeat("x", 100),
		"c.txt":    "hello world",
	}
	writeTree(t, src, files)
	for _, dtype := range []string{"uint8", "float32"} {
		tok, img := newImageTok(t, image.Config{Preset: "qwen2-vl", PatchDType: dtype})
		out := t.TempDir()
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		sum, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Allocator: mem,
			Modalities: []Modality{img, NewText(ttok)}})
		if err != nil {
			t.Fatal(err)
		}
		mem.AssertSize(t, 0)
		if sum.Rows != 5 || sum.Errors.ByKind["too_large"].Count != 1 || sum.Errors.ByKind["tokenize"].Count != 1 || sum.Modalities[ModImage].Segments != 4 {
			t.Fatalf("%s: summary rows %d, errors %v, modalities %v", dtype, sum.Rows, sum.Errors.ByKind, sum.Modalities)
		}
		rows, schema := readImageRows(t, out)
		elem := map[string]arrow.DataType{"uint8": arrow.PrimitiveTypes.Uint8, "float32": arrow.PrimitiveTypes.Float32}[dtype]
		wantTypes := map[string]arrow.DataType{
			"patches":  arrow.ListOf(arrow.FixedSizeListOf(1176, elem)),
			"grid_thw": arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Int32),
		}
		if schema.NumFields() != len(baseColumns)+2 || schema.Field(len(baseColumns)).Name != "patches" || schema.Field(len(baseColumns)+1).Name != "grid_thw" {
			t.Fatalf("schema %v: want the base columns, then patches and grid_thw", schema)
		}
		for name, typ := range wantTypes {
			if f, _ := schema.FieldsByName(name); len(f) != 1 || !arrow.TypeEqual(f[0].Type, typ) || !f[0].Nullable {
				t.Errorf("%s: column %s is %v, want nullable %v", dtype, name, f, typ)
			}
		}
		hf, _ := schema.Metadata().GetValue("huggingface")
		wantHF := fmt.Sprintf(`"patches":{"feature":{"feature":{"dtype":"%s","_type":"Value"},"length":1176,"_type":"Sequence"},"_type":"Sequence"},"grid_thw":{"feature":{"dtype":"int32","_type":"Value"},"length":3,"_type":"Sequence"}}}}`, dtype)
		if !strings.HasSuffix(hf, wantHF) {
			t.Errorf("huggingface metadata %s, want it to end with %s", hf, wantHF)
		}
		tf, _ := schema.Metadata().GetValue("tokenfab")
		var meta struct {
			Tokenizers map[string]map[string]any `json:"tokenizers"`
		}
		if err := json.Unmarshal([]byte(tf), &meta); err != nil {
			t.Fatal(err)
		}
		im := meta.Tokenizers["image"]
		if im["patch_dim"] != 1176.0 || im["patch_dtype"] != dtype || im["preset"] != "qwen2-vl" || im["merge_size"] != 2.0 ||
			fmt.Sprint(im["image_std"]) != "[0.26862954 0.26130258 0.27577711]" || im["num_tokens"] != "patches / merge_size^2 (LLM tokens)" {
			t.Errorf("tokenfab image metadata %v", im)
		}
		byID := map[string]imgRow{}
		for _, r := range rows {
			byID[r.ID] = r
		}
		for _, name := range []string{"a.png", "b.jpg"} {
			r := byID[name]
			tk, err := tok.Tokenize(context.Background(), []byte(files[name]))
			if err != nil {
				t.Fatal(err)
			}
			if r.Error != "" || r.Modality != ModImage || r.grid != tk.GridTHW || r.gridNull || int(r.NumTokens) != tk.NumTokens || !r.IDsNull || r.patchesNull {
				t.Fatalf("%s %s: row %+v, want grid %v, %d tokens", dtype, name, r.outRow, tk.GridTHW, tk.NumTokens)
			}
			if dtype == "uint8" && !bytes.Equal(r.patches, tk.Patches) {
				t.Errorf("%s: patches read back differ from the image package's", name)
			}
			if dtype == "float32" && fmt.Sprint(r.values) != fmt.Sprint(tok.PatchValues(tk)) {
				t.Errorf("%s: float32 patches read back differ from PatchValues", name)
			}
		}
		for name, kind := range map[string]string{"bomb.png": "too_large: ", "bad.png": "tokenize: "} {
			r := byID[name]
			if !strings.HasPrefix(r.Error, kind) || !r.patchesNull || !r.gridNull || r.HasTokens || r.Modality != ModImage {
				t.Errorf("%s: %+v, want a %s row with null patches and grid", name, r, kind)
			}
		}
		if c := byID["c.txt"]; c.Error != "" || fmt.Sprint(c.IDs) != "[15339 1917]" || !c.patchesNull || !c.gridNull {
			t.Errorf("c.txt: %+v, want ids [15339 1917] (tiktoken cl100k_base) and null image columns", c)
		}
	}
}

// TestImageDeterministicAcrossWorkers: the image fixtures (every format, a
// bomb) plus the sample, with small batches and files, give byte-identical
// files with 1 and 2 workers.
func TestImageDeterministicAcrossWorkers(t *testing.T) {
	ttok, err := text.New(text.Config{Encoding: "o200k_base"})
	if err != nil {
		t.Fatal(err)
	}
	_, img := newImageTok(t, image.Config{Preset: "qwen2-vl"})
	inputs := []string{filepath.Join(testenv.Root(), "fixtures", "image"), filepath.Join(testenv.Root(), "fixtures", "sample")}
	var ref map[string][]byte
	for _, workers := range []int{1, 2} {
		out := t.TempDir()
		sum, err := Run(context.Background(), Options{Inputs: inputs, OutputDir: out, Workers: workers,
			Modalities: []Modality{NewText(ttok), img}, BatchBytes: 256 << 10, MaxFileBytes: 2 << 20})
		if err != nil {
			t.Fatal(err)
		}
		files := readOutputs(t, out, sum.Files)
		if ref == nil {
			ref = files
			im := sum.Modalities[ModImage]
			if len(files) < 2 || im == nil || im.Segments < 40 || im.Errors != 1 || sum.Errors.ByKind["too_large"].Count != 1 {
				t.Fatalf("%d files, image stats %+v, errors %v: want several files, ≥ 40 images, the bomb as the one too_large", len(files), im, sum.Errors.ByKind)
			}
			continue
		}
		sameAsRef(t, workers, ref, files)
	}
}

// TestImageRowsFlushByPatchBytes: a ViT row is 196×768 patch bytes (plus
// the builder's validity bits, 1/8 more), so a 400 KiB batch target holds
// two of them.
func TestImageRowsFlushByPatchBytes(t *testing.T) {
	_, img := newImageTok(t, image.Config{})
	lay := newLayout(map[string]Modality{ModImage: img})
	p, err := img.Tokenize(context.Background(), imageFixture(t, "synth_70x70.png"))
	if err != nil {
		t.Fatal(err)
	}
	r := row{id: "x", modality: ModImage, p: p}
	if n := lay.rowBytes(&r); n < 196*768*9/8 || n > 196*768*9/8+1024 {
		t.Fatalf("row estimate %d bytes for %d patch bytes", n, 196*768)
	}
	src := t.TempDir()
	files := map[string]string{}
	for i := range 5 {
		files[fmt.Sprintf("%d.png", i)] = string(imageFixture(t, "synth_70x70.png"))
	}
	writeTree(t, src, files)
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Modalities: []Modality{img}, BatchBytes: 400 << 10}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(batchSizes(t, filepath.Join(out, "part-00000.arrow"))); got != "[2 2 1]" {
		t.Errorf("batch sizes %s, want [2 2 1]", got)
	}
}

// TestManifestImageField: a manifest line with text and an image path gives
// two rows with one id; paths resolve inside the manifest's directory only.
func TestManifestImageField(t *testing.T) {
	ttok, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		t.Fatal(err)
	}
	tok, img := newImageTok(t, image.Config{})
	png := imageFixture(t, "synth_70x70.png")
	want, err := tok.Tokenize(context.Background(), png)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	lines := []string{
		`{"id":"both","text":"hello world","image":"img/a.png"}`,
		`{"id":"img-only","text":null,"image":"img/a.png"}`,
		`{"id":"up","text":"x","image":"../secret.png"}`,
		`{"id":"abs","image":"/etc/hostname"}`,
		`{"id":"link","image":"link.png"}`,
		`{"id":"missing","image":"img/nope.png"}`,
		`{"id":"num","image":5}`,
		`{"id":"none"}`,
		`{"id":"inner-link","image":"ok.png"}`,
	}
	writeTree(t, src, map[string]string{"m/pairs.jsonl": strings.Join(lines, "\n") + "\n", "m/img/a.png": string(png), "secret.png": string(png)})
	if err := os.Symlink("../secret.png", filepath.Join(src, "m", "link.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("img/a.png", filepath.Join(src, "m", "ok.png")); err != nil {
		t.Fatal(err)
	}
	type exp struct{ id, field, mod, err string }
	wantRows := []exp{
		{"both", "text", ModText, ""}, {"both", "image", ModImage, ""},
		{"img-only", "image", ModImage, ""},
		{"up", "text", ModText, ""}, {"up", "image", ModImage, "outside_root: "},
		{"abs", "image", ModImage, "outside_root: "},
		{"link", "image", ModImage, "outside_root: "},
		{"missing", "image", ModImage, "read_error: "},
		{"num", "image", ModImage, "field_type: "},
		{"none", "text", ModText, "missing_field: "},
		{"inner-link", "image", ModImage, ""},
	}
	// The manifest found in a walked directory, and named on the command
	// line (its directory becomes the root either way).
	for _, input := range []string{filepath.Join(src, "m"), filepath.Join(src, "m", "pairs.jsonl")} {
		out := t.TempDir()
		sum, err := Run(context.Background(), Options{Inputs: []string{input}, OutputDir: out, ImageField: "image",
			Modalities: []Modality{NewText(ttok), img}})
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := readImageRows(t, out)
		var manifestRows []imgRow
		for _, r := range rows {
			if strings.Contains(r.Source, "pairs.jsonl:") {
				manifestRows = append(manifestRows, r)
			}
		}
		if len(manifestRows) != len(wantRows) || sum.Records < int64(len(lines)) {
			t.Fatalf("%s: %d manifest rows, want %d", input, len(manifestRows), len(wantRows))
		}
		seg := map[string]int32{}
		for i, w := range wantRows {
			r := manifestRows[i]
			if r.ID != w.id || r.Field != w.field || r.Modality != w.mod || !strings.HasPrefix(r.Error, w.err) || (w.err == "") != (r.Error == "") {
				t.Errorf("%s row %d = %s/%s/%s %q, want %+v", input, i, r.ID, r.Field, r.Modality, r.Error, w)
			}
			if r.Segment != seg[w.id] {
				t.Errorf("%s row %d: segment %d, want %d", input, i, r.Segment, seg[w.id])
			}
			seg[w.id]++
			if w.err == "" && w.mod == ModImage && (!bytes.Equal(r.patches, want.Patches) || r.grid != want.GridTHW) {
				t.Errorf("%s row %d: image patches differ from tokenizing the file directly", input, i)
			}
			if w.err == "" && w.mod == ModText && (r.IDsNull || !r.patchesNull) {
				t.Errorf("%s row %d: text row %+v", input, i, r)
			}
		}
		if s := manifestRows[2].Source; !strings.HasSuffix(s, "pairs.jsonl:2") {
			t.Errorf("source %q, want …pairs.jsonl:2", s)
		}
	}
	// No image field configured: the same line is text only, the old way.
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{Inputs: []string{filepath.Join(src, "m", "pairs.jsonl")}, OutputDir: out,
		Modalities: []Modality{NewText(ttok), img}}); err != nil {
		t.Fatal(err)
	}
	rows, _ := readParts(t, out)
	if len(rows) != len(lines) || rows[0].Field != "text" || rows[1].Error != `missing_field: field "text" is null` {
		t.Errorf("without --image-field: %d rows, first %+v, second %+v", len(rows), rows[0], rows[1])
	}
	// The image field may not double as the text or id field.
	_, err = Run(context.Background(), Options{Inputs: []string{src}, OutputDir: t.TempDir(), ImageField: "text", Modalities: []Modality{img}})
	if _, ok := err.(*ConfigError); !ok {
		t.Errorf("image field = text field: %v, want a ConfigError", err)
	}
}

// TestBudgetAdmit: once tokenized rows overdraw the budget, workers wait,
// except for the record the writer needs next.
func TestBudgetAdmit(t *testing.T) {
	b := newBudget(10)
	ctx := context.Background()
	b.setHead(0)
	b.charge(15) // free = -5
	got := make(chan error, 1)
	go func() { got <- b.admit(ctx, 3) }()
	select {
	case <-got:
		t.Fatal("a non-head worker started with the budget overdrawn")
	case <-time.After(20 * time.Millisecond):
	}
	if err := b.admit(ctx, 0); err != nil { // the head never waits
		t.Fatal(err)
	}
	b.refund(15)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	b.charge(20)
	go func() { got <- b.admit(ctx, 1) }()
	b.setHead(1) // the writer moved on to record 1: it may start
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
