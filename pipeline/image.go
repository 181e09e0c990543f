package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/float16"

	"github.com/tokenfab/tokenfab/image"
)

// imageModality adapts a *image.Tokenizer to Modality and brings the image
// columns, whose types it fixes from the tokenizer's configuration.
type imageModality struct {
	t     *image.Tokenizer
	dim   int    // patch width in samples: 3·temporal_patch_size·patch_size²
	dtype string // "uint8", "float32", "float16" or "bfloat16"
	desc  map[string]any
}

// patchDTypes are the element types of the patches column. uint8 is the
// resized RGB samples, lossless and 4× smaller; float32 is the normalized
// pixel values; float16 and bfloat16 are those rounded to nearest even.
// Arrow has no bfloat16: its column holds the uint16 bit patterns.
var patchDTypes = map[string]arrow.DataType{
	"uint8":    arrow.PrimitiveTypes.Uint8,
	"float32":  arrow.PrimitiveTypes.Float32,
	"float16":  arrow.FixedWidthTypes.Float16,
	"bfloat16": arrow.PrimitiveTypes.Uint16,
}

// hfPatchDTypes are the datasets Value dtypes of the patch entries.
var hfPatchDTypes = map[string]string{"uint8": "uint8", "float32": "float32", "float16": "float16", "bfloat16": "uint16"}

// f16Bits is the IEEE 754 binary16 of f, rounded to nearest even
// (subnormals kept, overflow to ±Inf), as numpy's float32→float16 cast:
// a NaN keeps its sign and the top 10 payload bits (kept a NaN if they
// are zero).
func f16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man == 0 {
			return sign | 0x7c00
		}
		r := uint16(0x7c00 + man>>13)
		if r == 0x7c00 {
			r++
		}
		return sign | r
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	var m uint32
	var shift uint
	if e <= 0 { // binary16 subnormal or zero: units of 2^-24
		if exp == 0 || 14-e > 25 {
			return sign // |f| < 2^-25 (or a float32 subnormal): rounds to ±0
		}
		m, shift = man|0x800000, uint(14-e)
	} else {
		m, shift = uint32(e)<<23|man, 13
	}
	q := m >> shift
	rem, half := m&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > half || (rem == half && q&1 == 1) {
		q++ // may carry into the exponent, up to 0x7c00 = Inf
	}
	return sign | uint16(q)
}

// bf16Bits is the bfloat16 of f (the top 16 bits of a float32), rounded to
// nearest even; a NaN keeps its sign and top payload bits and is made
// quiet (bit 6 set).
func bf16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// imageErrKinds maps the image package's errors to row error kinds; any
// other error is a "tokenize" row.
var imageErrKinds = []struct {
	err  error
	kind ErrorKind
}{
	{image.ErrTooManyPixels, KindTooLarge},
	{image.ErrFileTooLarge, KindTooLarge},
}

// NewImage wraps an image tokenizer as the "image" modality and adds two
// columns to the job's schema, after the base ones:
//
//   - patches, list<fixed_size_list<uint8, D>> (the tokenizer's PatchDType
//     "uint8", the default), list<fixed_size_list<float32, D>>
//     ("float32"), list<fixed_size_list<float16, D>> ("float16") or
//     list<fixed_size_list<uint16, D>> ("bfloat16": the bfloat16 bit
//     patterns, as Arrow has no bfloat16 type; Describe's patch_dtype says
//     bfloat16 and patch_storage how to read it): one entry per patch, D = 3·temporal_patch_size·
//     patch_size² samples in image.Tokens.Patches layout (channel-major:
//     ((c·T + t)·P + py)·P + px). uint8 entries are the resized RGB samples
//     (0–255, lossless); float32 entries are the normalized pixel values,
//     (float32(x·rescale_factor) − mean[c]) / std[c], equal to HF
//     pixel_values in patch layout; float16/bfloat16 entries are those
//     float32 values rounded to nearest even (float16: subnormals kept,
//     overflow to ±Inf, NaN as numpy's astype(np.float16)).
//   - grid_thw, fixed_size_list<int32, 3>: (temporal, height, width) in
//     patches.
//
// num_tokens is the patch count, or for Qwen presets the LLM tokens after
// the merge (patches / merge_size²); Describe's "num_tokens" says which.
// Both types are fixed here, from the preset and dtype, so every file of a
// job has the same columns. Decode failures (unsupported or corrupt files)
// are "tokenize" rows; decompression bombs and oversized files are
// "too_large" rows. The error is for a tokenizer whose Describe() lacks
// patch_size, temporal_patch_size or patch_dtype.
//
// A tokenizer with a palette (igpt) or a codebook also fills input_ids on
// image rows: image.Tokens.InputIDs (a palette index per pixel, or a
// codebook centre per patch); without one, image rows' input_ids are null.
func NewImage(t *image.Tokenizer) (Modality, error) {
	d := t.Describe()
	p, ok1 := d["patch_size"].(int)
	tp, ok2 := d["temporal_patch_size"].(int)
	dtype, ok3 := d["patch_dtype"].(string)
	if !ok1 || !ok2 || !ok3 || patchDTypes[dtype] == nil || p <= 0 || tp <= 0 {
		return nil, fmt.Errorf("image tokenizer description %v: want int patch_size and temporal_patch_size and patch_dtype uint8, float32, float16 or bfloat16", d)
	}
	m := &imageModality{t: t, dim: 3 * tp * p * p, dtype: dtype, desc: maps.Clone(d)}
	m.desc["patch_dim"] = m.dim
	switch dtype {
	case "float16":
		m.desc["patch_storage"] = "Arrow float16: float32 pixel values rounded to nearest even (numpy astype(np.float16))"
	case "bfloat16":
		m.desc["patch_storage"] = "uint16 bit patterns of bfloat16 (round to nearest even of the float32 pixel values); numpy: (a.astype(np.uint32) << 16).view(np.float32), torch: torch.from_numpy(a.astype(np.int16)).view(torch.bfloat16)"
	}
	for k, v := range m.desc {
		if b, ok := v.([]uint8); ok { // e.g. background: JSON would write []uint8 as base64
			n := make([]int, len(b))
			for i, x := range b {
				n[i] = int(x)
			}
			m.desc[k] = n
		}
	}
	return m, nil
}

