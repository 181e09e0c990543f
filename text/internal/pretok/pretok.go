// Package pretok splits text into pre-tokens exactly as the tiktoken / Hugging
// Face split regexes do under regex finditer, with hand-written scanners
// instead of a regex engine.
//
// The reference is Python's `regex` module (the one tiktoken's and HF's
// patterns are written for) running each name's pattern string; diff_test.go
// checks that on the corpus, on fixtures and on random strings, and every
// code point's class against it. Unicode classes follow that module's Unicode
// version (17.0 for regex 2026.11.19), not Go's (15.0): unicode_gen.go holds
// the generated differences.
//
// Input is bytes, not necessarily valid UTF-8: each invalid byte is one
// character of the class of U+FFFD (a symbol: not a letter, number or space).
package pretok

// Func returns the length in bytes of the first pre-token (regex match) of s,
// for len(s) > 0; the result is in [1, len(s)]. Calling it repeatedly on the
// remainder reproduces regex.finditer over the whole text (the patterns match
// every character, so there are no gaps). It returns 0 only for an empty s.
// A Func is safe for concurrent use.
type Func func(s []byte) int

type entry struct {
	f       Func
	pattern string
}

// The registry (npm tiktoken, HF tokenizer.json) spellings, and tiktoken
// 0.14.0's own where it differs in meaning (cl100k only; see Pattern).
const (
	gpt2Pattern   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	cl100kPattern = `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Pattern  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	o200kPattern  = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|` +
		`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|` +
		`\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

	// r50kTiktokenPattern is tiktoken 0.14.0's spelling of gpt2Pattern
	// ("equivalent, but executes faster"); diff_test.go checks both.
	r50kTiktokenPattern = `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
)

var registry = map[string]entry{
	"gpt2":          {gpt2, gpt2Pattern},
	"r50k_base":     {gpt2, gpt2Pattern},
	"p50k_base":     {gpt2, gpt2Pattern},
	"p50k_edit":     {gpt2, gpt2Pattern},
	"cl100k":        {cl100k, cl100kPattern},
	"cl100k_base":   {cl100k, cl100kPattern},
	"llama3":        {llama3, llama3Pattern},
	"qwen2":         {qwen2, qwen2Pattern},
	"o200k":         {o200k, o200kPattern},
	"o200k_base":    {o200k, o200kPattern},
	"o200k_harmony": {o200k, o200kPattern},
}

// Lookup returns the scanner for a pattern or encoding name, and false for
// an unknown name. Names: "gpt2" (= r50k_base, p50k_base, p50k_edit),
// "cl100k" (= cl100k_base), "llama3", "qwen2", "o200k" (= o200k_base,
// o200k_harmony).
//
// "llama3" is the registry spelling of the cl100k pattern, which Meta's
// Llama 3 tokenizer and HF conversions use; tiktoken 0.14.0's cl100k_base
// spelling adds `\s++$`, so at the very end of a text a whitespace run that
// holds a newline stays one piece ("a\n  " → "a", "\n  ") where llama3 gives
// "a", "\n", "  ". Everywhere else the two agree.
func Lookup(name string) (Func, bool) {
	e, ok := registry[name]
	if !ok {
		return nil, false
	}
	tablesOnce.Do(initTables)
	return e.f, true
}

// Pattern returns the exact regex text that the scanner for name reproduces,
// or "" for an unknown name: the registry / tokenizer.json (non-possessive)
// form for gpt2, llama3, qwen2 and o200k, and for cl100k tiktoken 0.14.0's
// possessive form, since the registry form (= Pattern("llama3")) differs
// from it at the end of a text (see Lookup). Use it for documentation and to
// recognise an HF Split pattern; it is not meant for Go's regexp, which
// cannot compile any of them.
func Pattern(name string) string { return registry[name].pattern }

// Split calls yield with every pre-token of s in order; the pieces are
// subslices of s and concatenate to s. A result of f outside [1, len(s)]
// (impossible for the Funcs of this package) yields the rest of s whole, so
// Split always terminates.
func Split(f Func, s []byte, yield func(piece []byte)) {
	for len(s) > 0 {
		n := f(s)
		if n < 1 || n > len(s) {
			n = len(s)
		}
		yield(s[:n])
		s = s[n:]
	}
}
