package parquetout_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/pipeline"
	"github.com/tokenfab/tokenfab/pipeline/parquetout"
	"github.com/tokenfab/tokenfab/text"
)

// run tokenizes the sample (images, manifest, text, a copy of the images
// (again): a null grid_thw between valid ones) into dir in format f, with
// 4-row batches and 48 KiB files so that files roll over.
func run(t *testing.T, f pipeline.Format, dir, again string) *pipeline.Summary {
	t.Helper()
	ttok, err := text.New(text.Config{Encoding: "o200k_base"})
	if err != nil {
		t.Fatal(err)
	}
	itok, err := image.New(image.Config{Preset: "vit-base-patch16-224"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := pipeline.NewImage(itok)
	if err != nil {
		t.Fatal(err)
	}
	sample := filepath.Join(testenv.Root(), "fixtures", "sample")
	sum, err := pipeline.Run(context.Background(), pipeline.Options{
		Inputs: []string{filepath.Join(sample, "images"), filepath.Join(sample, "records.jsonl"), filepath.Join(sample, "devils_dictionary_a.txt"),
			again},
		OutputDir: dir, Format: f, Modalities: []pipeline.Modality{pipeline.NewText(ttok), img},
		BatchRows: 4, MaxFileBytes: 48 << 10, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestParquetEqualsArrow: the Parquet files hold the same rows, Arrow
// types and schema metadata as the Arrow files of the same job; every file
// is ZSTD with plain-encoded (not dictionary) token columns.
func TestParquetEqualsArrow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	adir, pdir := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "p")
	// The same directory twice would be read once: the second is a copy.
	again := filepath.Join(t.TempDir(), "images_again")
	if err := os.CopyFS(again, os.DirFS(filepath.Join(testenv.Root(), "fixtures", "sample", "images"))); err != nil {
		t.Fatal(err)
	}
	asum, psum := run(t, pipeline.FormatArrow, adir, again), run(t, parquetout.Format, pdir, again)
	if asum.Rows != psum.Rows || asum.Tokens != psum.Tokens || asum.Rows < 30 || psum.Tokens < 1000 {
		t.Fatalf("arrow %d rows %d tokens, parquet %d rows %d tokens", asum.Rows, asum.Tokens, psum.Rows, psum.Tokens)
	}
	if len(psum.Files) < 2 {
		t.Fatalf("%d parquet files; want a roll-over", len(psum.Files))
	}

	var want []arrow.RecordBatch
	var schema *arrow.Schema
	for _, fi := range asum.Files {
		f, err := os.Open(filepath.Join(adir, fi.Name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		schema = parquetout.FileSchema(r.Schema())
		for i := 0; i < r.NumRecords(); i++ {
			rec, err := r.RecordBatch(i)
			if err != nil {
				t.Fatal(err)
			}
			conv, err := parquetout.FileRecord(rec, schema, mem)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, conv)
		}
		r.Close()
		f.Close()
	}
	wantTab := array.NewTableFromRecords(schema, want)
	defer wantTab.Release()
	for _, r := range want {
		r.Release()
	}

	var got []arrow.Table
	var gs *arrow.Schema // the schema pqarrow restores (with the file's metadata)
	for i, fi := range psum.Files {
		if !strings.HasSuffix(fi.Name, ".parquet") || fi.Name != "part-0000"+string(rune('0'+i))+".parquet" {
			t.Fatalf("file %d is %s", i, fi.Name)
		}
		path := filepath.Join(pdir, fi.Name)
		st, err := os.Stat(path)
		if err != nil || st.Size() != fi.Bytes || (st.Size() > 48<<10 && fi.Batches > 1) { // one batch may exceed it
			t.Fatalf("%s: %v, %d bytes (summary %d, limit %d)", fi.Name, err, st.Size(), fi.Bytes, 48<<10)
		}
		pf, err := file.OpenParquetFile(path, false, file.WithReadProps(parquet.NewReaderProperties(mem)))
		if err != nil {
			t.Fatal(err)
		}
		if pf.NumRowGroups() != fi.Batches || pf.NumRows() != fi.Rows {
			t.Errorf("%s: %d row groups %d rows, summary %d batches %d rows", fi.Name, pf.NumRowGroups(), pf.NumRows(), fi.Batches, fi.Rows)
		}
		rg := pf.MetaData().RowGroup(0)
		for c := 0; c < rg.NumColumns(); c++ {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			if cc.Compression().String() != "ZSTD" || cc.HasDictionaryPage() {
				t.Errorf("%s column %s: %s, dictionary %v", fi.Name, cc.PathInSchema(), cc.Compression(), cc.HasDictionaryPage())
			}
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
		if err != nil {
			t.Fatal(err)
		}
		if gs, err = fr.Schema(); err != nil {
			t.Fatal(err)
		}
		tab, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pf.Close()
		got = append(got, tab)
	}
	defer func() {
		for _, tab := range got {
			tab.Release()
		}
	}()
	// Same fields and types (pqarrow adds PARQUET:field_id to each field's
	// metadata) and the same schema metadata (the job's description).
	ws := wantTab.Schema()
	if gs.NumFields() != ws.NumFields() || ws.Metadata().Len() < 2 {
		t.Fatalf("schema:\n%v\nwant\n%v", gs, ws)
	}
	for i, k := range ws.Metadata().Keys() {
		v, _ := gs.Metadata().GetValue(k)
		want := ws.Metadata().Values()[i]
		if k == "tokenfab" { // the job's options differ in their format only
			want = strings.Replace(want, `"format":"arrow"`, `"format":"parquet"`, 1)
		}
		if v != want || v == "" {
			t.Errorf("schema metadata %s:\n%s\nwant\n%s", k, v, want)
		}
	}
	for i, f := range ws.Fields() {
		g := gs.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) || g.Nullable != f.Nullable {
			t.Errorf("field %d: %v, want %v", i, g, f)
		}
	}
	// Concatenate the parquet tables' chunks and compare column by column.
	var recs []arrow.RecordBatch
	for _, tab := range got {
		tr := array.NewTableReader(tab, -1)
		for tr.Next() {
			rec := tr.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
		tr.Release()
	}
	gotTab := array.NewTableFromRecords(ws, recs)
	defer gotTab.Release()
	for _, r := range recs {
		r.Release()
	}
	if gotTab.NumRows() != wantTab.NumRows() || !array.TableEqual(gotTab, wantTab) {
		t.Fatalf("parquet rows (%d) differ from arrow rows (%d)", gotTab.NumRows(), wantTab.NumRows())
	}
	// grid_thw, a fixed_size_list in Arrow, is a list in Parquet: [1 14 14]
	// for images, null for text, in row order.
	gi := ws.FieldIndices("grid_thw")[0]
	if ws.Field(gi).Type.ID() != arrow.LIST {
		t.Fatalf("grid_thw is %v in parquet", ws.Field(gi).Type)
	}
	var grid []string
	for _, c := range gotTab.Column(gi).Data().Chunks() {
		l := c.(*array.List)
		for i := 0; i < l.Len(); i++ {
			if l.IsNull(i) {
				grid = append(grid, "null")
			} else {
				b, e := l.ValueOffsets(i)
				grid = append(grid, fmt.Sprint(l.ListValues().(*array.Int32).Int32Values()[b:e]))
			}
		}
	}
	g := strings.Join(grid, " ")
	if !strings.HasPrefix(g, "[1 14 14] [1 14 14] null null") || !strings.HasSuffix(g, "null [1 14 14] [1 14 14]") || int64(len(grid)) != psum.Rows {
		t.Errorf("grid_thw: %s", g)
	}
}

// TestParquetRefusesLZ4: --compression lz4 is a configuration error.
func TestParquetRefusesLZ4(t *testing.T) {
	ttok, _ := text.New(text.Config{Encoding: "o200k_base"})
	_, err := pipeline.Run(context.Background(), pipeline.Options{Inputs: []string{filepath.Join(testenv.Root(), "fixtures", "sample", "records.jsonl")},
		OutputDir: t.TempDir(), Format: parquetout.Format, Compression: pipeline.CompressLZ4, Modalities: []pipeline.Modality{pipeline.NewText(ttok)}})
	var ce *pipeline.ConfigError
	if err == nil || !strings.Contains(err.Error(), "--format parquet does not take --compression lz4") || !errorsAs(err, &ce) {
		t.Fatalf("err = %v", err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
