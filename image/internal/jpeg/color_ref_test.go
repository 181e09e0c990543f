package jpeg

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The fused 4:2:0 row must equal h2v2Row on both planes followed by
// jpegRowToRGB, byte for byte, for every width (odd ones included).
func TestH2V2RowRGBMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 2000; it++ {
		w := 3 + rng.IntN(60)
		n := (w + 1) / 2
		if n < 2 {
			continue
		}
		rnd := func(k int) []uint8 {
			b := make([]uint8, k)
			for i := range b {
				b[i] = uint8(rng.IntN(256))
			}
			return b
		}
		yrow, cb0, cb1, cr0, cr1 := rnd(w), rnd(n), rnd(n), rnd(n), rnd(n)
		sb, sr := make([]int32, n), make([]int32, n)
		for i := range sb {
			sb[i] = int32(cb0[i])*3 + int32(cb1[i])
			sr[i] = int32(cr0[i])*3 + int32(cr1[i])
		}
		cbU, crU := make([]uint8, 2*n), make([]uint8, 2*n)
		h2v2Row(cbU, sb)
		h2v2Row(crU, sr)
		want := make([]uint8, w*3)
		jpegRowToRGB(want, yrow, cbU[:w], crU[:w])
		got := make([]uint8, w*3)
		h2v2RowRGB(got, yrow, cb0, cb1, cr0, cr1)
		if !bytes.Equal(got, want) {
			t.Fatalf("w=%d: fused row differs", w)
		}
	}
}

// Same for the fused 4:2:2 row against h2v1Row + jpegRowToRGB.
func TestH2V1RowRGBMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for it := 0; it < 2000; it++ {
		w := 5 + rng.IntN(60)
		n := (w + 1) / 2
		rnd := func(k int) []uint8 {
			b := make([]uint8, k)
			for i := range b {
				b[i] = uint8(rng.IntN(256))
			}
			return b
		}
		yrow, cb, cr := rnd(w), rnd(n), rnd(n)
		cbU, crU := make([]uint8, 2*n), make([]uint8, 2*n)
		h2v1Row(cbU, cb)
		h2v1Row(crU, cr)
		want := make([]uint8, w*3)
		jpegRowToRGB(want, yrow, cbU[:w], crU[:w])
		got := make([]uint8, w*3)
		h2v1RowRGB(got, yrow, cb, cr)
		if !bytes.Equal(got, want) {
			t.Fatalf("w=%d: fused row differs", w)
		}
	}
}

func BenchmarkH2V2RowRGB(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	w := 660
	n := (w + 1) / 2
	rnd := func(k int) []uint8 {
		x := make([]uint8, k)
		for i := range x {
			x[i] = uint8(rng.IntN(256))
		}
		return x
	}
	yrow, cb0, cb1, cr0, cr1 := rnd(w), rnd(n), rnd(n), rnd(n), rnd(n)
	dst := make([]uint8, 3*w)
	for b.Loop() {
		h2v2RowRGB(dst, yrow, cb0, cb1, cr0, cr1)
	}
}
