package image

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// resizeRef is the plain form of Pillow's two passes (one tap at a time,
// horizontal then vertical unless Pillow 13 goes vertical first), kept as
// the reference the optimised passes must reproduce byte for byte.
func resizeRef(src []uint8, w, h, ch, ow, oh int, f Filter) []uint8 {
	kn := kernels[f]
	hpass := func(in []uint8, w, h, ow int) []uint8 {
		c := precomputeCoeffs(w, ow, kn)
		out := make([]uint8, h*ow*ch)
		for y := 0; y < h; y++ {
			for xx := 0; xx < ow; xx++ {
				xmin, n := int(c.bounds[2*xx]), int(c.bounds[2*xx+1])
				for b := 0; b < ch; b++ {
					s := int32(1 << (precisionBits - 1))
					for x := 0; x < n; x++ {
						s += int32(in[(y*w+xmin+x)*ch+b]) * c.k[xx*c.ksize+x]
					}
					out[(y*ow+xx)*ch+b] = clip8(s)
				}
			}
		}
		return out
	}
	vpass := func(in []uint8, w, h, oh int) []uint8 {
		c := precomputeCoeffs(h, oh, kn)
		out := make([]uint8, oh*w*ch)
		for yy := 0; yy < oh; yy++ {
			ymin, n := int(c.bounds[2*yy]), int(c.bounds[2*yy+1])
			for i := 0; i < w*ch; i++ {
				s := int32(1 << (precisionBits - 1))
				for y := 0; y < n; y++ {
					s += int32(in[(ymin+y)*w*ch+i]) * c.k[yy*c.ksize+y]
				}
				out[yy*w*ch+i] = clip8(s)
			}
		}
		return out
	}
	needH, needV := ow != w, oh != h
	if needH && needV && oh < h && 2*(w-ow) < h-oh {
		return hpass(vpass(src, w, h, oh), w, oh, ow)
	}
	cur := src
	if needH {
		cur = hpass(cur, w, h, ow)
	}
	if needV {
		cur = vpass(cur, ow, h, oh)
	}
	if !needH && !needV {
		cur = append([]uint8(nil), src...)
	}
	return cur
}

func TestResizeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	filters := []Filter{Bilinear, Bicubic, Lanczos, Box, Hamming}
	for it := 0; it < 300; it++ {
		w, h := 1+rng.IntN(90), 1+rng.IntN(90)
		ow, oh := 1+rng.IntN(90), 1+rng.IntN(90)
		ch := []int{1, 3, 4}[rng.IntN(3)]
		f := filters[rng.IntN(len(filters))]
		src := make([]uint8, w*h*ch)
		for i := range src {
			src[i] = uint8(rng.IntN(256))
			if rng.IntN(4) == 0 {
				src[i] = []uint8{0, 255}[rng.IntN(2)] // hit the clipping
			}
		}
		got := resizePIL(src, w, h, ch, ow, oh, f)
		want := resizeRef(src, w, h, ch, ow, oh, f)
		if !bytes.Equal(got, want) {
			t.Fatalf("%dx%dx%d -> %dx%d %v: optimised resize differs from the reference", w, h, ch, ow, oh, f)
		}
	}
}

// PatchValues is the LUT of every sample, whether or not a patch's
// temporal runs are equal (video tokens put different frames in them).
func TestPatchValuesTemporalRuns(t *testing.T) {
	tk, err := New(Config{Preset: "qwen2-vl"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	dim := 3 * 2 * 14 * 14
	toks := &Tokens{PatchDim: dim, NumPatches: 3, Patches: make([]uint8, 3*dim)}
	for i := range toks.Patches {
		toks.Patches[i] = uint8(rng.IntN(256))
	}
	copy(toks.Patches[dim+196:dim+392], toks.Patches[dim:dim+196]) // one equal run
	got := tk.PatchValues(toks)
	for i, v := range toks.Patches {
		if c := (i % dim) / (dim / 3); got[i] != tk.Normalize(c, v) {
			t.Fatalf("sample %d: %v, want %v", i, got[i], tk.Normalize(c, v))
		}
	}
}