func (m *imageModality) Name() string { return ModImage }

func (m *imageModality) Tokenize(ctx context.Context, data []byte) (Payload, error) {
	tk, err := m.t.Tokenize(ctx, data)
	if err != nil {
		for _, e := range imageErrKinds {
			if errors.Is(err, e.err) {
				return Payload{}, &RowError{Kind: e.kind, Msg: err.Error()}
			}
		}
		return Payload{}, err
	}
	p := Payload{NumTokens: tk.NumTokens, PatchDim: tk.PatchDim, GridTHW: tk.GridTHW, HasGrid: true, InputIDs: tk.InputIDs}
	if m.dtype != "uint8" {
		p.PatchValues = tk.PixelValues
		if p.PatchValues == nil {
			p.PatchValues = []float32{}
		}
	} else {
		p.Patches = tk.Patches
		if p.Patches == nil {
			p.Patches = []uint8{}
		}
	}
	return p, nil
}

// Describe is the tokenizer's own Describe() (preset, image_mean,
// image_std, rescale_factor, patch_size, temporal_patch_size, merge_size,
// resample, patch_dtype, patch_layout, normalize, num_tokens, ...) plus
// patch_dim, the fixed width of a patches entry, and for float16/bfloat16
// patch_storage (how the column stores them).
func (m *imageModality) Describe() map[string]any { return maps.Clone(m.desc) }

// columns are patches and grid_thw, typed for this tokenizer.
func (m *imageModality) columns() []column {
	dim, f32 := m.dim, m.dtype != "uint8" // f32: the payload carries PatchValues
	elem := map[string]int{"uint8": 1, "float32": 4, "float16": 2, "bfloat16": 2}[m.dtype]
	return []column{
		{name: "patches", typ: arrow.ListOf(arrow.FixedSizeListOf(int32(dim), patchDTypes[m.dtype])),
			hf: hfSeq(hfSeq(hfValue(hfPatchDTypes[m.dtype]), dim), 0),
			append: func(b array.Builder, r *row) {
				lb := b.(*array.ListBuilder)
				n := max(len(r.p.Patches), len(r.p.PatchValues)) / dim
				if r.err != nil || (r.p.Patches == nil && r.p.PatchValues == nil) {
					lb.AppendNull()
					return
				}
				lb.Append(true)
				fb := lb.ValueBuilder().(*array.FixedSizeListBuilder)
				for range n {
					fb.Append(true)
				}
				switch m.dtype {
				case "float32":
					fb.ValueBuilder().(*array.Float32Builder).AppendValues(r.p.PatchValues, nil)
				case "float16":
					vb := fb.ValueBuilder().(*array.Float16Builder)
					vb.Reserve(len(r.p.PatchValues))
					for _, v := range r.p.PatchValues {
						vb.UnsafeAppend(float16.FromBits(f16Bits(v)))
					}
				case "bfloat16":
					vb := fb.ValueBuilder().(*array.Uint16Builder)
					vb.Reserve(len(r.p.PatchValues))
					for _, v := range r.p.PatchValues {
						vb.UnsafeAppend(bf16Bits(v))
					}
				default:
					fb.ValueBuilder().(*array.Uint8Builder).AppendValues(r.p.Patches, nil)
				}
			},
			// value bytes plus the builder's validity bit per value and
			// per patch entry (the IPC writer drops all-valid bitmaps, so
			// this errs on the large side; the row's offset is in the
			// layout's overhead).
			size: func(r *row) int64 {
				n := int64(max(len(r.p.Patches), len(r.p.PatchValues)))
				return n*int64(elem) + n/8 + n/int64(8*dim) + 1
			},
			check: func(p *Payload) *RowError {
				if p.Patches == nil && p.PatchValues == nil {
					return nil
				}
				if (p.Patches != nil && f32) || (p.PatchValues != nil && !f32) || (p.Patches != nil && p.PatchValues != nil) {
					return rowErr(KindInternal, "image patches are not of the job's dtype %s (a bug)", m.dtype)
				}
				if n := max(len(p.Patches), len(p.PatchValues)); p.PatchDim != dim || n%dim != 0 {
					return rowErr(KindInternal, "image patches of width %d (%d values) do not fit the job's patch_dim %d (a bug)", p.PatchDim, n, dim)
				}
				return nil
			}},
		gridColumn,
	}
}
