package jpeg

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The AVX2 IDCT (idct_amd64.s) against idctBlockGo, bit for bit, on random
// blocks: sparse and dense, small (real files) and extreme coefficients
// (±32767, -32768, q up to 65535), dequantized values at and just past the
// ±35000 bound where the assembly must hand over to Go. Bytes around the
// block in a wider plane must stay untouched.
func TestIDCTAVX2MatchesGo(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 (or -tags purego): only the Go path exists")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	const stride = 19
	var took, fell int
	for it := range 200000 {
		var coef [64]int16
		var q [64]uint16
		mode := it % 8
		for i := range q {
			switch mode {
			case 0, 1, 2:
				q[i] = uint16(1 + rng.IntN(100))
			case 3:
				q[i] = 1
			default:
				q[i] = uint16(rng.IntN(65536))
			}
		}
		nz := 1 + rng.IntN(64)
		if rng.IntN(2) == 0 {
			nz = 1 + rng.IntN(6)
		}
		for range nz {
			i := rng.IntN(64)
			switch mode {
			case 0, 1:
				coef[i] = int16(rng.IntN(2048) - 1024)
			case 2:
				coef[i] = int16(rng.IntN(64) - 32)
			case 3, 4:
				coef[i] = []int16{32767, -32768, -32767, 1, -1}[rng.IntN(5)]
			case 5:
				// dequantized exactly at or just past ±35000
				q[i] = 1000
				coef[i] = []int16{35, -35, 36, -36}[rng.IntN(4)]
			case 6:
				q[i] = 1
				coef[i] = int16(35000 + rng.IntN(3) - 1)
				if rng.IntN(2) == 0 {
					coef[i] = -coef[i]
				}
			default:
				coef[i] = int16(rng.IntN(65536) - 32768)
			}
		}
		want := make([]uint8, 9*stride)
		got := make([]uint8, 9*stride)
		for i := range want {
			want[i] = uint8(i * 7)
			got[i] = uint8(i * 7)
		}
		idctBlockGo(want[stride+3:], stride, &coef, &q)
		if idctAVX2(&got[stride+3], stride, &coef, &q) {
			took++
		} else {
			fell++
			idctBlockGo(got[stride+3:], stride, &coef, &q)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("block %d (mode %d) differs:\ncoef %v\nq %v\nAVX2 %v\nGo   %v", it, mode, coef, q, got, want)
		}
	}
	// both paths must have been exercised, the bound exactly where documented
	if took < 50000 || fell < 10000 {
		t.Errorf("AVX2 took %d blocks, Go %d", took, fell)
	}
	var coef [64]int16
	var q [64]uint16
	for i := range q {
		q[i] = 1
	}
	buf := make([]uint8, 8*8)
	for _, c := range []struct {
		v  int16
		ok bool
	}{{32767, true}, {-32768, true}} {
		coef[9] = c.v
		if idctAVX2(&buf[0], 8, &coef, &q) != c.ok {
			t.Errorf("coefficient %d: AVX2 path %v, want %v", c.v, !c.ok, c.ok)
		}
	}
	q[9] = 2
	coef[9] = 17500
	if !idctAVX2(&buf[0], 8, &coef, &q) {
		t.Error("dequantized 35000 must take the AVX2 path")
	}
	coef[9] = -17501
	if idctAVX2(&buf[0], 8, &coef, &q) {
		t.Error("dequantized -35002 must not take the AVX2 path")
	}
}
