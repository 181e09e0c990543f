package pretok

import (
	"unicode"
	"unicode/utf8"
)

// The scanners below each reproduce one pattern's leftmost-first,
// backtracking semantics, alternative by alternative; the comments name the
// alternative each step stands for. They never read past len(s) and treat an
// invalid UTF-8 byte as one character of class "other" (like U+FFFD).

// gpt2 is `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
func gpt2(s []byte) int {
	if len(s) == 0 {
		return 0
	}
	b := s[0]
	c, w := ascii[b], 1 // classAt by hand: it is too big to inline
	if c == cHigh {
		c, w = classDecode(s, 0)
	}
	i := 0
	if b == ' ' && len(s) > 1 { // ` ?` before a letter, number or other
		c2, w2 := ascii[s[1]], 1
		if c2 == cHigh {
			c2, w2 = classDecode(s, 1)
		}
		if c2&cS == 0 {
			c, w, i = c2, w2, 1
		}
	} else if b == '\'' {
		if n := contraction(s, false); n > 0 {
			return n
		}
	}
	switch {
	case c&cL != 0:
		return letters(s, i+w)
	case c&cN != 0:
		return span(s, i+w, cN, cN)
	case c&cS == 0:
		return span(s, i+w, mOther, 0)
	}
	end, _, last := spaces(s)
	if end < len(s) && last > 0 { // \s+(?!\S) gives back the last space
		return last
	}
	return end // \s+ to the end, or a single \s
}

// cl100k is tiktoken 0.14.0's `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|
// \p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`.
func cl100k(s []byte) int { return clStyle(s, 3, true) }

// llama3 is `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
func llama3(s []byte) int { return clStyle(s, 3, false) }

// qwen2 is llama3 with `\p{N}` in place of `\p{N}{1,3}`.
func qwen2(s []byte) int { return clStyle(s, 1, false) }

// clStyle scans the cl100k family. maxDigits is the digit group size;
// tailWhole selects tiktoken 0.14's `\s++$` alternative, which keeps a
// whitespace run that ends the text whole even when it holds a newline.
func clStyle(s []byte, maxDigits int, tailWhole bool) int {
	if len(s) == 0 {
		return 0
	}
	b := s[0]
	if b == '\'' {
		if n := contraction(s, true); n > 0 {
			return n
		}
	}
	c, w := ascii[b], 1 // classAt by hand: it is too big to inline
	if c == cHigh {
		c, w = classDecode(s, 0)
	}
	switch {
	case c&cL != 0: // \p{L}+
		return letters(s, w)
	case c&cN != 0: // \p{N}{1,maxDigits}
		return digits(s, w, maxDigits)
	}
	if c&cNL == 0 && w < len(s) { // c is in [^\r\n\p{L}\p{N}]
		c2, w2 := ascii[s[w]], 1
		if c2 == cHigh {
			c2, w2 = classDecode(s, w)
		}
		if c2&cL != 0 { // [^\r\n\p{L}\p{N}]\p{L}+
			return letters(s, w+w2)
		}
		if b == ' ' && c2&mOther == 0 { // ' '[^\s\p{L}\p{N}]+[\r\n]*
			return span(s, span(s, w+w2, mOther, 0), cNL, cNL)
		}
	}
	if c&cS == 0 { // [^\s\p{L}\p{N}]+[\r\n]*
		return span(s, span(s, w, mOther, 0), cNL, cNL)
	}
	return clSpaces(s, tailWhole)
}

// clSpaces is `\s*[\r\n]+|\s+(?!\S)|\s+` at a space, preceded by `\s++$`
// when tailWhole.
func clSpaces(s []byte, tailWhole bool) int {
	end, nl, last := spaces(s)
	switch {
	case tailWhole && end == len(s):
		return end
	case nl > 0: // \s* backtracks to the last newline of the run
		return nl
	case end < len(s) && last > 0: // \s+(?!\S) gives back the last space
		return last
	}
	return end
}

// o200k is `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
// [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
// \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
func o200k(s []byte) int {
	if len(s) == 0 {
		return 0
	}
	c, w := ascii[s[0]], 1 // classAt by hand: it is too big to inline
	if c == cHigh {
		c, w = classDecode(s, 0)
	}
	end := -1
	switch {
	case c&cL != 0: // a letter cannot be the prefix; alternative 2 always succeeds
		end, _ = word(s, 0)
	case c&cN != 0:
		return digits(s, w, 3)
	case c&mPrefix == 0: // the first character may be the optional prefix
		if w < len(s) {
			e, alt1 := word(s, w)
			if alt1 || c&(cU|cW) == 0 {
				end = e
			}
		}
		if end < 0 && c&(cU|cW) != 0 { // a mark: alternative 1 without the prefix
			end, _ = word(s, 0)
		}
	}
	if end > 0 {
		if end < len(s) && s[end] == '\'' {
			end += contraction(s[end:], true)
		}
		return end
	}
	i := w
	if s[0] == ' ' && w < len(s) {
		if c2, w2 := classAt(s, w); c2&mOther == 0 {
			c, i = c2, w+w2
		}
	}
	if c&mOther == 0 { // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
		i = span(s, i, mOther, 0)
		for i < len(s) && (s[i] == '\r' || s[i] == '\n' || s[i] == '/') {
			i++
		}
		return i
	}
	return clSpaces(s, false)
}

