package pretok

import (
	"encoding/binary"
	"math/bits"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character classes, as bits of one byte. They are exactly the classes the
// split regexes test, with Python regex's meaning of each (checked by unicode_test.go).
const (
	cL  = 1 << iota // \p{L}
	cN              // \p{N}
	cS              // \s: Unicode White_Space
	cU              // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]: o200k's "upper" set
	cW              // [\p{Ll}\p{Lm}\p{Lo}\p{M}]: o200k's "lower" set
	cNL             // \r or \n
	cP              // [\p{P}\p{S}]: punctuation and symbols (DeepSeek-V3)
)

// Derived masks. "Other" is [^\s\p{L}\p{N}]: punctuation, symbols, marks,
// controls, unassigned code points and invalid bytes (like U+FFFD).
const (
	mOther  = cL | cN | cS  // class&mOther == 0 ⇔ [^\s\p{L}\p{N}]
	mPrefix = cL | cN | cNL // class&mPrefix == 0 ⇔ [^\r\n\p{L}\p{N}]
)

// cHigh marks the bytes from utf8.RuneSelf up in ascii: they start (or
// continue) a multi-byte character that has to be decoded.
const cHigh = 1 << 7

// ascii holds the class of every byte below utf8.RuneSelf, and cHigh for
// the others, so hot loops need one table load per byte.
var ascii = func() (t [256]uint8) {
	for b := 'a'; b <= 'z'; b++ {
		t[b] = cL | cW
		t[b-'a'+'A'] = cL | cU
	}
	for b := '0'; b <= '9'; b++ {
		t[b] = cN
	}
	for _, b := range "\t\v\f " {
		t[b] = cS
	}
	t['\r'], t['\n'] = cS|cNL, cS|cNL
	for b := '!'; b <= '~'; b++ { // every printable ASCII non-alphanumeric is P or S
		if t[b] == 0 {
			t[b] = cP
		}
	}
	for b := utf8.RuneSelf; b < len(t); b++ {
		t[b] = cHigh
	}
	return t
}()

// The class of every code point, as a two-level table: index maps a block of
// 256 code points to its row in blocks (identical blocks share a row).
var (
	tablesOnce sync.Once
	index      [(unicode.MaxRune + 1) >> 8]uint16
	blocks     []uint8
)

// runeClass returns the class of r; r must be in [0, unicode.MaxRune], as
// utf8.DecodeRune guarantees (invalid bytes decode as U+FFFD, which is So).
func runeClass(r rune) uint8 {
	return blocks[int(index[r>>8])<<8|int(r&0xFF)]
}

// classAt returns the class and width in bytes of the character at s[i].
// It is small enough to inline; classDecode is the multi-byte path.
func classAt(s []byte, i int) (uint8, int) {
	c := ascii[s[i]]
	if c == cHigh {
		return classDecode(s, i)
	}
	return c, 1
}

// classDecode is classAt for a byte from utf8.RuneSelf up. It decodes
// valid two- and three-byte sequences (Latin to CJK) itself and leaves the
// rest to utf8.DecodeRune, which takes an invalid byte as (U+FFFD, 1).
func classDecode(s []byte, i int) (uint8, int) {
	b0 := s[i]
	switch {
	case 0xC2 <= b0 && b0 < 0xE0 && i+1 < len(s):
		if b1 := s[i+1]; b1&0xC0 == 0x80 {
			return runeClass(rune(b0&0x1F)<<6 | rune(b1&0x3F)), 2
		}
	case 0xE0 <= b0 && b0 < 0xF0 && i+2 < len(s):
		b1, b2 := s[i+1], s[i+2]
		r := rune(b0&0x0F)<<12 | rune(b1&0x3F)<<6 | rune(b2&0x3F)
		// continuation bytes, no overlong form (r >= 0x800), no surrogate
		if b1&0xC0 == 0x80 && b2&0xC0 == 0x80 && r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
			return runeClass(r), 3
		}
	}
	r, n := utf8.DecodeRune(s[i:])
	return runeClass(r), n
}

