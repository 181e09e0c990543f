package text

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"github.com/tokenfab/tokenfab/text/internal/pretok"
)

// span is a range of the original input in bytes.
type span struct{ s, e int32 }

// hfStr is HF's NormalizedString reduced to what encoding needs: the
// normalized bytes and, when offsets are wanted, the original range of each
// normalized byte (al is nil otherwise). Sub-slices share storage.
type hfStr struct {
	b  []byte
	al []span
}

func (h hfStr) slice(i, j int) hfStr {
	if h.al == nil {
		return hfStr{b: h.b[i:j]}
	}
	return hfStr{b: h.b[i:j], al: h.al[i:j]}
}

// mspan is one element of HF's Pattern::find_matches: a range of the string
// and whether it is a match. The list covers the string contiguously.
type mspan struct {
	s, e  int
	match bool
}

// matcher is a split pattern.
type matcher interface {
	matches(dst []mspan, s []byte) []mspan
}

// funcMatcher is a pretok scanner: every piece is a match, no gaps.
type funcMatcher struct{ f pretok.Func }

func (m funcMatcher) matches(dst []mspan, s []byte) []mspan {
	for i := 0; i < len(s); {
		n := pieceLen(m.f, s[i:])
		dst = append(dst, mspan{i, i + n, true})
		i += n
	}
	return dst
}

// decodeRunes returns the runes of s (an invalid byte is U+FFFD of width 1)
// and the byte offset of each rune, plus len(s) at the end, appended to rs
// and offs.
func decodeRunes(s []byte, rs []rune, offs []int) ([]rune, []int) {
	rs, offs = rs[:0], offs[:0]
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		rs = append(rs, r)
		offs = append(offs, i)
		i += n
	}
	return rs, append(offs, len(s))
}

// regexMatcher runs a tokenizer.json Regex with regexp2 (a backtracking
// engine with lookaround, like HF's Oniguruma). Iteration follows the onig
// crate: an empty match right after the previous match is skipped.
type regexMatcher struct{ re *regexp2.Regexp }

func newRegexMatcher(pattern string) (*regexMatcher, error) {
	re, err := regexp2.Compile(pattern, regexp2.Multiline)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = hfRegexTimeout
	return &regexMatcher{re: re}, nil
}

// hfRegexTimeout bounds one regex search of a generic Split/Replace pattern
// (a backtracking engine can take exponential time on a hostile pattern, as
// HF's Oniguruma can). When it expires the rest of the piece is left
// unmatched.
var hfRegexTimeout = 10 * time.Second

func (m *regexMatcher) matches(dst []mspan, s []byte) []mspan {
	if len(s) == 0 {
		return dst
	}
	rb := runeBufs.Get().(*runeBuf)
	defer runeBufs.Put(rb)
	rs, offs := decodeRunes(s, rb.rs, rb.offs)
	rb.rs, rb.offs = rs, offs
	prev, lastEnd, start := 0, -1, 0
	for start <= len(rs) {
		mt, err := m.re.FindRunesMatchStartingAt(rs, start)
		if err != nil || mt == nil {
			break
		}
		a, b := mt.Index, mt.Index+mt.Length
		if a == b && a == lastEnd {
			start = a + 1
			continue
		}
		if prev != a {
			dst = append(dst, mspan{offs[prev], offs[a], false})
		}
		dst = append(dst, mspan{offs[a], offs[b], true})
		prev, lastEnd = b, b
		start = b
		if a == b {
			start = b + 1
		}
	}
	if prev != len(rs) {
		dst = append(dst, mspan{offs[prev], len(s), false})
	}
	return dst
}

// runMatcher matches runs of characters of one class, at most max
// characters each (0: unbounded): the regexes \p{N}{1,3} and
// [一-龥぀-ゟ゠-ヿ]+ of DeepSeek-V3 without a regex engine.
type runMatcher struct {
	in  func(rune) bool
	max int
	asc *[utf8.RuneSelf]bool // in of each ASCII character
}