// word matches o200k's two letter alternatives (without the contraction) at
// s[p]: first U*W+, where the greedy U* backtracks to the last character that
// is also in W if no W follows the U run; else U+W*. It returns the end and
// whether alternative 1 matched, or -1 if neither did.
func word(s []byte, p int) (int, bool) {
	// ASCII fast path: an ASCII U run has no character that is also in W.
	i := p
	if i < len(s) && s[i]-'A' < 26 { // most words start in lower case
		i = asciiRun(s, i+1, 'A', 'Z', 0)
	}
	if i == len(s) || s[i] < utf8.RuneSelf {
		if i < len(s) && 'a' <= s[i] && s[i] <= 'z' {
			j := asciiRun(s, i, 'a', 'z', 0)
			if j < len(s) && s[j] >= utf8.RuneSelf {
				j = spanDecode(s, j, cW, cW)
			}
			return j, true
		}
		if i > p {
			return i, false
		}
		return -1, false
	}
	return wordDecode(s, p)
}

// wordDecode is word for any input.
func wordDecode(s []byte, p int) (int, bool) {
	i, lastBoth := p, -1
	for i < len(s) {
		c, n := classAt(s, i)
		if c&cU == 0 {
			if c&cW != 0 { // U* then W+
				return span(s, i+n, cW, cW), true
			}
			break
		}
		i += n
		if c&cW != 0 {
			lastBoth = i
		}
	}
	switch {
	case lastBoth > 0: // U* gave back all after the last W: W+ is that one character
		return lastBoth, true
	case i > p: // U+ and an empty W*
		return i, false
	}
	return -1, false
}

// digits is \p{N}{1,max} with the first number (of width w) already matched.
func digits(s []byte, w, max int) int {
	i := w
	for k := 1; k < max && i < len(s); k++ {
		c, n := classAt(s, i)
		if c&cN == 0 {
			break
		}
		i += n
	}
	return i
}

// spaces measures the \s run at the start of s: its end, the end of its last
// \r or \n (0 if none), and the start of its last character (0 if the run is
// one character long).
func spaces(s []byte) (end, nl, last int) {
	for end < len(s) {
		c, n := classAt(s, end)
		if c&cS == 0 {
			break
		}
		last = end
		end += n
		if c&cNL != 0 {
			nl = end
		}
	}
	return end, nl, last
}

// contraction returns the length of the contraction at s (s[0] is an apostrophe), or
// 0: `'s|'t|'re|'ve|'m|'ll|'d`, case-insensitively when fold is set.
func contraction(s []byte, fold bool) int {
	if len(s) < 2 {
		return 0
	}
	a, n := letterAt(s, 1, fold)
	switch a {
	case 's', 't', 'm', 'd':
		return 1 + n
	case 'r', 'v', 'l':
		if 1+n < len(s) {
			if b, m := letterAt(s, 1+n, fold); b == contractionSecond[a] {
				return 1 + n + m
			}
		}
	}
	return 0
}

// contractionSecond is the second letter of the two-letter contractions.
var contractionSecond = map[byte]byte{'r': 'e', 'v': 'e', 'l': 'l'}

// letterAt returns the lowercase ASCII letter the character at s[i] is (or,
// with fold, matches case-insensitively) and its width; 0 if none.
func letterAt(s []byte, i int, fold bool) (byte, int) {
	b := s[i]
	switch {
	case !fold:
		return b, 1
	case b < utf8.RuneSelf:
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return b, 1
	}
	r, n := utf8.DecodeRune(s[i:])
	return foldsTo[r], n
}

// foldsTo maps each non-ASCII rune whose simple case fold orbit holds one of
// the contraction letters to that letter (only U+017F ſ → s in Unicode 15;
// U+212A KELVIN SIGN folds to k, which no contraction uses). Python regex's
// (?i) uses simple case folding too; diff_test.go checks the two agree.
var foldsTo = func() map[rune]byte {
	m := map[rune]byte{}
	for _, a := range "dlmrstve" {
		for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
			if r >= utf8.RuneSelf {
				m[r] = byte(a)
			}
		}
	}
	return m
}()
