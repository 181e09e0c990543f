package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// imageRows reads part-00000.arrow of out: the patches column type, and
// for each image row the number of input_ids (-1: null).
func imageRows(t *testing.T, out string) (arrow.DataType, []int) {
	t.Helper()
	r := openArrow(t, filepath.Join(out, "part-00000.arrow"))
	sc := r.Schema()
	pi := sc.FieldIndices("patches")
	mi, ii := sc.FieldIndices("modality")[0], sc.FieldIndices("input_ids")[0]
	if len(pi) != 1 {
		t.Fatalf("no patches column: %v", sc)
	}
	var ids []int
	for b := 0; b < r.NumRecords(); b++ {
		rec, err := r.RecordBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		mod := rec.Column(mi).(*array.String)
		in := rec.Column(ii).(*array.List)
		for i := 0; i < int(rec.NumRows()); i++ {
			if mod.IsNull(i) || mod.Value(i) != "image" {
				continue
			}
			if in.IsNull(i) {
				ids = append(ids, -1)
				continue
			}
			s, e := in.ValueOffsets(i)
			ids = append(ids, int(e-s))
		}
	}
	return sc.Field(pi[0]).Type, ids
}

// TestRunImageIDsAndHalfDTypes: --codebook and --palette give image rows input_ids,
// and --patch-dtype float16/bfloat16 are accepted for images.
func TestRunImageIDsAndHalfDTypes(t *testing.T) {
	images := filepath.Join(sample, "images")
	dir := t.TempDir()
	// A 2-centre codebook for the default preset's 768-sample patches.
	rows := [][]float64{make([]float64, 768), make([]float64, 768)}
	for i := range rows[1] {
		rows[1][i] = 255
	}
	cb := filepath.Join(dir, "cb.json")
	data, _ := json.Marshal(rows)
	os.WriteFile(cb, data, 0o644)

	check := func(name string, wantIDs int, wantType string, args ...string) {
		t.Helper()
		out := filepath.Join(dir, name)
		code, _, stderr := tokenize(t, "", append([]string{"run", images, "-o", out, "-q"}, args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		typ, ids := imageRows(t, out)
		if len(ids) < 2 {
			t.Fatalf("%s: %d image rows", name, len(ids))
		}
		for i, n := range ids {
			if n != wantIDs {
				t.Errorf("%s: image row %d has %d input_ids, want %d", name, i, n, wantIDs)
			}
		}
		if !strings.Contains(typ.String(), wantType) {
			t.Errorf("%s: patches column %s, want %s", name, typ, wantType)
		}
	}
	check("plain", -1, "uint8")
	check("codebook", 196, "uint8", "--codebook", cb) // 14×14 patches, one id each
	check("palette", 32*32, "uint8", "--image-preset", "igpt", "--palette", filepath.Join(testenv.Root(), "fixtures", "image", "igpt_test_palette.npy"))
	check("f16", -1, "float16", "--patch-dtype", "float16")
	check("bf16", -1, "uint16", "--patch-dtype", "bfloat16") // bfloat16 bits

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--image-preset", "igpt"}, "--image-preset igpt needs --palette PATH"},
		{[]string{"--codebook", filepath.Join(dir, "missing.npy")}, "--codebook " + filepath.Join(dir, "missing.npy") + ": "},
		{[]string{"--codebook", cb, "--palette", cb}, "--codebook and --palette both give image input_ids; pass one"},
		{[]string{"--patch-dtype", "int8"}, "--patch-dtype int8: use uint8, float32, float16 or bfloat16"},
	} {
		code, _, stderr := tokenize(t, "", append([]string{"run", images, "-o", filepath.Join(dir, "bad")}, c.args...)...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %s; want %q", c.args, code, stderr, c.want)
		}
	}
}
