// Package train learns a byte-level BPE vocabulary from text files and writes
// it as a tiktoken rank file and as a Hugging Face tokenizer.json.
//
// The model is tiktoken's (package text): the 256 single bytes have ranks
// 0..255 in GPT-2's bytes_to_unicode order (what r50k_base and cl100k_base
// use, and what HF ByteLevel's character mapping is built on), and every merge
// learnt creates the next rank, so rank = id = merge order. Text is split by
// one of the pre-tokenizers of text/internal/pretok; merges never cross
// pre-token boundaries or input files.
//
// Training is the classic BPE loop of HF tokenizers' BpeTrainer: count the
// pre-tokens ("words"), then repeatedly merge the most frequent adjacent
// pair of symbols in all words, ties going to the lower ids. HF's
// ByteLevel.alphabet() gets the same ids as the bytes here and its ties are
// broken the same way, so on the same pieces the merges are BpeTrainer's, in
// the same order (checked by the live tests). The differences: special
// tokens get the last ids (tiktoken's layout) rather than the first, and
// each file is one text (BpeTrainer's train(files) pre-tokenizes line by
// line; train_from_iterator with the whole text matches this package).
package train

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/tokenfab/tokenfab/text/internal/pretok"
)

// ErrConfig is wrapped by the errors Train returns for an invalid Config.
var ErrConfig = errors.New("train: invalid config")

// Config sets up Train. VocabSize and Pattern are required.
type Config struct {
	// VocabSize is the number of ids of the result: 256 byte tokens, the
	// merged tokens and the special tokens. Training stops earlier (with
	// fewer merged tokens) when no adjacent pair is left in the corpus.
	VocabSize int
	// Pattern names the pre-tokenizer: "gpt2", "cl100k", "llama3", "qwen2" or
	// "o200k" (see text.Config.Pattern).
	Pattern string
	// SpecialTokens are given the ids after the last merged token, in this
	// order. They take part in training as ordinary text only.
	SpecialTokens []string
	// Workers is the number of goroutines that pre-tokenize and count;
	// 0 means GOMAXPROCS. The result does not depend on it (unless
	// MaxPieces is hit; see there).
	Workers int
	// MaxPieces bounds the distinct pre-tokens held in memory while
	// counting (default 1<<23, about 1 GB with the merge phase). When a
	// worker's map exceeds its share, pre-tokens seen once are dropped (then
	// twice, …, until it is half full) and Stats.PrunedDistinct counts them:
	// the counts become approximate and depend on how the input was divided
	// among workers. Below the cap, counting is exact.
	MaxPieces int

	chunkSize int // bytes handed to a worker at once (tests make it small)
}

// Merge is one training step: the tokens Left and Right, adjacent in Count
// places of the corpus, became Result. Result is normally a new id; when the
// concatenation was already a token (it can be formed by another split),
// Result is that older id and no id is used up.
type Merge struct {
	Left, Right, Result int32
	Count               int64
}

// Stats describes a training run.
type Stats struct {
	InputBytes     int64         // bytes read
	Pieces         int64         // pre-tokens counted
	DistinctPieces int           // distinct pre-tokens kept for merging
	PrunedDistinct int64         // distinct pre-tokens dropped by MaxPieces pruning (0: exact)
	PrunedPieces   int64         // occurrences those had when dropped
	LooseCuts      int           // chunk cuts not at a proven pre-token boundary (0: exact)
	CountTime      time.Duration // reading, pre-tokenizing and counting
	MergeTime      time.Duration // the merge loop
}

// Result is a trained vocabulary.
type Result struct {
	// Tokens holds the bytes of every rank: Tokens[r] is the token of id r
	// (0..255 the single bytes in GPT-2 order, then merged tokens).
	Tokens [][]byte
	// Merges lists the training steps in order. len(Merges) ≥
	// len(Tokens)-256; the surplus are merges into existing tokens.
	Merges []Merge
	// Pattern is Config.Pattern.
	Pattern string
	// Special maps each special token to its id, len(Tokens)+i for
	// Config.SpecialTokens[i].
	Special map[string]int32
	// SpecialOrder is Config.SpecialTokens.
	SpecialOrder []string
	Stats        Stats
}