// span returns the end of the run of characters from s[i] whose class has
// class&mask == want (want never has cHigh). The loop is byte-wise over
// ASCII and hands over to spanDecode at the first multi-byte character.
func span(s []byte, i int, mask, want uint8) int {
	m := mask | cHigh
	for ; i < len(s); i++ {
		if ascii[s[i]]&m != want {
			if s[i] >= utf8.RuneSelf {
				return spanDecode(s, i, mask, want)
			}
			return i
		}
	}
	return i
}

func spanDecode(s []byte, i int, mask, want uint8) int {
	for i < len(s) {
		c, n := classAt(s, i)
		if c&mask != want {
			return i
		}
		i += n
	}
	return i
}

// initTables fills index and blocks (see buildTables).
func initTables() { blocks = buildTables(&index) }

// buildTables builds the code point table from Go's unicode tables, then
// applies the generated overrides (unicode_gen.go) where Python regex, the
// reference, disagrees with Go's Unicode version. It fills idx and returns
// the rows.
func buildTables(idx *[len(index)]uint16) []uint8 {
	flat := goClasses()
	for _, o := range overrides {
		for c := o.lo; c <= o.hi; c++ {
			flat[c] = o.class
		}
	}
	var rows []uint8
	seen := map[[256]uint8]uint16{}
	for b := range idx {
		blk := [256]uint8(flat[b<<8:])
		row, ok := seen[blk]
		if !ok {
			row = uint16(len(seen))
			seen[blk] = row
			rows = append(rows, blk[:]...)
		}
		idx[b] = row
	}
	return rows
}

// goClasses returns the class of every code point by Go's unicode tables.
func goClasses() []uint8 {
	flat := make([]uint8, unicode.MaxRune+1)
	set := func(t *unicode.RangeTable, bit uint8) {
		for _, r := range t.R16 {
			for c := uint32(r.Lo); c <= uint32(r.Hi); c += uint32(r.Stride) {
				flat[c] |= bit
			}
		}
		for _, r := range t.R32 {
			for c := r.Lo; c <= r.Hi; c += r.Stride {
				flat[c] |= bit
			}
		}
	}
	for _, e := range []struct {
		t   *unicode.RangeTable
		bit uint8
	}{
		{unicode.L, cL}, {unicode.N, cN}, {unicode.White_Space, cS},
		{unicode.Lu, cU}, {unicode.Lt, cU}, {unicode.Lm, cU | cW}, {unicode.Lo, cU | cW},
		{unicode.M, cU | cW}, {unicode.Ll, cW}, {unicode.P, cP}, {unicode.S, cP},
	} {
		set(e.t, e.bit)
	}
	flat['\r'] |= cNL
	flat['\n'] |= cNL
	return flat
}

// override sets the class of code points lo..hi (inclusive).
type override struct {
	lo, hi uint32
	class  uint8
}

// Eight bytes at a time over ASCII runs: words are most of English text, and
// a per-byte loop pays a mispredicted exit branch per word anyway.
const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
)

// asciiRun returns the end of the run of ASCII bytes from s[i] that lie in
// [lo, hi] after or-ing them with fold (0x20 folds case). It stops at the
// first byte outside, including any byte from utf8.RuneSelf up.
func asciiRun(s []byte, i int, lo, hi, fold byte) int {
	for i+8 <= len(s) {
		x := binary.LittleEndian.Uint64(s[i:])
		y := (x | uint64(fold)*ones) &^ high
		ge := y + uint64(0x80-lo)*ones // bit 7 of a byte: y >= lo (no carries: y < 0x80)
		gt := y + uint64(0x7f-hi)*ones // bit 7 of a byte: y > hi
		out := ^(ge &^ gt &^ x) & high // x's bit 7: not ASCII
		if out != 0 {
			return i + bits.TrailingZeros64(out)/8
		}
		i += 8
	}
	for i < len(s) {
		b := s[i] | fold
		if b < lo || b > hi || s[i] >= utf8.RuneSelf {
			break
		}
		i++
	}
	return i
}

// letters is span(s, i, cL, cL) with the ASCII part eight bytes at a time.
func letters(s []byte, i int) int {
	i = asciiRun(s, i, 'a', 'z', 0x20)
	if i < len(s) && s[i] >= utf8.RuneSelf {
		return spanDecode(s, i, cL, cL)
	}
	return i
}
