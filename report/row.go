package report

import (
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Row is one row of a part file, copied out of its batch: the columns the
// show renderers use, plus the file's parsed metadata.
type Row struct {
	Index     int
	ID        string
	Modality  string
	Error     string // "" when the row succeeded
	NumTokens int
	InputIDs  []int32
	// Patches: uint8 image patches (nil when the column is absent, null,
	// or of another dtype: PatchDType says which); PatchDim samples each.
	Patches []uint8
	// PatchValues: float32 image patches (--patch-dtype float32), nil
	// otherwise.
	PatchValues []float32
	PatchDim    int
	PatchDType  string
	Grid        [3]int32
	HasGrid     bool
	// Mel: frames × NMels float32, frame-major.
	Mel   []float32
	NMels int
	// VideoPatches: uint8 video patches of VideoPatchDim samples.
	VideoPatches  []uint8
	VideoPatchDim int
	Timestamps    []float64
	// Packed: a row of packed output (--pack L): InputIDs are its first
	// NumTokens (the length column) of PackLength ids, the rest being pad;
	// packed rows have no id, modality or error.
	Packed     bool
	PackLength int
	Meta       *Meta
}

// ErrRow marks errors about the row asked for rather than I/O: it does not
// exist, is an error row, or has nothing the renderer can show.
var ErrRow = errors.New("the row cannot be shown")

type rowError struct{ error }

func (rowError) Is(target error) bool { return target == ErrRow }

// rowErrorf is an ErrRow with a message.
func rowErrorf(format string, args ...any) error { return rowError{fmt.Errorf(format, args...)} }

// ReadRow reads row n (0-based, counted over the file's batches) of an
// Arrow IPC file or stream.
func ReadRow(path string, n int) (*Row, error) {
	if n < 0 {
		return nil, rowErrorf("row %d: rows are counted from 0", n)
	}
	var row *Row
	seen := 0
	err := ReadBatches(path, func(schema *arrow.Schema, rec arrow.RecordBatch) error {
		if row != nil || n >= seen+int(rec.NumRows()) {
			seen += int(rec.NumRows())
			return nil
		}
		m, err := ParseMeta(schema)
		if err != nil {
			return err
		}
		row, err = copyRow(rec, n-seen)
		if err != nil {
			return err
		}
		row.Index, row.Meta = n, m
		seen += int(rec.NumRows())
		return nil
	})
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, rowErrorf("%s has %d rows; row %d does not exist", path, seen, n)
	}
	return row, nil
}

