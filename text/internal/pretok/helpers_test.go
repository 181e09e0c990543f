package pretok

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// names are the distinct scanners; each is checked against its own pattern.
var names = []string{"gpt2", "cl100k", "llama3", "qwen2", "o200k"}

// matcherNames are the Matchers (patterns with gaps).
var matcherNames = []string{"deepseek3"}

func mustLookupMatcher(t testing.TB, name string) Matcher {
	t.Helper()
	m, ok := LookupMatcher(name)
	if !ok {
		t.Fatalf("LookupMatcher(%q) failed", name)
	}
	return m
}

// matcherLens is charLens for a Matcher, in ref_split.py --gaps format: a
// gap of N characters is "-N". It also reports two gaps in a row (a gap is
// maximal).
func matcherLens(t testing.TB, m Matcher, s []byte) string {
	t.Helper()
	var out []string
	i, gap := 0, false
	for i < len(s) {
		n, match := m(s[i:])
		if n < 1 || n > len(s)-i {
			t.Fatalf("Matcher returned %d for %d bytes left of %q", n, len(s)-i, s)
		}
		if !match && gap {
			t.Fatalf("two gaps in a row at byte %d of %q", i, s)
		}
		gap = !match
		chars, j := 0, i
		for j < i+n {
			_, w := utf8.DecodeRune(s[j:])
			j += w
			chars++
		}
		if j != i+n {
			t.Fatalf("piece %q of %q ends inside a character", s[i:i+n], s)
		}
		if !match {
			chars = -chars
		}
		out = append(out, strconv.Itoa(chars))
		i += n
	}
	return strings.Join(out, " ")
}

func mustLookup(t testing.TB, name string) Func {
	t.Helper()
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("Lookup(%q) failed", name)
	}
	return f
}

// pythonText is s as Python sees it: each invalid UTF-8 byte becomes U+FFFD,
// so characters line up one to one with the scanners' characters.
func pythonText(s []byte) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

// charLens splits s with f and returns the piece lengths in characters (an
// invalid byte counts as one), space-separated, in ref_split.py's format. It
// reports a piece that ends inside a character, an out-of-range result, or
// pieces that do not cover s.
func charLens(t testing.TB, f Func, s []byte) string {
	t.Helper()
	var out []string
	i := 0
	for i < len(s) {
		n := f(s[i:])
		if n < 1 || n > len(s)-i {
			t.Fatalf("Func returned %d for %d bytes left of %q", n, len(s)-i, s)
		}
		chars, j := 0, i
		for j < i+n {
			_, w := utf8.DecodeRune(s[j:])
			j += w
			chars++
		}
		if j != i+n {
			t.Fatalf("piece %q of %q ends inside a character", s[i:i+n], s)
		}
		out = append(out, strconv.Itoa(chars))
		i += n
	}
	return strings.Join(out, " ")
}

// Pools of tricky pieces for random strings; a string is a concatenation of
// random picks (first a pool, then an item).
var pools = [][]string{
	// every White_Space character
	{"\t", "\n", "\v", "\f", "\r", " ", "\u0085", "\u00a0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003",
		"\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"},
	// near misses: not \s in Python regex
	{"\u180e", "\u200b", "\ufeff", "\x1c", "\x1d", "\x1e", "\x1f", "\u200c", "\u200d", "\u2060", "\x00", "\x7f", "\u0080", "\u009f", "\x1b[32m"},
	{" ", "  ", " ", "\r\n", "\n", "\r", "\n\n", " \n", "\t"},
	// letters: Latin (upper, lower, title), fold variants, many scripts, Lm, Lo
	{"a", "z", "A", "Z", "e", "é", "É", "ǅ", "ǈ", "ῼ", "ß", "ſ", "\u212a", "ı", "İ", "ﬀ", "ΐ", "α", "Ω", "ж", "Ж",
		"ا", "ש", "क", "ก", "中", "한", "ー", "ʰ", "々", "ª", "ǃ", "ꞔ", "𐐀", "𐐨", "ℌ", "Ⅰ", "ⅰ"},
	{"hello", "World", "XML", "Http", "DON", "don", "ABC", "iPhone", "Привет", "ΣΊΣΥΦΟΣ", "日本語", "ไทย", "हिन्दी", "مرحبا"},
	// marks: Mn, Mc, Me, in several scripts
	{"\u0301", "\u0308", "\u0903", "\u093f", "\u20dd", "\u0e31", "\u0e48", "\u064e", "\u05b7", "\u302a", "\ufe0f", "\U000e0100"},
	// numbers: Nd of many scripts, No, Nl
	{"0", "7", "9", "12", "345", "٣", "۴", "३", "๓", "１", "𝟘", "½", "Ⅷ", "²", "①", "〇", "𐍁", "↉"},
	// apostrophes and contraction letters in every case
	{"'", "'", "'", "’", "`", "ʼ", "s", "S", "t", "T", "re", "RE", "Re", "rE", "ve", "VE", "m", "M", "ll", "LL",
		"Ll", "lL", "d", "D", "ſ", "'s", "'S", "'LL", "'ſ", "'\u212a", "'ve", "'Re", "’s"},
	// slashes, punctuation, symbols
	{"/", "//", "///", "\\", ".", ",", "!", "?", "-", "_", "(", ")", "\"", "#", "@", "$", "%", "&", "*", "+", "=",
		"<", ">", "[", "]", "{", "}", "|", "~", "^", "…", "—", "«", "»", "©", "€", "¿", "、", "。", "\ufffd"},
	// emoji: ZWJ sequences, VS16, skin tones, flags, keycaps
	{"🙂", "👍🏽", "👨\u200d👩\u200d👧", "❤\ufe0f", "🇯🇵", "1\ufe0f\u20e3", "🧑\u200d💻", "🏳\ufe0f\u200d🌈"},
	// assigned after Unicode 15.0 (where Go's tables and Python regex differ),
	// private use, noncharacters, unassigned
	{"\u0295", "\u0558", "\u1c89", "\u1c8a", "\u0897", "\U0001e5d0", "\U00016d40", "\U00010d40", "\U00011f00",
		"\ue000", "\ufffe", "\U0010ffff", "\U000e0080", "\u0378"},
	// invalid UTF-8: stray continuation, bad lead, truncated sequences,
	// surrogate, overlong, beyond U+10FFFF
	{"\x80", "\xff", "\xc3", "\xed\xa0\x80", "\xf0\x9f\x98", "\xc0\xaf", "\xf4\x90\x80\x80", "\xe2\x82"},
}

// randomStrings returns n strings of 1..maxItems random picks, from a
// fixed seed so failures are reproducible.
func randomStrings(seed uint64, n, maxItems int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([][]byte, n)
	for i := range out {
		var b []byte
		for k := 1 + rng.IntN(maxItems); k > 0; k-- {
			p := pools[rng.IntN(len(pools))]
			b = append(b, p[rng.IntN(len(p))]...)
		}
		out[i] = b
	}
	return out
}