func newRunMatcher(in func(rune) bool, max int) runMatcher {
	m := runMatcher{in, max, new([utf8.RuneSelf]bool)}
	for b := range m.asc {
		m.asc[b] = in(rune(b))
	}
	return m
}

func (m runMatcher) matches(dst []mspan, s []byte) []mspan {
	prev := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf && !m.asc[b] { // most text: no call, no decode
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if (r == utf8.RuneError && n == 1) || !m.in(r) {
			i += n
			continue
		}
		j, k := i+n, 1
		for j < len(s) && (m.max == 0 || k < m.max) {
			r2, n2 := utf8.DecodeRune(s[j:])
			if (r2 == utf8.RuneError && n2 == 1) || !m.in(r2) {
				break
			}
			j += n2
			k++
		}
		if prev != i {
			dst = append(dst, mspan{prev, i, false})
		}
		dst = append(dst, mspan{i, j, true})
		prev, i = j, j
	}
	if prev != len(s) {
		dst = append(dst, mspan{prev, len(s), false})
	}
	return dst
}

// runPatterns are regexes that a hand-written matcher reproduces exactly:
// DeepSeek-V3's three Split regexes (the third is checked against Python
// regex in text/internal/pretok, all three against HF by TestHFGolden and
// TestHFCorpusParity).
var runPatterns = map[string]matcher{
	`\p{N}{1,3}`: newRunMatcher(func(r rune) bool { return unicode.IsNumber(r) }, 3),
	"[一-龥\u3040-ゟ゠-ヿ]+": newRunMatcher(func(r rune) bool {
		return r >= 0x4E00 && r <= 0x9FA5 || r >= 0x3040 && r <= 0x309F || r >= 0x30A0 && r <= 0x30FF
	}, 0),
	pretok.Pattern("deepseek3"): gapMatcher{"deepseek3"},
}

// gapMatcher is a pretok.Matcher, by name: a pattern that may leave gaps
// between its matches. (The lookup is per call, not at init, so that
// importing text does not build pretok's tables.)
type gapMatcher struct{ name string }

func (m gapMatcher) matches(dst []mspan, s []byte) []mspan {
	f, ok := pretok.LookupMatcher(m.name)
	if !ok {
		panic("pretok has no matcher " + m.name)
	}
	for i := 0; i < len(s); {
		n, ok := f(s[i:])
		if n < 1 || n > len(s)-i { // impossible for pretok's Matchers
			n, ok = len(s)-i, false
		}
		dst = append(dst, mspan{i, i + n, ok})
		i += n
	}
	return dst
}

type runeBuf struct {
	rs   []rune
	offs []int
}

var runeBufs = sync.Pool{New: func() any { return new(runeBuf) }}

// stringMatcher matches a literal (HF escapes String patterns into a regex).
type stringMatcher struct{ lit []byte }

func (m stringMatcher) matches(dst []mspan, s []byte) []mspan {
	if len(m.lit) == 0 {
		return append(dst, mspan{0, len(s), false})
	}
	prev := 0
	for i := 0; i <= len(s); {
		j := bytes.Index(s[i:], m.lit)
		if j < 0 {
			break
		}
		a := i + j
		if prev != a {
			dst = append(dst, mspan{prev, a, false})
		}
		dst = append(dst, mspan{a, a + len(m.lit), true})
		prev = a + len(m.lit)
		i = prev
	}
	if prev != len(s) {
		dst = append(dst, mspan{prev, len(s), false})
	}
	return dst
}

// charMatcher is HF's Pattern for Fn(char) -> bool: every matching character
// is a match of its own.
type charMatcher func(rune) bool

func (m charMatcher) matches(dst []mspan, s []byte) []mspan {
	last := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		if m(r) {
			if last < i {
				dst = append(dst, mspan{last, i, false})
			}
			dst = append(dst, mspan{i, i + n, true})
			last = i + n
		}
		i += n
	}
	if last < len(s) {
		dst = append(dst, mspan{last, len(s), false})
	}
	return dst
}