func copyRow(rec arrow.RecordBatch, i int) (*Row, error) {
	r := &Row{}
	if c, ok := column[*array.String](rec, "id"); ok && c.IsValid(i) {
		r.ID = c.Value(i)
	}
	if c, ok := column[*array.String](rec, "modality"); ok && c.IsValid(i) {
		r.Modality = c.Value(i)
	}
	if c, ok := column[*array.String](rec, "error"); ok && c.IsValid(i) {
		r.Error = c.Value(i)
	}
	if c, ok := column[*array.Int32](rec, "num_tokens"); ok && c.IsValid(i) {
		r.NumTokens = int(c.Value(i))
	}
	if c, ok := column[*array.List](rec, "input_ids"); ok && c.IsValid(i) {
		if v, ok := c.ListValues().(*array.Int32); ok {
			lo, hi := c.ValueOffsets(i)
			r.InputIDs = slices.Clone(v.Int32Values()[lo:hi])
		}
	}
	if c, ok := column[*array.FixedSizeList](rec, "input_ids"); ok && c.IsValid(i) {
		// packed output: fixed_size_list<int32|uint16, L> plus length
		if l, ok := column[*array.Int32](rec, "length"); ok && l.IsValid(i) {
			r.Packed = true
			r.PackLength = int(c.DataType().(*arrow.FixedSizeListType).Len())
			r.NumTokens = int(l.Value(i))
			if r.NumTokens < 0 || r.NumTokens > r.PackLength {
				return nil, fmt.Errorf("packed row %d: length %d is outside 0..%d", i, r.NumTokens, r.PackLength)
			}
			off := (c.Offset() + i) * r.PackLength
			switch v := c.ListValues().(type) {
			case *array.Int32:
				r.InputIDs = slices.Clone(v.Int32Values()[off : off+r.NumTokens])
			case *array.Uint16:
				r.InputIDs = make([]int32, r.NumTokens)
				for k, id := range v.Uint16Values()[off : off+r.NumTokens] {
					r.InputIDs[k] = int32(id)
				}
			default:
				return nil, fmt.Errorf("packed input_ids of %s: want int32 or uint16", v.DataType())
			}
		}
	}
	if c, ok := column[*array.FixedSizeList](rec, "grid_thw"); ok && c.IsValid(i) {
		if v, ok := c.ListValues().(*array.Int32); ok {
			off := (c.Offset() + i) * 3
			copy(r.Grid[:], v.Int32Values()[off:off+3])
			r.HasGrid = true
		}
	}
	r.Patches, r.PatchDim, r.PatchDType = uint8Patches(rec, "patches", i)
	if r.PatchDType == "float32" {
		r.PatchValues = float32Patches(rec, "patches", i)
	}
	r.VideoPatches, r.VideoPatchDim, _ = uint8Patches(rec, "video_patches", i)
	if c, ok := column[*array.List](rec, "mel"); ok && c.IsValid(i) {
		if fl, ok := c.ListValues().(*array.FixedSizeList); ok {
			if v, ok := fl.ListValues().(*array.Float32); ok {
				d := int(fl.DataType().(*arrow.FixedSizeListType).Len())
				lo, hi := c.ValueOffsets(i)
				base := int64(fl.Offset())
				r.Mel = slices.Clone(v.Float32Values()[(base+lo)*int64(d) : (base+hi)*int64(d)])
				r.NMels = d
			}
		}
	}
	if c, ok := column[*array.List](rec, "timestamps"); ok && c.IsValid(i) {
		if v, ok := c.ListValues().(*array.Float64); ok {
			lo, hi := c.ValueOffsets(i)
			r.Timestamps = slices.Clone(v.Float64Values()[lo:hi])
		}
	}
	return r, nil
}

// uint8Patches copies row i of a list<fixed_size_list<uint8, D>> column;
// for another value type it returns only D and the type's name.
func uint8Patches(rec arrow.RecordBatch, name string, i int) ([]uint8, int, string) {
	c, ok := column[*array.List](rec, name)
	if !ok || !c.IsValid(i) {
		return nil, 0, ""
	}
	fl, ok := c.ListValues().(*array.FixedSizeList)
	if !ok {
		return nil, 0, ""
	}
	d := int(fl.DataType().(*arrow.FixedSizeListType).Len())
	v, ok := fl.ListValues().(*array.Uint8)
	if !ok {
		return nil, d, fl.DataType().(*arrow.FixedSizeListType).Elem().String()
	}
	lo, hi := c.ValueOffsets(i)
	base := int64(fl.Offset())
	return slices.Clone(v.Uint8Values()[(base+lo)*int64(d) : (base+hi)*int64(d)]), d, "uint8"
}

// float32Patches copies row i of a list<fixed_size_list<float32, D>> column.
func float32Patches(rec arrow.RecordBatch, name string, i int) []float32 {
	c, ok := column[*array.List](rec, name)
	if !ok || !c.IsValid(i) {
		return nil
	}
	fl, ok := c.ListValues().(*array.FixedSizeList)
	if !ok {
		return nil
	}
	v, ok := fl.ListValues().(*array.Float32)
	if !ok {
		return nil
	}
	d := int64(fl.DataType().(*arrow.FixedSizeListType).Len())
	lo, hi := c.ValueOffsets(i)
	base := int64(fl.Offset())
	return slices.Clone(v.Float32Values()[(base+lo)*d : (base+hi)*d])
}
