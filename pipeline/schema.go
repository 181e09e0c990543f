package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// FormatVersion is the `format_version` in the `tokenfab` schema metadata.
// It changes only when an existing column changes meaning or type; adding a
// column does not change it, because readers select columns by name.
const FormatVersion = 1

// row is one output row: one segment of one record.
type row struct {
	id, source, field, modality string
	segment                     int32
	err                         *RowError
	p                           Payload
}

// column is one entry of the output schema: name, Arrow type, HF feature,
// how a row appends to it, and what it adds to a batch. A modality whose
// rows need more than input_ids brings its columns with its adapter
// (columnar); they go after the base columns, so files of older jobs, and
// of jobs without that modality, are a prefix of the schema.
type column struct {
	name   string
	typ    arrow.DataType
	hf     string // HF datasets feature JSON (datasets 3.x-compatible spelling)
	append func(b array.Builder, r *row)
	size   func(r *row) int64 // payload bytes this row adds (validity/offsets not counted)
	// check, if set, rejects a payload that does not fit the column's
	// fixed type (wrong dtype or patch width) before it reaches a builder.
	check func(p *Payload) *RowError
}

// columnar is implemented by the adapters (in this package) whose rows need
// columns beyond the base ones; their types are fixed when the job starts
// (e.g. the patch width of the configured image preset).
type columnar interface{ columns() []column }

// extraOrder is the order in which modalities append their columns, so the
// schema does not depend on the order of Options.Modalities.
var extraOrder = []string{ModImage, ModAudio, ModVideo}

const (
	hfString   = `{"dtype":"string","_type":"Value"}`
	hfInt32    = `{"dtype":"int32","_type":"Value"}`
	hfInt32Seq = `{"feature":{"dtype":"int32","_type":"Value"},"_type":"Sequence"}`
)

// hfValue is the HF feature of a scalar of dtype (a datasets Value name).
func hfValue(dtype string) string { return `{"dtype":"` + dtype + `","_type":"Value"}` }

// hfSeq is the HF Sequence feature of inner; length > 0 makes it fixed-size
// (an Arrow fixed_size_list), as datasets' Sequence(feature, length=n).
func hfSeq(inner string, length int) string {
	if length > 0 {
		return `{"feature":` + inner + `,"length":` + strconv.Itoa(length) + `,"_type":"Sequence"}`
	}
	return `{"feature":` + inner + `,"_type":"Sequence"}`
}

// str is a utf8 column holding get(r), null when it is "".
func str(name string, get func(r *row) string) column {
	return column{name: name, typ: arrow.BinaryTypes.String, hf: hfString,
		append: func(b array.Builder, r *row) {
			if v := get(r); v != "" {
				b.(*array.StringBuilder).Append(utf8Name(v))
			} else {
				b.AppendNull()
			}
		},
		size: func(r *row) int64 { return int64(len(utf8Name(get(r)))) },
	}
}

// utf8Name returns s with each byte that is not part of valid UTF-8
// written as \xNN. Arrow strings must be UTF-8 (pyarrow, polars and
// datasets refuse the whole file otherwise), and file names on Linux are
// arbitrary bytes; \xNN keeps two such names distinct where U+FFFD would
// merge them.
func utf8Name(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "\\x%02x", s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func errText(r *row) string {
	if r.err == nil {
		return ""
	}
	return r.err.Error()
}

// baseColumns start every job's schema, in order. Every field is nullable: HF
// datasets only trusts its metadata when the field matches pyarrow's
// default (nullable) field exactly.
var baseColumns = []column{
	str("id", func(r *row) string { return r.id }),
	{name: "segment", typ: arrow.PrimitiveTypes.Int32, hf: hfInt32,
		append: func(b array.Builder, r *row) { b.(*array.Int32Builder).Append(r.segment) },
		size:   func(*row) int64 { return 4 }},
	str("field", func(r *row) string { return r.field }),
	str("modality", func(r *row) string { return r.modality }),
	str("source", func(r *row) string { return r.source }),
	str("error", errText),
	{name: "num_tokens", typ: arrow.PrimitiveTypes.Int32, hf: hfInt32,
		append: func(b array.Builder, r *row) {
			if r.err != nil {
				b.AppendNull()
				return
			}
			b.(*array.Int32Builder).Append(int32(r.p.NumTokens))
		},
		size: func(*row) int64 { return 4 }},
	{name: "input_ids", typ: arrow.ListOf(arrow.PrimitiveTypes.Int32), hf: hfInt32Seq,
		append: func(b array.Builder, r *row) {
			lb := b.(*array.ListBuilder)
			if r.err != nil || r.p.InputIDs == nil {
				lb.AppendNull()
				return
			}
			lb.Append(true)
			lb.ValueBuilder().(*array.Int32Builder).AppendValues(r.p.InputIDs, nil)
		},
		size: func(r *row) int64 { return 4 * int64(len(r.p.InputIDs)) }},
	// Last of the base columns, so readers that index columns by position
	// keep working.
	str("warning", func(r *row) string {
		if r.err != nil {
			return ""
		}
		return r.p.Warning
	}),
}

// gridColumn is grid_thw, fixed_size_list<int32, 3>: (temporal, height,
// width) of a row's patch grid, null without one. Images and AST audio
// both declare it; the job has it once.
var gridColumn = column{name: "grid_thw", typ: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Int32), hf: hfSeq(hfInt32, 3),
	append: func(b array.Builder, r *row) {
		fb := b.(*array.FixedSizeListBuilder)
		if r.err != nil || !r.p.HasGrid {
			fb.AppendNull()
			return
		}
		fb.Append(true)
		fb.ValueBuilder().(*array.Int32Builder).AppendValues(r.p.GridTHW[:], nil)
	},
	size: func(*row) int64 { return 12 }}