type invertMatcher struct{ m matcher }

func (m invertMatcher) matches(dst []mspan, s []byte) []mspan {
	n := len(dst)
	dst = m.m.matches(dst, s)
	for i := n; i < len(dst); i++ {
		dst[i].match = !dst[i].match
	}
	return dst
}

type behavior int

const (
	bRemoved behavior = iota
	bIsolated
	bMergedWithPrevious
	bMergedWithNext
	bContiguous
)

var behaviors = map[string]behavior{
	"Removed": bRemoved, "Isolated": bIsolated, "MergedWithPrevious": bMergedWithPrevious,
	"MergedWithNext": bMergedWithNext, "Contiguous": bContiguous,
}

// splitBy is HF's NormalizedString::split: the pieces of p by the matches of
// m under behavior b, appended to out (empty pieces dropped, as
// PreTokenizedString::split does).
func splitBy(out []hfStr, p hfStr, m matcher, b behavior, buf *[]mspan) []hfStr {
	ms := m.matches((*buf)[:0], p.b)
	*buf = ms
	if b == bIsolated || b == bRemoved { // every span is a piece
		if n := len(out) + len(ms); n > cap(out) {
			out = slices.Grow(out, max(n, 2*cap(out))-len(out)) // see below
		}
		for _, x := range ms {
			if !(b == bRemoved && x.match) && x.e > x.s {
				out = append(out, p.slice(x.s, x.e))
			}
		}
		return out
	}
	type rng struct {
		s, e   int
		remove bool
	}
	var rs []rng
	switch b {
	case bContiguous:
		prev := false
		for _, x := range ms {
			if x.match == prev && len(rs) > 0 {
				rs[len(rs)-1].e = x.e
			} else {
				rs = append(rs, rng{x.s, x.e, false})
			}
			prev = x.match
		}
	case bMergedWithPrevious:
		prev := false
		for _, x := range ms {
			if x.match && !prev && len(rs) > 0 {
				rs[len(rs)-1].e = x.e
			} else {
				rs = append(rs, rng{x.s, x.e, false})
			}
			prev = x.match
		}
	case bMergedWithNext:
		prev := false
		for i := len(ms) - 1; i >= 0; i-- {
			x := ms[i]
			if x.match && !prev && len(rs) > 0 {
				rs[len(rs)-1].s = x.s
			} else {
				rs = append(rs, rng{x.s, x.e, false})
			}
			prev = x.match
		}
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
	}
	if n := len(out) + len(rs); n > cap(out) {
		// double: append grows a big slice by only 1.25×, and the list of
		// a whole text's pieces is big (5× its final size was allocated)
		out = slices.Grow(out, max(n, 2*cap(out))-len(out))
	}
	for _, r := range rs {
		if !r.remove && r.e > r.s {
			out = append(out, p.slice(r.s, r.e))
		}
	}
	return out
}

// preStage is one pre-tokenizer of the chain.
type preStage interface {
	split(out []hfStr, p hfStr, buf *[]mspan) []hfStr
}

type splitStage struct {
	m matcher
	b behavior
}

func (s *splitStage) split(out []hfStr, p hfStr, buf *[]mspan) []hfStr {
	return splitBy(out, p, s.m, s.b, buf)
}

// byteLevelStage is the splitting half of HF's ByteLevel pre-tokenizer (the
// byte-to-unicode mapping is built into the model's byte mode).
type byteLevelStage struct {
	prefixSpace bool
	re          matcher // nil when use_regex is false
}

func (s *byteLevelStage) split(out []hfStr, p hfStr, buf *[]mspan) []hfStr {
	if s.prefixSpace && (len(p.b) == 0 || p.b[0] != ' ') {
		p = prependStr(p, " ")
	}
	if s.re == nil {
		if len(p.b) > 0 {
			out = append(out, p)
		}
		return out
	}
	return splitBy(out, p, s.re, bIsolated, buf)
}

