package pretok

import "unicode/utf8"

// Matcher returns the length in bytes of the first piece of s, for
// len(s) > 0, and whether that piece is a regex match; a piece that is not
// is a maximal run of characters at none of which the pattern matches (the
// text regex.finditer skips). Calling it repeatedly on the remainder gives
// finditer's matches and the gaps between them, so the pieces cover s. It
// returns (0, false) only for an empty s. A Matcher is safe for concurrent
// use.
type Matcher func(s []byte) (n int, match bool)

// deepseek3Pattern is the third Split regex of DeepSeek-V3's tokenizer.json,
// byte for byte. Unlike the tiktoken patterns it can leave gaps: a number or
// control character not followed by a letter or mark matches no alternative.
const deepseek3Pattern = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|" +
	"[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"

// matchers are the patterns with gaps, by name.
var matchers = map[string]matcherEntry{
	"deepseek3": {deepseek3, deepseek3Pattern},
}

type matcherEntry struct {
	m       Matcher
	pattern string
}

// LookupMatcher returns the Matcher for a pattern name, and false for an
// unknown one. Names: "deepseek3" (DeepSeek-V3's third Split regex; its
// first two, \p{N}{1,3} and a CJK range run, are simple enough for the
// caller). Pattern(name) returns its text.
func LookupMatcher(name string) (Matcher, bool) {
	e, ok := matchers[name]
	if !ok {
		return nil, false
	}
	tablesOnce.Do(initTables)
	return e.m, true
}

// Class masks of the DeepSeek-V3 pattern.
const (
	mLM       = cL | cU | cW  // class&mLM != 0 ⇔ [\p{L}\p{M}] (cU|cW is L ∪ M)
	mDSPrefix = cNL | cL | cP // class&mDSPrefix == 0 ⇔ [^\r\n\p{L}\p{P}\p{S}]
	mDSStart  = mLM | cP | cS // a character in none of these starts no match by itself
)

// deepseek3 is `[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|
// [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|
// \s+(?!\S)|\s+`.
func deepseek3(s []byte) (int, bool) {
	if len(s) == 0 {
		return 0, false
	}
	b := s[0]
	c, w := ascii[b], 1 // classAt by hand: it is too big to inline
	if c == cHigh {
		c, w = classDecode(s, 0)
	}
	if c&mLM != 0 { // [\p{L}\p{M}]+ (a mark taken as the prefix gives the same end)
		return lmRun(s, w), true
	}
	if c&cP != 0 {
		// the ASCII punctuation class holds every printable ASCII byte that
		// is not alphanumeric, so cP and b < 0x80 is that class
		if b < utf8.RuneSelf && w < len(s) && (s[w]|0x20)-'a' < 26 { // [punct][A-Za-z]+
			return asciiRun(s, w+1, 'a', 'z', 0x20), true
		}
		return span(s, span(s, w, cP, cP), cNL, cNL), true // [\p{P}\p{S}]+[\r\n]*
	}
	if c&mDSPrefix == 0 && w < len(s) {
		c2, w2 := ascii[s[w]], 1
		if c2 == cHigh {
			c2, w2 = classDecode(s, w)
		}
		if c2&mLM != 0 { // [^\r\n\p{L}\p{P}\p{S}][\p{L}\p{M}]+
			return lmRun(s, w+w2), true
		}
		if b == ' ' && c2&cP != 0 { // ' '[\p{P}\p{S}]+[\r\n]*
			return span(s, span(s, w+w2, cP, cP), cNL, cNL), true
		}
	}
	if c&cS != 0 {
		return clSpaces(s, false), true
	}
	// No alternative matches here: a gap up to the next character that
	// starts a match, by itself or as the prefix of a letter or mark.
	i := w
	for i < len(s) {
		c, n := classAt(s, i)
		if c&mDSStart != 0 {
			break
		}
		if i+n < len(s) {
			if c2, _ := classAt(s, i+n); c2&mLM != 0 {
				break
			}
		}
		i += n
	}
	return i, false
}

// lmRun returns the end of the run of [\p{L}\p{M}] from s[i], ASCII letters
// eight bytes at a time.
func lmRun(s []byte, i int) int {
	for {
		i = asciiRun(s, i, 'a', 'z', 0x20)
		if i == len(s) || s[i] < utf8.RuneSelf {
			return i
		}
		c, n := classDecode(s, i)
		if c&mLM == 0 {
			return i
		}
		i += n
	}
}
