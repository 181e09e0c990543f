package pretok

import (
	"bytes"
	"testing"
)

// FuzzSplit checks every scanner's invariants on arbitrary bytes: no panic,
// a result in [1, len], pieces that concatenate to the input, and an invalid
// byte splitting like U+FFFD.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"", "Hello, world!", "a\n  ", "don'T 'ſ", "\xff\xc3x", "  \u3000\n\t/x", "HelloWorld12345", ".NET 3\x00ab ©x 12!"} {
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
		for _, name := range matcherNames { // matcherLens checks range, cover, maximal gaps
			m := mustLookupMatcher(t, name)
			if got, want := matcherLens(t, m, s), matcherLens(t, m, []byte(pythonText(s))); got != want {
				t.Fatalf("%s %q: %s, with U+FFFD: %s", name, s, got, want)
			}
			if got, want := lmRun(s, 0), spanAny(s, 0, mLM); got != want {
				t.Fatalf("lmRun(%q) = %d, generic %d", s, got, want)
			}
		}
		checkFastPaths(t, s)
	})
}

// spanAny is the generic loop lmRun shortcuts: the run from s[i] of
// characters whose class has any bit of mask.
func spanAny(s []byte, i int, mask uint8) int {
	for i < len(s) {
		c, n := classAt(s, i)
		if c&mask == 0 {
			return i
		}
		i += n
	}
	return i
}

// checkFastPaths checks that the ASCII fast paths agree with the generic
// loops they shortcut, at every start position of s.
func checkFastPaths(t *testing.T, s []byte) {
	for i := range len(s) {
		if got, want := letters(s, i), spanDecode(s, i, cL, cL); got != want {
			t.Fatalf("letters(%q, %d) = %d, generic %d", s, i, got, want)
		}
		e1, a1 := word(s, i)
		e2, a2 := wordDecode(s, i)
		if e1 != e2 || a1 != a2 {
			t.Fatalf("word(%q, %d) = %d %v, generic %d %v", s, i, e1, a1, e2, a2)
		}
	}
}

// TestFastPaths runs checkFastPaths on random strings and on ASCII-heavy
// ones (longer than the 8-byte blocks).
func TestFastPaths(t *testing.T) {
	Lookup("gpt2")
	for _, s := range randomStrings(3, 20_000, 12) {
		checkFastPaths(t, s)
	}
	for _, s := range []string{"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZabc", "ABCDEFGHIJKLMNOP", "@[`{ZAaz",
		"helloWorldFOObarBAZquux", "abcdefgé", "ABCDEFGHÉ", "abcdefg\xffhij", "ǅemalABCDEFGHIJabcdefghij"} {
		checkFastPaths(t, []byte(s))
	}
}