// metaspaceStage is HF's Metaspace pre-tokenizer.
type metaspaceStage struct {
	repl    string
	scheme  string // "always" | "first" | "never"
	doSplit bool
}

func (s *metaspaceStage) split(out []hfStr, p hfStr, buf *[]mspan) []hfStr {
	p = replaceStr(p, stringMatcher{[]byte(" ")}, s.repl)
	if !bytes.HasPrefix(p.b, []byte(s.repl)) {
		switch s.scheme {
		case "always":
			p = prependStr(p, s.repl)
		case "first":
			if p.al == nil || (len(p.al) > 0 && p.al[0].s == 0) {
				p = prependStr(p, s.repl)
			}
		}
	}
	if !s.doSplit {
		if len(p.b) > 0 {
			out = append(out, p)
		}
		return out
	}
	r, _ := utf8.DecodeRuneInString(s.repl)
	return splitBy(out, p, charMatcher(func(c rune) bool { return c == r }), bMergedWithNext, buf)
}

// isWordChar is Rust regex's Unicode \w.
func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.M, r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Pc, r) || r == 0x200C || r == 0x200D
}

// isWhite is Unicode White_Space (Rust char::is_whitespace, regex \s).
func isWhite(r rune) bool { return unicode.Is(unicode.White_Space, r) }

// whitespaceMatcher is the regex \w+|[^\w\s]+ of HF's Whitespace pre-tokenizer.
type whitespaceMatcher struct{}

func (whitespaceMatcher) matches(dst []mspan, s []byte) []mspan {
	prev := 0
	class := func(r rune) int {
		switch {
		case isWordChar(r):
			return 1
		case isWhite(r):
			return 0
		}
		return 2
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		c := class(r)
		if c == 0 {
			i += n
			continue
		}
		j := i + n
		for j < len(s) {
			r2, n2 := utf8.DecodeRune(s[j:])
			if class(r2) != c {
				break
			}
			j += n2
		}
		if prev != i {
			dst = append(dst, mspan{prev, i, false})
		}
		dst = append(dst, mspan{i, j, true})
		prev, i = j, j
	}
	if prev != len(s) {
		dst = append(dst, mspan{prev, len(s), false})
	}
	return dst
}

// isPunct is HF's Punctuation test: ASCII punctuation or Unicode P.
func isPunct(r rune) bool {
	return (r < 0x80 && unicode.IsPunct(r)) || (r < 0x80 && unicode.IsSymbol(r)) || unicode.Is(unicode.P, r)
}

// isNumeric is Rust char::is_numeric (Nd, Nl, No).
func isNumeric(r rune) bool { return unicode.IsNumber(r) }

