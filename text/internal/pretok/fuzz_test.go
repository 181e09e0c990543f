package pretok

import (
	"bytes"
	"testing"
)

// FuzzSplit checks every scanner's invariants on arbitrary bytes: no panic,
// a result in [1, len], pieces that concatenate to the input, and an invalid
// byte splitting like U+FFFD.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"", "Hello, world!", "a\n  ", "don'T 'ſ", "\xff\xc3x", "  \u3000\n\t/x", "HelloWorld12345"} {
		f.Add([]byte(s))
	}
	fs := make([]Func, len(names))
	for i, n := range names {
		fs[i] = mustLookup(f, n)
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		for i, fn := range fs {
			var joined []byte
			for rest := s; len(rest) > 0; {
				n := fn(rest)
				if n < 1 || n > len(rest) {
					t.Fatalf("%s returned %d for %q", names[i], n, rest)
				}
				joined = append(joined, rest[:n]...)
				rest = rest[n:]
			}
			if !bytes.Equal(joined, s) {
				t.Fatalf("%s: pieces of %q concatenate to %q", names[i], s, joined)
			}
			if got, want := charLens(t, fn, s), charLens(t, fn, []byte(pythonText(s))); got != want {
				t.Fatalf("%s %q: %s, with U+FFFD: %s", names[i], s, got, want)
			}
		}
	})
}