// Train learns a vocabulary from the files at paths. Each file is
// pre-tokenized as one text; it is read in chunks (memory does not grow
// with file size) cut where a pre-token boundary is certain: after "\n"
// followed by a printable ASCII byte other than '/'. A chunk that grows to
// 4× the chunk size without such a place is cut at another pre-token
// boundary of the chunk, and Stats.LooseCuts counts it (a piece next to
// the cut may then differ from the whole-file split).
//
// The merge picked at each step is the adjacent pair with the highest
// count; ties go to the pair with the lower left id, then the lower right id.
// The result therefore depends only on the corpus counts, not on Workers,
// chunking or map iteration order.
//
// Errors: a bad Config (wrapping ErrConfig), an unreadable file, or ctx's
// error.
func Train(ctx context.Context, cfg Config, paths []string) (*Result, error) {
	split, ok := pretok.Lookup(cfg.Pattern)
	if !ok || pretok.Pattern(cfg.Pattern) == "" {
		return nil, fmt.Errorf("%w: unknown Pattern %q; use gpt2, cl100k, llama3, qwen2 or o200k", ErrConfig, cfg.Pattern)
	}
	seen := map[string]bool{}
	for _, s := range cfg.SpecialTokens {
		if s == "" {
			return nil, fmt.Errorf("%w: a special token is empty", ErrConfig)
		}
		if seen[s] {
			return nil, fmt.Errorf("%w: special token %q is listed twice", ErrConfig, s)
		}
		seen[s] = true
	}
	if cfg.VocabSize < 256+len(cfg.SpecialTokens) {
		return nil, fmt.Errorf("%w: VocabSize %d is less than 256 byte tokens + %d special tokens", ErrConfig, cfg.VocabSize, len(cfg.SpecialTokens))
	}
	if cfg.VocabSize > 1<<24 {
		return nil, fmt.Errorf("%w: VocabSize %d is above the limit of %d", ErrConfig, cfg.VocabSize, 1<<24)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxPieces <= 0 {
		cfg.MaxPieces = 1 << 23
	}
	if cfg.chunkSize <= 0 {
		cfg.chunkSize = 1 << 20
	}

	res := &Result{Pattern: cfg.Pattern, SpecialOrder: slices.Clone(cfg.SpecialTokens)}
	t0 := time.Now()
	counts, err := count(ctx, cfg, split, paths, &res.Stats)
	if err != nil {
		return nil, err
	}
	res.Stats.CountTime = time.Since(t0)

	t1 := time.Now()
	if err := res.merge(ctx, counts, cfg.VocabSize-len(cfg.SpecialTokens)); err != nil {
		return nil, err
	}
	res.Stats.MergeTime = time.Since(t1)
	res.Special = make(map[string]int32, len(cfg.SpecialTokens))
	for i, s := range cfg.SpecialTokens {
		res.Special[s] = int32(len(res.Tokens) + i)
	}
	return res, nil
}

// byteOrder is GPT-2's bytes_to_unicode order: byteOrder[r] is the byte of
// rank r. The printable bytes '!'..'~', '¡'..'¬', '®'..'ÿ' come first, then
// the other 68 bytes ascending; byteRune[b] is the character HF ByteLevel
// writes for byte b (the byte itself if printable, else U+0100 onwards).
var byteOrder, byteRune = func() (order [256]byte, runes [256]rune) {
	printable := func(b int) bool { return b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE }
	n := 0
	for b := range 256 {
		if printable(b) {
			order[n], runes[b] = byte(b), rune(b)
			n++
		}
	}
	extra := 0
	for b := range 256 {
		if !printable(b) {
			order[n], runes[b] = byte(b), rune(256+extra)
			n++
			extra++
		}
	}
	return order, runes
}()