// layout is one job's output schema: the base columns, then those of the
// registered modalities in extraOrder. It is fixed before the first row, so
// every file of a job has the same columns with the same types.
type layout struct {
	cols []column
	// overhead is the per-row cost the size functions leave out: an offset
	// and a validity bit per column, rounded up.
	overhead int64
}

// newLayout builds the schema for the registered modalities. A column two
// modalities share (grid_thw of images and AST audio) appears once, where
// the first of them in extraOrder puts it; columnClash has made sure that
// they agree on its type.
func newLayout(mods map[string]Modality) *layout {
	cols := append([]column(nil), baseColumns...)
	seen := map[string]bool{}
	for _, c := range cols {
		seen[c.name] = true
	}
	for _, name := range extraOrder {
		if c, ok := mods[name].(columnar); ok {
			for _, col := range c.columns() {
				if !seen[col.name] {
					seen[col.name] = true
					cols = append(cols, col)
				}
			}
		}
	}
	return &layout{cols: cols, overhead: int64(5 * len(cols))}
}

// columnClash reports, as a message naming both modalities, a column that
// two registered modalities declare with different types (say a patches
// column of uint8 for images and float32 for another modality): a job's
// columns are fixed, so such a job cannot start. "" when there is none.
func columnClash(mods map[string]Modality) string {
	type owner struct {
		mod string
		col column
	}
	byName := map[string]owner{}
	for _, c := range baseColumns {
		byName[c.name] = owner{"every job", c}
	}
	for _, name := range extraOrder {
		c, ok := mods[name].(columnar)
		if !ok {
			continue
		}
		for _, col := range c.columns() {
			if o, dup := byName[col.name]; dup && (!arrow.TypeEqual(o.col.typ, col.typ) || o.col.hf != col.hf) {
				return fmt.Sprintf("the %s tokenizer writes column %s as %s but the %s one as %s; "+
					"a job has one type per column: choose presets that agree, or run the modalities as separate jobs",
					name, col.name, col.typ, o.mod, o.col.typ)
			} else if !dup {
				byName[col.name] = owner{name, col}
			}
		}
	}
	return ""
}

// rowBytes estimates what one row adds to a record batch. It is a pure
// function of the row, so batch boundaries do not depend on timing.
func (l *layout) rowBytes(r *row) int64 {
	n := l.overhead
	for i := range l.cols {
		n += l.cols[i].size(r)
	}
	return n
}

// payloadFields maps the Payload fields that need a column to its name, so
// that a modality filling a field the job has no column for gives an error
// row instead of silently losing the data.
var payloadFields = []struct {
	col string
	set func(p *Payload) bool
}{
	{"patches", func(p *Payload) bool { return p.Patches != nil || p.PatchValues != nil }},
	{"grid_thw", func(p *Payload) bool { return p.HasGrid }},
	{"mel", func(p *Payload) bool { return p.Mel != nil }},
	{"video_patches", func(p *Payload) bool { return p.VideoPatches != nil || p.VideoPatchValues != nil }},
	{"timestamps", func(p *Payload) bool { return p.Timestamps != nil }},
}

// check verifies that a tokenized payload fits the job's columns.
func (l *layout) check(p *Payload) *RowError {
	for _, f := range payloadFields {
		if f.set(p) && l.index(f.col) < 0 {
			return rowErr(KindInternal, "the tokenizer returned %s but the job has no %s column (a bug: its adapter must declare the column)", f.col, f.col)
		}
	}
	for i := range l.cols {
		if c := l.cols[i].check; c != nil {
			if err := c(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// index is the position of the named column, or -1.
func (l *layout) index(name string) int {
	for i := range l.cols {
		if l.cols[i].name == name {
			return i
		}
	}
	return -1
}

// hfFeatures is the `huggingface` metadata value: {"info":{"features":{...}}}
// with the features in column order.
func (l *layout) hfFeatures() string {
	var b bytes.Buffer
	b.WriteString(`{"info":{"features":{`)
	for i, c := range l.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(c.name)
		b.Write(name)
		b.WriteByte(':')
		b.WriteString(c.hf)
	}
	b.WriteString(`}}}`)
	return b.String()
}

// tokenfabMeta is the `tokenfab` metadata value. encoding/json sorts map
// keys, so the same job always gives the same bytes.
type tokenfabMeta struct {
	FormatVersion int            `json:"format_version"`
	Tokenizers    map[string]any `json:"tokenizers"`
	Options       map[string]any `json:"options"`
}

// schema builds the Arrow schema with its metadata.
func (l *layout) schema(tokenizers, options map[string]any) (*arrow.Schema, error) {
	var tf bytes.Buffer
	enc := json.NewEncoder(&tf)
	enc.SetEscapeHTML(false) // keep "<|endoftext|>" readable
	if err := enc.Encode(tokenfabMeta{FormatVersion: FormatVersion, Tokenizers: tokenizers, Options: options}); err != nil {
		return nil, fmt.Errorf("encoding tokenfab metadata (a Describe() value is not JSON-encodable): %w", err)
	}
	md := arrow.NewMetadata([]string{"huggingface", "tokenfab"}, []string{l.hfFeatures(), string(bytes.TrimSuffix(tf.Bytes(), []byte("\n")))})
	fields := make([]arrow.Field, len(l.cols))
	for i, c := range l.cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	return arrow.NewSchema(fields, &md), nil
}
