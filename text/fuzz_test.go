package text

import (
	"testing"
)

// FuzzRoundTrip: for any bytes and every embedded encoding (specials as text
// and allowed), Decode(Encode(b)) == b, Count == len(Encode), and streaming
// decode equals DecodeString. Seeds: text/testdata/fuzz/FuzzRoundTrip.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello world"))
	f.Add([]byte(" \xec\x8b\xa4\xed"))
	f.Add([]byte("<|endoftext|>x<|fim_prefix|>"))
	var toks []*Tokenizer
	for _, enc := range Encodings() {
		toks = append(toks, tok(f, enc, false), tok(f, enc, true))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, tk := range toks {
			roundTrip(t, tk, in)
		}
	})
}
