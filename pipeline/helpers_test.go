package pipeline

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// byteModality is a fake text tokenizer: one token per input byte (the
// byte's value), with random delays so workers finish out of order. Input
// containing "FAIL" is rejected; "PANIC" panics.
type byteModality struct{ jitter bool }

func (byteModality) Name() string { return ModText }

func (m byteModality) Tokenize(ctx context.Context, data []byte) (Payload, error) {
	if m.jitter {
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
	}
	if bytes.Contains(data, []byte("PANIC")) {
		panic("boom")
	}
	if bytes.Contains(data, []byte("FAIL")) {
		return Payload{}, errors.New("input says FAIL")
	}
	ids := make([]int32, len(data))
	for i, b := range data {
		ids[i] = int32(b)
	}
	return Payload{NumTokens: len(ids), InputIDs: ids}, nil
}

func (byteModality) Describe() map[string]any {
	return map[string]any{"name": "bytes", "sha256": "0", "options": map[string]any{}}
}

// outRow is a row read back from an output file.
type outRow struct {
	ID, Field, Modality, Source, Error string
	Warning                            string
	Segment                            int32
	NumTokens                          int32
	HasTokens                          bool // num_tokens not null
	IDs                                []int32
	IDsNull                            bool
}

// readParts reads every row of the part files in dir, in order, with a
// checked allocator, and fails on a leak.
func readParts(t *testing.T, dir string) (rows []outRow, schema *arrow.Schema) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "part-*"))
	if len(files) == 0 {
		t.Fatalf("no part files in %s", dir)
	}
	for _, f := range files {
		r, s := readFile(t, f)
		rows = append(rows, r...)
		schema = s
	}
	return rows, schema
}

func readFile(t *testing.T, path string) ([]outRow, *arrow.Schema) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []arrow.RecordBatch
	var schema *arrow.Schema
	if filepath.Ext(path) == ".arrow" {
		fr, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer fr.Close()
		schema = fr.Schema()
		for i := 0; i < fr.NumRecords(); i++ {
			rec, err := fr.RecordBatch(i)
			if err != nil {
				t.Fatal(err)
			}
			rec.Retain()
			recs = append(recs, rec)
		}
	} else {
		sr, err := ipc.NewReader(f, ipc.WithAllocator(mem))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer sr.Release()
		schema = sr.Schema()
		for sr.Next() {
			rec := sr.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
		if err := sr.Err(); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	var rows []outRow
	for _, rec := range recs {
		rows = append(rows, decodeBatch(rec)...)
		rec.Release()
	}
	return rows, schema
}

func decodeBatch(rec arrow.RecordBatch) []outRow {
	col := func(name string) arrow.Array {
		idx := rec.Schema().FieldIndices(name)
		return rec.Column(idx[0])
	}
	str := func(name string, i int) string {
		a := col(name).(*array.String)
		if a.IsNull(i) {
			return ""
		}
		return a.Value(i)
	}
	var out []outRow
	for i := 0; i < int(rec.NumRows()); i++ {
		r := outRow{ID: str("id", i), Field: str("field", i), Modality: str("modality", i),
			Source: str("source", i), Error: str("error", i), Warning: str("warning", i)}
		r.Segment = col("segment").(*array.Int32).Value(i)
		nt := col("num_tokens").(*array.Int32)
		if nt.IsValid(i) {
			r.HasTokens, r.NumTokens = true, nt.Value(i)
		}
		l := col("input_ids").(*array.List)
		if l.IsNull(i) {
			r.IDsNull = true
		} else {
			s, e := l.ValueOffsets(i)
			vals := l.ListValues().(*array.Int32).Int32Values()
			r.IDs = append([]int32{}, vals[s:e]...)
		}
		out = append(out, r)
	}
	return out
}

// writeTree creates files under dir from a name → content map.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readPartBatches calls fn on every record batch of the part-*.arrow files
// in dir, in order, reading each file with a checked allocator that must be
// empty once the file is closed. It returns the last file's schema.
func readPartBatches(t *testing.T, dir string, fn func(schema *arrow.Schema, rec arrow.RecordBatch)) *arrow.Schema {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "part-*.arrow"))
	if len(files) == 0 {
		t.Fatalf("no part files in %s", dir)
	}
	var schema *arrow.Schema
	for _, path := range files {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		fr, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		schema = fr.Schema()
		for i := 0; i < fr.NumRecords(); i++ {
			rec, err := fr.RecordBatch(i)
			if err != nil {
				t.Fatal(err)
			}
			fn(schema, rec)
		}
		fr.Close()
		f.Close()
		mem.AssertSize(t, 0)
	}
	return schema
}

// gridAt is row k of a grid_thw column (3 int32s per row).
func gridAt(gl *array.FixedSizeList, k int) [3]int32 {
	g := gl.ListValues().(*array.Int32).Int32Values()[3*k : 3*k+3]
	return [3]int32{g[0], g[1], g[2]}
}

// readOutputs reads the files a run wrote to out, by name.
func readOutputs(t *testing.T, out string, files []FileInfo) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(out, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		m[f.Name] = b
	}
	return m
}

// sameAsRef fails unless a run with workers wrote the same files, byte for
// byte, as the workers=1 run (ref).
func sameAsRef(t *testing.T, workers int, ref, got map[string][]byte) {
	t.Helper()
	if len(got) != len(ref) {
		t.Fatalf("workers=%d: %d files, workers=1: %d", workers, len(got), len(ref))
	}
	for name, b := range ref {
		if !bytes.Equal(b, got[name]) {
			t.Errorf("workers=%d: %s differs from the workers=1 run", workers, name)
		}
	}
}

// readFixture reads fixtures/KIND/NAME of the repository.
func readFixture(t testing.TB, kind, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", kind, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
