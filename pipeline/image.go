package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tokenfab/tokenfab/image"
)

// imageModality adapts a *image.Tokenizer to Modality and brings the image
// columns, whose types it fixes from the tokenizer's configuration.
type imageModality struct {
	t     *image.Tokenizer
	dim   int    // patch width in samples: 3·temporal_patch_size·patch_size²
	dtype string // "uint8" or "float32"
	desc  map[string]any
}

// patchDTypes are the element types of the patches column. uint8 is the
// resized RGB samples, lossless and 4× smaller; float32 is the normalized
// pixel values.
var patchDTypes = map[string]arrow.DataType{
	"uint8":   arrow.PrimitiveTypes.Uint8,
	"float32": arrow.PrimitiveTypes.Float32,
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
//     "uint8", the default) or list<fixed_size_list<float32, D>>
//     ("float32"): one entry per patch, D = 3·temporal_patch_size·
//     patch_size² samples in image.Tokens.Patches layout (channel-major:
//     ((c·T + t)·P + py)·P + px). uint8 entries are the resized RGB samples
//     (0–255, lossless); float32 entries are the normalized pixel values,
//     (float32(x·rescale_factor) − mean[c]) / std[c], equal to HF
//     pixel_values in patch layout.
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
func NewImage(t *image.Tokenizer) (Modality, error) {
	d := t.Describe()
	p, ok1 := d["patch_size"].(int)
	tp, ok2 := d["temporal_patch_size"].(int)
	dtype, ok3 := d["patch_dtype"].(string)
	if !ok1 || !ok2 || !ok3 || patchDTypes[dtype] == nil || p <= 0 || tp <= 0 {
		return nil, fmt.Errorf("image tokenizer description %v: want int patch_size and temporal_patch_size and patch_dtype uint8 or float32", d)
	}
	m := &imageModality{t: t, dim: 3 * tp * p * p, dtype: dtype, desc: maps.Clone(d)}
	m.desc["patch_dim"] = m.dim
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
	p := Payload{NumTokens: tk.NumTokens, PatchDim: tk.PatchDim, GridTHW: tk.GridTHW, HasGrid: true}
	if m.dtype == "float32" {
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
// patch_dim, the fixed width of a patches entry.
func (m *imageModality) Describe() map[string]any { return maps.Clone(m.desc) }

// columns are patches and grid_thw, typed for this tokenizer.
func (m *imageModality) columns() []column {
	dim, f32 := m.dim, m.dtype == "float32"
	elem := 1
	if f32 {
		elem = 4
	}
	return []column{
		{name: "patches", typ: arrow.ListOf(arrow.FixedSizeListOf(int32(dim), patchDTypes[m.dtype])),
			hf: hfSeq(hfSeq(hfValue(m.dtype), dim), 0),
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
				if f32 {
					fb.ValueBuilder().(*array.Float32Builder).AppendValues(r.p.PatchValues, nil)
				} else {
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
