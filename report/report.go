// Package report reads the Arrow output of `tokenize run` and renders it:
// a self-contained HTML report of a whole output directory (Build, Render)
// and pictures of single rows (Show: images put back together from their
// patches, mel heatmaps, video contact sheets, text with token boundaries).
// See docs/report.md.
package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tokenfab/tokenfab/pipeline"
)

// ContextWindows are the context sizes (tokens) of the report's fit table.
var ContextWindows = []int{4096, 8192, 32768, 131072}

// Stats is everything the report shows, gathered from the part files and
// summaries of one output directory.
type Stats struct {
	Out *Output
	// Rows counts all rows read; Tokens[m] holds num_tokens of every
	// successful row of modality m.
	Rows   int64
	Tokens map[string][]int64
	// ErrorRows counts error rows by kind (the error column's prefix).
	ErrorRows map[string]int64
	// TextBytes[i] is the input bytes of the i-th successful text row
	// (decoded from its ids, BOS/EOS excluded), parallel to Tokens["text"];
	// nil when the text tokenizer could not be loaded (TextBytesNote says
	// why and what is used instead).
	TextBytes     []int64
	TextBytesNote string
	// Over[k] counts successful text rows with num_tokens > ContextWindows[k].
	Over []int64
	// PackLength is L of packed output (--pack L), 0 otherwise. Packed rows
	// are sequences, not documents: Tokens[Packed] holds their length
	// column (real tokens; the rest of the L slots is pad) and no other
	// per-row statistic applies.
	PackLength int
	PackPadID  int
}

// Packed is the Tokens key of packed sequences.
const Packed = "packed text sequences"

// Build reads every part file of dir.
func Build(dir string) (*Stats, error) {
	out, err := Discover(dir)
	if err != nil {
		return nil, err
	}
	st := &Stats{Out: out, Tokens: map[string][]int64{}, ErrorRows: map[string]int64{}, Over: make([]int64, len(ContextWindows))}
	var td *TextDecoder
	first := true
	for _, path := range out.Files {
		err := ReadBatches(path, func(schema *arrow.Schema, rec arrow.RecordBatch) error {
			if first {
				first = false
				m, err := ParseMeta(schema)
				if err != nil {
					return err
				}
				if l, ok := m.Options["pack_length"].(float64); ok && l > 0 {
					st.PackLength = int(l)
					if p, ok := m.Options["pack_pad_id"].(float64); ok {
						st.PackPadID = int(p)
					}
				}
				if _, ok := m.Tokenizers["text"]; ok {
					td, err = NewTextDecoder(m)
					if err != nil {
						st.TextBytesNote = err.Error()
					}
				}
			}
			return st.scan(rec, td)
		})
		if err != nil {
			return nil, err
		}
	}
	if td == nil {
		st.TextBytes = nil
	}
	return st, nil
}

func column[T arrow.Array](rec arrow.RecordBatch, name string) (T, bool) {
	var zero T
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return zero, false
	}
	c, ok := rec.Column(idx[0]).(T)
	return c, ok
}

func (st *Stats) scan(rec arrow.RecordBatch, td *TextDecoder) error {
	st.Rows += rec.NumRows()
	if _, fixed := column[*array.FixedSizeList](rec, "input_ids"); fixed {
		l, ok := column[*array.Int32](rec, "length")
		if !ok {
			return fmt.Errorf("input_ids is a fixed-size list but there is no int32 length column: not packed tokenfab output")
		}
		if st.PackLength == 0 { // no pack_length option: take L from the type
			st.PackLength = int(rec.Schema().Field(rec.Schema().FieldIndices("input_ids")[0]).Type.(*arrow.FixedSizeListType).Len())
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			st.Tokens[Packed] = append(st.Tokens[Packed], int64(l.Value(i)))
		}
		return nil
	}
	errs, _ := column[*array.String](rec, "error")
	mods, _ := column[*array.String](rec, "modality")
	nt, hasNT := column[*array.Int32](rec, "num_tokens")
	ids, hasIDs := column[*array.List](rec, "input_ids")
	var idv *array.Int32
	if hasIDs {
		idv, _ = ids.ListValues().(*array.Int32)
	}
	for i := 0; i < int(rec.NumRows()); i++ {
		if errs != nil && errs.IsValid(i) {
			kind, _, _ := strings.Cut(errs.Value(i), ": ")
			st.ErrorRows[kind]++
			continue
		}
		if !hasNT || !nt.IsValid(i) {
			continue
		}
		mod := "unknown"
		if mods != nil && mods.IsValid(i) {
			mod = mods.Value(i)
		}
		n := int64(nt.Value(i))
		st.Tokens[mod] = append(st.Tokens[mod], n)
		if mod != "text" {
			continue
		}
		for k, w := range ContextWindows {
			if n > int64(w) {
				st.Over[k]++
			}
		}
		if td != nil && idv != nil && ids.IsValid(i) {
			lo, hi := ids.ValueOffsets(i)
			b, err := td.InputBytes(idv.Int32Values()[lo:hi])
			if err != nil {
				return fmt.Errorf("decoding text row %d: %w", i, err)
			}
			st.TextBytes = append(st.TextBytes, int64(b))
		}
	}
	return nil
}

// SummaryErrors adds up errors by kind over the summaries (count and the
// first examples of each kind).
func (st *Stats) SummaryErrors() map[string]*pipeline.KindStats {
	out := map[string]*pipeline.KindStats{}
	for _, s := range st.Out.Summaries {
		for k, ks := range s.Errors.ByKind {
			t := out[k]
			if t == nil {
				t = &pipeline.KindStats{}
				out[k] = t
			}
			t.Count += ks.Count
			for _, e := range ks.Examples {
				if len(t.Examples) < 5 {
					t.Examples = append(t.Examples, e)
				}
			}
		}
	}
	return out
}

// TextTokensPerByte returns total text tokens over total text input bytes
// and how they were obtained: "rows" (ids decoded per row) or "summary"
// (the summaries' text tokens over their bytes_in, which counts the input
// of every modality, so it is a lower bound for mixed jobs). ok is false
// when neither is available.
func (st *Stats) TextTokensPerByte() (ratio float64, source string, ok bool) {
	if st.TextBytes != nil {
		var tok, b int64
		for i, n := range st.Tokens["text"] {
			tok += n
			b += st.TextBytes[i]
		}
		if b > 0 {
			return float64(tok) / float64(b), "rows", true
		}
	}
	var tok, b int64
	for _, s := range st.Out.Summaries {
		if m := s.Modalities["text"]; m != nil {
			tok += m.Tokens
		}
		b += s.BytesIn
	}
	if b > 0 && tok > 0 {
		return float64(tok) / float64(b), "summary", true
	}
	return 0, "", false
}

// modalities returns the modalities with token counts, sorted.
func (st *Stats) modalities() []string {
	var ms []string
	for m := range st.Tokens {
		ms = append(ms, m)
	}
	sort.Strings(ms)
	return ms
}
