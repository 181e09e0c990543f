// Package pretok splits text into pre-tokens the way tiktoken's split
// regexes do (regex finditer).
//
// This file is a temporary stand-in backed by dlclark/regexp2 so that the
// text package can be built and tested before the hand-written scanners land;
// it is meant to be replaced wholesale by them.
package pretok

import (
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// Func returns the length in bytes of the first pre-token of s (len(s) > 0),
// in [1, len(s)]. Calling it repeatedly on the rest of s is regex finditer.
type Func func(s []byte) int

// Registry (non-possessive, no `$`) forms of tiktoken's patterns: regexp2
// (a .NET port) has no possessive quantifiers and its `$` also matches before
// a final "\n", so the equivalent older spellings are used.
var patterns = map[string]string{
	"gpt2":   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
	"cl100k": `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
	"o200k": `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
	"qwen2": `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
}

var aliases = map[string]string{
	"gpt2": "gpt2", "r50k_base": "gpt2", "p50k_base": "gpt2", "p50k_edit": "gpt2",
	"cl100k": "cl100k", "cl100k_base": "cl100k", "llama3": "cl100k",
	"o200k": "o200k", "o200k_base": "o200k", "qwen2": "qwen2",
}

// Lookup returns the pre-tokenizer for a pattern or encoding name.
func Lookup(name string) (Func, bool) {
	key, ok := aliases[name]
	if !ok {
		return nil, false
	}
	re := regexp2.MustCompile(patterns[key], regexp2.None)
	return func(s []byte) int { return first(re, s) }, true
}

// Pattern returns the regex source for a pattern or encoding name ("" if unknown).
func Pattern(name string) string { return patterns[aliases[name]] }

// Split calls yield with every pre-token of s in order.
func Split(f Func, s []byte, yield func(piece []byte)) {
	for len(s) > 0 {
		n := f(s)
		yield(s[:n])
		s = s[n:]
	}
}

func first(re *regexp2.Regexp, s []byte) int {
	for win := 256; ; win *= 2 {
		whole := win >= len(s)
		w := s
		if !whole {
			w = s[:win]
		}
		runes := make([]rune, 0, len(w))
		offs := make([]int, 0, len(w)+1)
		for i := 0; i < len(w); {
			r, n := utf8.DecodeRune(w[i:])
			if !whole && r == utf8.RuneError && n == 1 && !utf8.FullRune(w[i:]) {
				break // a character cut by the window: stop before it
			}
			runes = append(runes, r)
			offs = append(offs, i)
			i += n
		}
		end := 0
		if len(runes) > 0 {
			last := offs[len(offs)-1]
			_, n := utf8.DecodeRune(w[last:])
			end = last + n
		}
		offs = append(offs, end)
		m, err := re.FindRunesMatch(runes)
		if err != nil || m == nil {
			return len(s)
		}
		if m.Index > 0 {
			return offs[m.Index]
		}
		stop := m.Index + m.Length
		if whole || stop < len(runes)-8 {
			if stop == 0 {
				return offs[1]
			}
			return offs[stop]
		}
	}
}
