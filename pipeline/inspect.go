package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FileReport describes one output file, as `tokenize inspect` prints it.
type FileReport struct {
	Path     string            `json:"path"`
	Format   Format            `json:"format"`  // arrow (IPC file) or arrow-stream
	Bytes    int64             `json:"bytes"`   // file size
	Batches  int               `json:"batches"` // record batches
	Rows     int64             `json:"rows"`
	Columns  []ColumnReport    `json:"columns"`  // schema fields, in order
	Metadata map[string]string `json:"metadata"` // schema metadata, raw values
	// Errors counts rows whose error column is set, also by kind (the
	// error's prefix before ": ").
	Errors       int64            `json:"errors"`
	ErrorsByKind map[string]int64 `json:"errors_by_kind"`
	// Tokens summarises num_tokens over rows where it is not null (for
	// --pack output, which has no num_tokens, the length column: real ids
	// per packed row, padding excluded).
	Tokens TokenStats `json:"tokens"`
	// TokensByModality splits Tokens.Total by the modality column (units
	// differ: text ids, image patches, audio mel frames…; "text" for
	// packed rows).
	TokensByModality map[string]int64 `json:"tokens_by_modality"`
}

// ColumnReport is one schema field.
type ColumnReport struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // Arrow type, e.g. list<item: int32, nullable>
	Nullable bool   `json:"nullable"`
}

// TokenStats summarises num_tokens: Rows counted, their Total, Mean, and
// nearest-rank percentiles (P50, P99) with Min and Max.
type TokenStats struct {
	Rows  int64   `json:"rows"`
	Total int64   `json:"total"`
	Mean  float64 `json:"mean"`
	Min   int64   `json:"min"`
	P50   int64   `json:"p50"`
	P99   int64   `json:"p99"`
	Max   int64   `json:"max"`
}

// arrowFileMagic starts (and ends) an Arrow IPC file; a stream starts with a
// message instead.
var arrowFileMagic = []byte("ARROW1")

// Inspect reads an Arrow IPC file or stream written by Run (or any file with
// error and num_tokens columns; missing columns count as absent) and
// reports its schema, metadata, rows, errors and token statistics.
func Inspect(path string) (*FileReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory; pass a part file, e.g. %s", path, filepath.Join(path, "part-00000.arrow"))
	}
	magic := make([]byte, len(arrowFileMagic))
	n, _ := io.ReadFull(f, magic)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	rep := &FileReport{Path: path, Bytes: st.Size(), Metadata: map[string]string{}, ErrorsByKind: map[string]int64{},
		TokensByModality: map[string]int64{}}
	mem := memory.NewGoAllocator()
	var tokens []int64
	visit := func(rec arrow.RecordBatch) {
		rep.Batches++
		rep.Rows += rec.NumRows()
		tokens = rep.scan(rec, tokens)
	}
	var schema *arrow.Schema
	if bytes.Equal(magic[:n], arrowFileMagic) {
		rep.Format = FormatArrow
		fr, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			return nil, fmt.Errorf("%s is not a readable Arrow IPC file: %w", path, err)
		}
		defer fr.Close()
		schema = fr.Schema()
		for i := 0; i < fr.NumRecords(); i++ {
			rec, err := fr.RecordBatch(i)
			if err != nil {
				return nil, fmt.Errorf("%s: batch %d: %w", path, i, err)
			}
			visit(rec)
		}
	} else {
		rep.Format = FormatArrowStream
		sr, err := ipc.NewReader(f, ipc.WithAllocator(mem))
		if err != nil {
			return nil, fmt.Errorf("%s is neither an Arrow IPC file nor a stream: %w", path, err)
		}
		defer sr.Release()
		schema = sr.Schema()
		for sr.Next() {
			visit(sr.RecordBatch())
		}
		if err := sr.Err(); err != nil {
			return nil, fmt.Errorf("%s: after %d batches: %w", path, rep.Batches, err)
		}
	}
	for _, fd := range schema.Fields() {
		rep.Columns = append(rep.Columns, ColumnReport{Name: fd.Name, Type: fd.Type.String(), Nullable: fd.Nullable})
	}
	md := schema.Metadata()
	for i, k := range md.Keys() {
		rep.Metadata[k] = md.Values()[i]
	}
	rep.Tokens = tokenStats(tokens)
	return rep, nil
}

// scan counts errors and collects num_tokens of one batch.
func (rep *FileReport) scan(rec arrow.RecordBatch, tokens []int64) []int64 {
	sc := rec.Schema()
	if idx := sc.FieldIndices("error"); len(idx) > 0 {
		if col, ok := rec.Column(idx[0]).(*array.String); ok {
			for i := 0; i < col.Len(); i++ {
				if col.IsValid(i) {
					rep.Errors++
					kind, _, _ := strings.Cut(col.Value(i), ": ")
					rep.ErrorsByKind[kind]++
				}
			}
		}
	}
	var mod *array.String
	if idx := sc.FieldIndices("modality"); len(idx) > 0 {
		mod, _ = rec.Column(idx[0]).(*array.String)
	}
	// num_tokens, or for packed rows (no num_tokens) their length.
	col, packed := (*array.Int32)(nil), false
	if idx := sc.FieldIndices("num_tokens"); len(idx) > 0 {
		col, _ = rec.Column(idx[0]).(*array.Int32)
	} else if idx := sc.FieldIndices("length"); len(idx) > 0 {
		col, _ = rec.Column(idx[0]).(*array.Int32)
		packed = col != nil
	}
	for i := 0; col != nil && i < col.Len(); i++ {
		if !col.IsValid(i) {
			continue
		}
		tokens = append(tokens, int64(col.Value(i)))
		m := "text"
		if !packed {
			m = "unknown"
			if mod != nil && mod.IsValid(i) {
				m = mod.Value(i)
			}
		}
		rep.TokensByModality[m] += int64(col.Value(i))
	}
	return tokens
}

func tokenStats(v []int64) TokenStats {
	if len(v) == 0 {
		return TokenStats{}
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	s := TokenStats{Rows: int64(len(v)), Min: v[0], Max: v[len(v)-1]}
	for _, x := range v {
		s.Total += x
	}
	s.Mean = float64(s.Total) / float64(len(v))
	rank := func(p float64) int64 { // nearest rank: the smallest value with at least p of the data at or below it
		k := int(math.Ceil(p*float64(len(v)))) - 1
		return v[max(0, min(k, len(v)-1))]
	}
	s.P50, s.P99 = rank(0.50), rank(0.99)
	return s
}
