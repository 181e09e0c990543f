package pipeline

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Token dtypes of packed input_ids.
const (
	TokenInt32  = "int32"
	TokenUint16 = "uint16"
)

// PackPadID fills the unused tail of the last packed row of a file set;
// the length column says how many ids of a row are real.
const PackPadID = 0

// tokenDTypes maps a token dtype to its Arrow type and largest id.
var tokenDTypes = map[string]struct {
	typ arrow.DataType
	max int64
}{
	TokenInt32:  {arrow.PrimitiveTypes.Int32, 1<<31 - 1},
	TokenUint16: {arrow.PrimitiveTypes.Uint16, 1<<16 - 1},
}

// packLayout is the schema of packed output: input_ids as
// fixed_size_list<dtype, L> and length (real tokens in the row: L, except
// in the last row, padded with PackPadID).
func packLayout(l int, dtype string) *layout {
	elem := tokenDTypes[dtype].typ
	ids := column{name: "input_ids", typ: arrow.FixedSizeListOf(int32(l), elem),
		hf:   fmt.Sprintf(`{"feature":{"dtype":%q,"_type":"Value"},"length":%d,"_type":"Sequence"}`, dtype, l),
		size: func(*row) int64 { return int64(l) * int64(elem.(arrow.FixedWidthDataType).BitWidth()/8) },
		append: func(b array.Builder, r *row) {
			fb := b.(*array.FixedSizeListBuilder)
			fb.Append(true)
			switch vb := fb.ValueBuilder().(type) {
			case *array.Int32Builder:
				vb.AppendValues(r.p.InputIDs, nil)
				for range l - len(r.p.InputIDs) {
					vb.Append(PackPadID)
				}
			case *array.Uint16Builder:
				for _, id := range r.p.InputIDs {
					vb.Append(uint16(id))
				}
				for range l - len(r.p.InputIDs) {
					vb.Append(PackPadID)
				}
			}
		}}
	length := column{name: "length", typ: arrow.PrimitiveTypes.Int32, hf: hfInt32,
		size:   func(*row) int64 { return 4 },
		append: func(b array.Builder, r *row) { b.(*array.Int32Builder).Append(int32(r.p.NumTokens)) }}
	return &layout{cols: []column{ids, length}, overhead: 10}
}

// rowSink takes rows in output order.
type rowSink interface{ append(r *row) error }

// packer joins the input_ids of successful text rows (each already ending
// with EOS) into rows of exactly L tokens; finish writes the remainder as
// one shorter row. Other rows only count in the summary.
type packer struct {
	w   *partWriter
	l   int
	max int64
	buf []int32
}

func (p *packer) append(r *row) error {
	if r.err != nil || r.modality != ModText {
		return nil
	}
	for _, id := range r.p.InputIDs {
		if int64(id) > p.max || id < 0 {
			return fmt.Errorf("token id %d of %s does not fit the packed token dtype; use --token-dtype int32", id, r.source)
		}
	}
	p.buf = append(p.buf, r.p.InputIDs...)
	for len(p.buf) >= p.l {
		if err := p.emit(p.buf[:p.l]); err != nil {
			return err
		}
		p.buf = append(p.buf[:0], p.buf[p.l:]...)
	}
	return nil
}

func (p *packer) emit(ids []int32) error {
	return p.w.append(&row{p: Payload{InputIDs: ids, NumTokens: len(ids)}})
}

// finish writes the remaining tokens, if any, as the last, shorter row.
func (p *packer) finish() error {
	if len(p.buf) == 0 {
		return nil
	}
	err := p.emit(p.buf)
	p.buf = nil
	return err
}

// packConfig checks the packing options against the text tokenizer.
func packConfig(o Options, mods map[string]Modality) (int64, error) {
	dt, ok := tokenDTypes[o.TokenDType]
	if !ok {
		return 0, configErr("token dtype %q: use int32 or uint16", o.TokenDType)
	}
	t := mods[ModText]
	if t == nil {
		return 0, configErr("packing needs a text tokenizer")
	}
	if v, ok := t.Describe()["vocab_size"].(int); ok && int64(v-1) > dt.max {
		return 0, configErr("--token-dtype %s holds ids up to %d but the vocabulary has %d tokens; use --token-dtype int32", o.TokenDType, dt.max, v)
	}
	return dt.max, nil
}
