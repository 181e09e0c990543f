// Package text is byte-level BPE tokenization whose input_ids are identical
// to OpenAI tiktoken 0.14.0's: rank tables (token bytes → rank, rank = id =
// merge priority), tiktoken's pre-tokenizer regexes, special tokens, encode,
// count and decode.
//
// Build a Tokenizer once with New and share it; it is safe for concurrent
// use:
//
//	tok, err := text.New(text.Config{Encoding: "cl100k_base"})
//	ids := tok.Encode(nil, []byte("hello world")) // [15339 1917]
//	s, err := tok.DecodeString(ids)
//
// The embedded encodings are r50k_base, p50k_base, p50k_edit, cl100k_base and
// o200k_base (Encodings); any .tiktoken file loads too (Config.Encoding is its
// path, with Config.Pattern and Config.SpecialTokens).
//
// Encoding follows tiktoken: the text is split into pre-tokens by the
// encoding's regex (package text/internal/pretok); a pre-token that is itself
// a token is emitted whole; otherwise its bytes are merged pairwise, always
// the adjacent pair whose concatenation has the lowest rank (leftmost on
// ties), until no adjacent pair is a token. By default special-token text
// such as "<|endoftext|>" is ordinary text (tiktoken's encode_ordinary);
// Config.AllowedSpecial turns it into special ids. Ids are int32 (the
// input_ids column is list<int32>).
//
// Any byte string encodes, including invalid UTF-8, and Decode returns it
// exactly. DecodeString and StreamDecoder replace invalid UTF-8 the way
// Python's bytes.decode("utf-8", "replace") does.
package text
