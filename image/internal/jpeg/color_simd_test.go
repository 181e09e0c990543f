package jpeg

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The AVX2 rows (color_amd64.s: 4:2:0, 4:2:2, 4:4:4) against the Go loops, bit for bit:
// every width from 3 to 200 plus random wide rows, on random samples and on
// the extremes (all 0, all 255, 0/255 alternating per sample and per plane,
// which drive the filters and the clamps to their limits).
func TestColorAVX2MatchesGo(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 (or -tags purego): only the Go path exists")
	}
	defer func(u bool) { useAVX2 = u }(useAVX2)
	rng := rand.New(rand.NewPCG(11, 12))
	fills := []func(i, plane int) uint8{
		func(i, plane int) uint8 { return uint8(rng.IntN(256)) },
		func(i, plane int) uint8 { return 0 },
		func(i, plane int) uint8 { return 255 },
		func(i, plane int) uint8 { return uint8(255 * ((i + plane) & 1)) },
		func(i, plane int) uint8 { return uint8(255 * ((plane >> 1) & 1)) }, // cb 0, cr 255 and so on
		func(i, plane int) uint8 { return uint8(255 * (1 - (plane>>1)&1)) },
		func(i, plane int) uint8 { return uint8(255 * (rng.IntN(2))) },
	}
	var widths []int
	for w := 3; w <= 200; w++ {
		widths = append(widths, w)
	}
	for range 200 {
		widths = append(widths, 200+rng.IntN(2000))
	}
	for _, w := range widths {
		for fi, fill := range fills {
			n := (w + 1) / 2
			mk := func(k, plane int) []uint8 {
				b := make([]uint8, k)
				for i := range b {
					b[i] = fill(i, plane)
				}
				return b
			}
			yrow, cb0, cb1, cr0, cr1 := mk(w, 0), mk(n, 1), mk(n, 2), mk(n, 3), mk(n, 4)
			cbF, crF := mk(w, 5), mk(w, 6)
			for fn, f := range []func(dst []uint8){
				func(dst []uint8) { h2v2RowRGB(dst, yrow, cb0, cb1, cr0, cr1) },
				func(dst []uint8) { h2v1RowRGB(dst, yrow, cb0, cr0) },
				func(dst []uint8) { jpegRowToRGB(dst, yrow, cbF, crF) },
			} {
				useAVX2 = false
				want := make([]uint8, w*3)
				f(want)
				useAVX2 = true
				got := make([]uint8, w*3)
				f(got)
				if !bytes.Equal(got, want) {
					i := 0
					for got[i] == want[i] {
						i++
					}
					t.Fatalf("row kind %d, w=%d fill %d: byte %d (pixel %d) AVX2 %d, Go %d", fn, w, fi, i, i/3, got[i], want[i])
				}
			}
		}
	}
}
