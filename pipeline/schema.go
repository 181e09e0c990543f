package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"

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

// column is one entry of the output schema. Adding a modality's columns
// (patches, grid_thw, mel, timestamps) is one more entry here: name, Arrow
// type, HF feature, how a row appends to it, and what it adds to a batch.
// New columns go at the end so older files stay a prefix of the schema.
type column struct {
	name   string
	typ    arrow.DataType
	hf     string // HF datasets feature JSON (datasets 3.x-compatible spelling)
	append func(b array.Builder, r *row)
	size   func(r *row) int64 // payload bytes this row adds (validity/offsets not counted)
}

const (
	hfString   = `{"dtype":"string","_type":"Value"}`
	hfInt32    = `{"dtype":"int32","_type":"Value"}`
	hfInt32Seq = `{"feature":{"dtype":"int32","_type":"Value"},"_type":"Sequence"}`
)

// str is a utf8 column holding get(r), null when it is "".
func str(name string, get func(r *row) string) column {
	return column{name: name, typ: arrow.BinaryTypes.String, hf: hfString,
		append: func(b array.Builder, r *row) {
			if v := get(r); v != "" {
				b.(*array.StringBuilder).Append(v)
			} else {
				b.AppendNull()
			}
		},
		size: func(r *row) int64 { return int64(len(get(r))) },
	}
}

func errText(r *row) string {
	if r.err == nil {
		return ""
	}
	return r.err.Error()
}

// columns is the output schema, in order. Every field is nullable: HF
// datasets only trusts its metadata when the field matches pyarrow's
// default (nullable) field exactly.
var columns = []column{
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
}

// rowOverhead is the per-row cost the size functions leave out: an offset
// and a validity bit per column, rounded up.
var rowOverhead = int64(5 * len(columns))

// rowBytes estimates what one row adds to a record batch. It is a pure
// function of the row, so batch boundaries do not depend on timing.
func rowBytes(r *row) int64 {
	n := rowOverhead
	for i := range columns {
		n += columns[i].size(r)
	}
	return n
}

// hfFeatures is the `huggingface` metadata value: {"info":{"features":{...}}}
// with the features in column order.
func hfFeatures() string {
	var b bytes.Buffer
	b.WriteString(`{"info":{"features":{`)
	for i, c := range columns {
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

// newSchema builds the output schema with its metadata.
func newSchema(tokenizers, options map[string]any) (*arrow.Schema, error) {
	var tf bytes.Buffer
	enc := json.NewEncoder(&tf)
	enc.SetEscapeHTML(false) // keep "<|endoftext|>" readable
	if err := enc.Encode(tokenfabMeta{FormatVersion: FormatVersion, Tokenizers: tokenizers, Options: options}); err != nil {
		return nil, fmt.Errorf("encoding tokenfab metadata (a Describe() value is not JSON-encodable): %w", err)
	}
	md := arrow.NewMetadata([]string{"huggingface", "tokenfab"}, []string{hfFeatures(), string(bytes.TrimSuffix(tf.Bytes(), []byte("\n")))})
	fields := make([]arrow.Field, len(columns))
	for i, c := range columns {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	return arrow.NewSchema(fields, &md), nil
}
