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
// Hugging Face tokenizer.json files with a BPE model load too (LoadHF, or
// Config.TokenizerJSON): GPT-2, Llama-3, Qwen2/3, DeepSeek-V3,
// Mistral/Llama-2 (SentencePiece-style BPE with byte_fallback) and the HF
// conversions of cl100k/o200k. Their ids equal HF tokenizers 0.23's (checked
// live on the text corpus and on 679 golden cases): merge priority is the
// index in the merges list, added tokens are matched first, then the
// normalizers (NFC, NFD, NFKC, NFKD, Prepend, Replace, Lowercase, Strip,
// Sequence), pre-tokenizers (ByteLevel, Split with every behavior, Metaspace,
// Digits, Punctuation, Whitespace, WhitespaceSplit, Sequence; known split
// regexes run on the hand-written scanners, others on regexp2),
// post-processors (TemplateProcessing, ByteLevel, Sequence) and decoders
// (ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence).
// Anything else is an error naming the component. EncodeWithOffsets gives
// per-token byte and character offsets like HF's Encoding.offsets.
//
// Any byte string encodes, including invalid UTF-8, and Decode returns it
// exactly (for a tokenizer.json: when its decoder is ByteLevel; invalid
// UTF-8 there is byte-level encoded, as no HF input can be). DecodeString and StreamDecoder replace invalid UTF-8 the way
// Python's bytes.decode("utf-8", "replace") does.
package text
