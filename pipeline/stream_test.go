package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/text"
)

// writeStream writes segs through a Writer into a .arrows file and returns
// its path and what each Write returned.
func writeStream(t *testing.T, mods []Modality, segs []Segment) (string, []error) {
	t.Helper()
	var buf bytes.Buffer
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	w, err := NewWriter(&buf, mods, WriterOptions{Allocator: mem, BatchRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, s := range segs {
		_, err := w.Write(context.Background(), s)
		errs = append(errs, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mem.AssertSize(t, 0)
	path := filepath.Join(t.TempDir(), "s.arrows")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, errs
}

// TestWriterMatchesRun: the stream has the columns and tokenizer metadata
// of a `tokenize run` file for the same modalities, and text rows hold
// text.Tokenize's ids.
func TestWriterMatchesRun(t *testing.T) {
	tt, err := text.New(text.Config{Encoding: "o200k_base"})
	if err != nil {
		t.Fatal(err)
	}
	_, im := newImageTok(t, image.Config{})
	mods := []Modality{NewText(tt), im}
	docs := []string{"hello world", "", "Ünïcødé 🙂 text"}
	var segs []Segment
	for i, d := range docs {
		segs = append(segs, Segment{ID: string(rune('a' + i)), Source: "mem", Modality: ModText, Data: []byte(d)})
	}
	path, errs := writeStream(t, mods, segs)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	rows, schema := readFile(t, path)
	if len(rows) != len(docs) {
		t.Fatalf("%d rows, want %d", len(rows), len(docs))
	}
	for i, d := range docs {
		want, _ := tt.Tokenize(context.Background(), []byte(d))
		if want == nil {
			want = []int32{}
		}
		if r := rows[i]; r.ID != segs[i].ID || r.Modality != ModText || r.Error != "" || int(r.NumTokens) != len(want) || !reflect.DeepEqual(r.IDs, want) {
			t.Errorf("row %d = %+v, want ids %v", i, r, want)
		}
	}

	// The same modalities through Run.
	in, out := t.TempDir(), t.TempDir()
	writeTree(t, in, map[string]string{"a.txt": "hello world"})
	if _, err := Run(context.Background(), Options{Inputs: []string{in}, OutputDir: out, Modalities: mods, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	_, runSchema := readParts(t, out)
	if len(runSchema.Fields()) != len(schema.Fields()) {
		t.Fatalf("stream fields %v, run fields %v", schema.Fields(), runSchema.Fields())
	}
	for i, f := range schema.Fields() {
		if g := runSchema.Field(i); f.Name != g.Name || !reflect.DeepEqual(f.Type, g.Type) || f.Nullable != g.Nullable {
			t.Errorf("field %d: stream %v, run %v", i, f, g)
		}
	}
	sm, rm := schema.Metadata().ToMap(), runSchema.Metadata().ToMap()
	if sm["huggingface"] != rm["huggingface"] {
		t.Errorf("huggingface metadata differs:\n%s\n%s", sm["huggingface"], rm["huggingface"])
	}
	var st, rt tokenfabMeta
	if err := json.Unmarshal([]byte(sm["tokenfab"]), &st); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(rm["tokenfab"]), &rt); err != nil {
		t.Fatal(err)
	}
	if st.FormatVersion != FormatVersion || !reflect.DeepEqual(st.Tokenizers, rt.Tokenizers) {
		t.Errorf("tokenfab metadata: stream %v, run %v", st, rt)
	}
	if st.Options["format"] != "arrow-stream" || st.Options["compression"] != "none" {
		t.Errorf("stream options %v", st.Options)
	}
}

// TestWriterErrorRows: a failing or panicking tokenizer and an unknown
// modality give error rows (and *RowError from Write), and the stream goes
// on.
func TestWriterErrorRows(t *testing.T) {
	segs := []Segment{
		{ID: "ok", Modality: ModText, Data: []byte("ab")},
		{ID: "fail", Modality: ModText, Data: []byte("FAIL")},
		{ID: "panic", Modality: ModText, Data: []byte("PANIC")},
		{ID: "img", Modality: ModImage, Data: []byte("x")},
		{ID: "after", Modality: ModText, Data: []byte("c")},
	}
	path, errs := writeStream(t, []Modality{byteModality{}}, segs)
	wantKinds := []ErrorKind{"", KindTokenize, KindInternal, KindNoTokenizer, ""}
	for i, k := range wantKinds {
		var re *RowError
		if k == "" {
			if errs[i] != nil {
				t.Errorf("write %s: %v", segs[i].ID, errs[i])
			}
		} else if !errors.As(errs[i], &re) || re.Kind != k {
			t.Errorf("write %s: %v, want a %s RowError", segs[i].ID, errs[i], k)
		}
	}
	rows, _ := readFile(t, path)
	if len(rows) != 5 {
		t.Fatalf("%d rows", len(rows))
	}
	if !reflect.DeepEqual(rows[0].IDs, []int32{'a', 'b'}) || !reflect.DeepEqual(rows[4].IDs, []int32{'c'}) {
		t.Errorf("good rows %+v %+v", rows[0], rows[4])
	}
	for i := 1; i <= 3; i++ {
		if rows[i].Error == "" || rows[i].HasTokens || !rows[i].IDsNull {
			t.Errorf("row %d = %+v, want an error row with null tokens", i, rows[i])
		}
	}
}

// TestWriterEmptyAndClosed: a stream with no rows still holds the schema;
// a closed writer refuses rows; a cancelled context writes nothing.
func TestWriterEmptyAndClosed(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, []Modality{byteModality{}}, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Write(ctx, Segment{Modality: ModText, Data: []byte("a")}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(context.Background(), Segment{Modality: ModText}); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("write after close: %v", err)
	}
	path := filepath.Join(t.TempDir(), "e.arrows")
	os.WriteFile(path, buf.Bytes(), 0o644)
	rows, schema := readFile(t, path)
	if len(rows) != 0 || schema.NumFields() != len(baseColumns) {
		t.Errorf("%d rows, %d fields", len(rows), schema.NumFields())
	}
	if _, err := NewWriter(&buf, []Modality{byteModality{}, byteModality{}}, WriterOptions{}); !errors.As(err, new(*ConfigError)) {
		t.Errorf("duplicate modality: %v", err)
	}
	if _, err := NewWriter(&buf, nil, WriterOptions{Compression: "gzip"}); !errors.As(err, new(*ConfigError)) {
		t.Errorf("bad compression: %v", err)
	}
}
