package text

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unicode/utf8"
)

// TestHFMergeBucket: the bucket queue merges exactly like the heap on long
// words (real text, runs of one character, random characters), for mistral
// (ranks ≠ ids, no pre-tokenizer) and gpt2.
func TestHFMergeBucket(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"mistral", "gpt2"} {
		m := hfTokenizer(t, name).hf.m
		alpha := []rune("aaaaab ▁▁▁▁\n的xyzé0<")
		var inputs [][]byte
		for range 30 {
			var b []byte
			n := 2000 + r.IntN(20000)
			for len(b) < n {
				if r.IntN(3) == 0 {
					c := alpha[r.IntN(len(alpha))]
					for range r.IntN(40) {
						b = utf8.AppendRune(b, c)
					}
				}
				b = utf8.AppendRune(b, alpha[r.IntN(len(alpha))])
			}
			inputs = append(inputs, b)
		}
		for i, in := range inputs {
			w1, w2 := &word{}, &word{}
			m.symbols(w1, in)
			m.symbols(w2, in)
			m.mergeLarge(w1)
			m.mergeBucket(w2)
			if !slices.Equal(w1.ids, w2.ids) || !slices.Equal(w1.ends, w2.ends) {
				t.Fatalf("%s input %d: bucket merge differs from heap merge", name, i)
			}
		}
	}
}