// parsePreTokenizer turns a pre_tokenizer object into stages (a Sequence is
// flattened). byteLevel reports a ByteLevel stage, which must come last.
func parsePreTokenizer(c *hfComponent, stages []preStage, byteLevel *bool) ([]preStage, error) {
	if *byteLevel {
		return nil, fmt.Errorf("pre_tokenizer %q after ByteLevel is not supported", c.Type)
	}
	switch c.Type {
	case "Sequence":
		for i := range c.PreTokenizers {
			var err error
			if stages, err = parsePreTokenizer(&c.PreTokenizers[i], stages, byteLevel); err != nil {
				return nil, err
			}
		}
		return stages, nil
	case "ByteLevel":
		st := &byteLevelStage{prefixSpace: c.AddPrefixSpace != nil && *c.AddPrefixSpace}
		if c.UseRegex == nil || *c.UseRegex {
			f, _ := pretok.Lookup("gpt2")
			st.re = funcMatcher{f}
		}
		*byteLevel = true
		if st.re == nil && !st.prefixSpace && len(stages) > 0 {
			// an identity stage (DeepSeek-V3's): copying every piece to a
			// new list cost a quarter of its encode time
			return stages, nil
		}
		return append(stages, st), nil
	case "Split":
		m, err := c.Pattern.matcher("pre_tokenizer Split")
		if err != nil {
			return nil, err
		}
		b, ok := behaviors[c.Behavior]
		if !ok {
			return nil, fmt.Errorf("pre_tokenizer Split: behavior %q is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous", c.Behavior)
		}
		if c.Invert {
			m = invertMatcher{m}
		}
		return append(stages, &splitStage{m: m, b: b}), nil
	case "Metaspace":
		repl := "▁"
		if c.Replacement != nil {
			repl = *c.Replacement
		}
		if utf8.RuneCountInString(repl) != 1 {
			return nil, fmt.Errorf("pre_tokenizer Metaspace: replacement %q is not one character", repl)
		}
		scheme := "always"
		if c.PrependScheme != nil {
			scheme = *c.PrependScheme
		}
		if scheme != "always" && scheme != "first" && scheme != "never" {
			return nil, fmt.Errorf("pre_tokenizer Metaspace: prepend_scheme %q is not always, first or never", scheme)
		}
		if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
			if c.PrependScheme != nil && scheme != "never" {
				return nil, fmt.Errorf("pre_tokenizer Metaspace: add_prefix_space does not match declared prepend_scheme")
			}
			scheme = "never"
		}
		return append(stages, &metaspaceStage{repl: repl, scheme: scheme, doSplit: c.SplitFlag == nil || *c.SplitFlag}), nil
	case "Digits":
		b := bContiguous
		if c.IndividualDigits {
			b = bIsolated
		}
		return append(stages, &splitStage{m: charMatcher(isNumeric), b: b}), nil
	case "Punctuation":
		b := bIsolated
		if c.Behavior != "" {
			var ok bool
			if b, ok = behaviors[c.Behavior]; !ok {
				return nil, fmt.Errorf("pre_tokenizer Punctuation: unknown behavior %q", c.Behavior)
			}
		}
		return append(stages, &splitStage{m: charMatcher(isPunct), b: b}), nil
	case "Whitespace":
		return append(stages, &splitStage{m: invertMatcher{whitespaceMatcher{}}, b: bRemoved}), nil
	case "WhitespaceSplit":
		return append(stages, &splitStage{m: charMatcher(isWhite), b: bRemoved}), nil
	}
	return nil, fmt.Errorf("pre_tokenizer %q is not supported", c.Type)
}

// knownPattern returns the pretok scanner whose pattern text is exactly p.
func knownPattern(p string) (pretok.Func, bool) {
	for _, name := range []string{"gpt2", "llama3", "qwen2", "o200k", "cl100k"} {
		if pretok.Pattern(name) == p {
			return pretok.Lookup(name)
		}
	}
	return nil, false
}

// fastSplit reports whether a chain of stages is one scanner applied to the
// whole segment (every piece is a match and kept), and returns it.
func fastSplit(stages []preStage) (pretok.Func, bool) {
	var f pretok.Func
	for _, st := range stages {
		switch s := st.(type) {
		case *splitStage:
			var fm funcMatcher
			inverted := false
			switch x := s.m.(type) {
			case funcMatcher:
				fm = x
			case invertMatcher:
				y, ok := x.m.(funcMatcher)
				if !ok {
					return nil, false
				}
				fm, inverted = y, true
			default:
				return nil, false
			}
			switch {
			case s.b == bContiguous, s.b == bRemoved && !inverted:
				return nil, false
			}
			if f != nil {
				return nil, false
			}
			f = fm.f
		case *byteLevelStage:
			if s.prefixSpace {
				return nil, false
			}
			if s.re != nil {
				if f != nil {
					return nil, false
				}
				f = s.re.(funcMatcher).f
			}
		default:
			return nil, false
		}
	}
	return f, f != nil
}
