package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func testSchema(t *testing.T) writerConfig {
	t.Helper()
	lay := newLayout(map[string]Modality{ModText: byteModality{}})
	s, err := lay.schema(map[string]any{"text": byteModality{}.Describe()}, map[string]any{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	return writerConfig{dir: t.TempDir(), format: FormatArrow, compression: CompressNone, schema: s, lay: lay,
		batchBytes: DefaultBatchBytes, batchRows: DefaultBatchRows, maxFileBytes: DefaultMaxFileBytes}
}

func mkRow(i, n int) row {
	ids := make([]int32, n)
	for k := range ids {
		ids[k] = int32(i*1000 + k)
	}
	return row{id: fmt.Sprintf("r%04d", i), source: "src", modality: ModText, p: Payload{NumTokens: n, InputIDs: ids}}
}

// batchSizes reads the row count of every batch of an Arrow file.
func batchSizes(t *testing.T, path string) []int64 {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fr, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	var out []int64
	for i := 0; i < fr.NumRecords(); i++ {
		rec, err := fr.RecordBatch(i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.NumRows())
	}
	return out
}

func TestWriterBatchingAndRollover(t *testing.T) {
	c := testSchema(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	c.mem, c.batchBytes, c.maxFileBytes = mem, 2000, 30000
	w, err := newPartWriter(c)
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	var sizes []int64 // expected batch sizes, from the same rule
	var cur, curBytes int64
	for i := 0; i < n; i++ {
		r := mkRow(i, i%37)
		b := c.lay.rowBytes(&r)
		if cur > 0 && curBytes+b > c.batchBytes {
			sizes = append(sizes, cur)
			cur, curBytes = 0, 0
		}
		cur++
		curBytes += b
		if err := w.append(&r); err != nil {
			t.Fatal(err)
		}
	}
	sizes = append(sizes, cur)
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	mem.AssertSize(t, 0)

	if len(w.files) < 3 {
		t.Fatalf("%d files, want a roll-over into several", len(w.files))
	}
	var got []int64
	var rows []outRow
	for i, fi := range w.files {
		if fi.Name != partName(i, ".arrow") {
			t.Errorf("file %d is %s", i, fi.Name)
		}
		p := filepath.Join(c.dir, fi.Name)
		st, err := os.Stat(p)
		if err != nil || st.Size() != fi.Bytes {
			t.Errorf("%s: stat %v, size %d vs summary %d", fi.Name, err, st.Size(), fi.Bytes)
		}
		if fi.Bytes > c.maxFileBytes && fi.Batches > 1 {
			t.Errorf("%s: %d bytes in %d batches, over the %d limit", fi.Name, fi.Bytes, fi.Batches, c.maxFileBytes)
		}
		bs := batchSizes(t, p)
		if len(bs) != fi.Batches {
			t.Errorf("%s: %d batches, summary says %d", fi.Name, len(bs), fi.Batches)
		}
		got = append(got, bs...)
		r, _ := readFile(t, p)
		rows = append(rows, r...)
	}
	if fmt.Sprint(got) != fmt.Sprint(sizes) {
		t.Errorf("batch sizes %v, want %v", got, sizes)
	}
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		want := mkRow(i, i%37)
		if r.ID != want.id || int(r.NumTokens) != i%37 || fmt.Sprint(r.IDs) != fmt.Sprint(want.p.InputIDs) || r.IDsNull {
			t.Fatalf("row %d = %+v", i, r)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(c.dir, ".*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestWriterRowCapAndStreamFormat(t *testing.T) {
	c := testSchema(t)
	c.batchRows, c.format = 7, FormatArrowStream
	w, err := newPartWriter(c)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		r := mkRow(i, 3)
		if err := w.append(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	if len(w.files) != 1 || w.files[0].Name != "part-00000.arrows" || w.files[0].Batches != 3 || w.files[0].Rows != 20 {
		t.Fatalf("files = %+v, want one .arrows file with 3 batches (7+7+6) and 20 rows", w.files)
	}
	rows, _ := readFile(t, filepath.Join(c.dir, "part-00000.arrows"))
	if len(rows) != 20 || rows[19].ID != "r0019" {
		t.Fatalf("read %d rows", len(rows))
	}
}

func TestWriterAtomicRenameAndAbort(t *testing.T) {
	c := testSchema(t)
	c.batchRows = 1
	w, err := newPartWriter(c)
	if err != nil {
		t.Fatal(err)
	}
	r := mkRow(1, 5)
	if err := w.append(&r); err != nil { // row cap 1: a batch is written now
		t.Fatal(err)
	}
	final := filepath.Join(c.dir, "part-00000.arrow")
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatalf("final name exists before close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.dir, ".part-00000.arrow.tmp")); err != nil {
		t.Fatalf("temp file missing while writing: %v", err)
	}
	w.abort()
	ents, _ := os.ReadDir(c.dir)
	if len(ents) != 0 {
		t.Fatalf("abort left %v", ents)
	}
}

func TestWriterEmptyJobWritesSchema(t *testing.T) {
	for _, f := range []Format{FormatArrow, FormatArrowStream} {
		c := testSchema(t)
		c.format = f
		w, err := newPartWriter(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.close(); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(c.dir, partName(0, formats[f]))
		rows, schema := readFile(t, p)
		if len(rows) != 0 || schema.NumFields() != len(baseColumns) || !schema.HasMetadata() {
			t.Fatalf("%s: %d rows, schema %v", f, len(rows), schema)
		}
	}
}

func TestWriterCompression(t *testing.T) {
	for _, comp := range []Compression{CompressZstd, CompressLZ4} {
		c := testSchema(t)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		c.compression, c.mem = comp, mem
		w, err := newPartWriter(c)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			r := mkRow(i, 100)
			for k := range r.p.InputIDs[:90] {
				r.p.InputIDs[k] = 7 // compressible
			}
			if err := w.append(&r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.close(); err != nil {
			t.Fatal(err)
		}
		mem.AssertSize(t, 0)
		rows, _ := readFile(t, filepath.Join(c.dir, "part-00000.arrow"))
		if len(rows) != 50 || rows[49].IDs[99] != 49*1000+99 || rows[49].IDs[0] != 7 {
			t.Fatalf("%s: bad read back", comp)
		}
		if w.files[0].Bytes > 50*100*4/2 {
			t.Errorf("%s: %d bytes, not compressed", comp, w.files[0].Bytes)
		}
	}
}

func TestWriterRejectsBadConfig(t *testing.T) {
	for _, mod := range []func(*writerConfig){
		func(c *writerConfig) { c.format = "parquet" },
		func(c *writerConfig) { c.compression = "gzip" },
		func(c *writerConfig) { c.batchBytes = MaxBatchBytes + 1 },
	} {
		c := testSchema(t)
		mod(&c)
		if _, err := newPartWriter(c); err == nil {
			t.Errorf("config %+v accepted", c)
		} else if _, ok := err.(*ConfigError); !ok {
			t.Errorf("error %v is not a ConfigError", err)
		}
	}
}

// TestWriterPublishErrorSurfaces: files are fsynced and renamed in the
// background, so a failed rename must still fail the job (at the next
// roll-over or at close), leave no temp file, and keep earlier files.
func TestWriterPublishErrorSurfaces(t *testing.T) {
	c := testSchema(t)
	c.batchBytes, c.maxFileBytes = 2000, 6000
	// part-00001.arrow is a non-empty directory: renaming a file onto it fails.
	blocked := filepath.Join(c.dir, "part-00001.arrow")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := newPartWriter(c)
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 300 && werr == nil; i++ {
		r := mkRow(i, 30)
		werr = w.append(&r)
	}
	if werr == nil {
		werr = w.close()
	} else {
		w.abort()
	}
	if werr == nil || !strings.Contains(werr.Error(), "part-00001.arrow") {
		t.Fatalf("error = %v, want the failed publish of part-00001.arrow", werr)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "part-00000.arrow")); err != nil {
		t.Errorf("part-00000.arrow, published before the failure, is gone: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(c.dir, ".*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}
