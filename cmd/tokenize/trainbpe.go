package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenfab/tokenfab/text/train"
)

// newTrainBPECmd is `tokenize train-bpe`: package text/train on files.
func newTrainBPECmd() *cobra.Command {
	var (
		cfg       train.Config
		special   string
		outDir    string
		overwrite bool
	)
	c := &cobra.Command{
		Use:   "train-bpe --vocab-size N -o DIR CORPUS...",
		Short: "Train a byte-level BPE vocabulary (tiktoken file + HF tokenizer.json)",
		Long: `train-bpe learns a byte-level BPE vocabulary from text files and writes
into DIR:
  tokenizer.tiktoken  ranks (base64 token, rank), for tiktoken and tokenize text
  tokenizer.json      the same vocabulary for Hugging Face tokenizers
  train.json          pattern, special tokens and their ids, run statistics

--vocab-size counts the 256 byte tokens, the merged tokens and the special
tokens (which get the last ids). Each file is pre-tokenized as one text with
--pattern's regex. The result is deterministic: the most frequent pair is
merged first, ties going to the lower ids (docs/text-training.md).`,
		Example: `  tokenize train-bpe --vocab-size 30000 --pattern o200k --special "<|endoftext|>" corpus/*.txt -o tok
  tokenize text encode --encoding tok/tokenizer.tiktoken --pattern o200k "hello world"`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.VocabSize <= 0 {
				return usagef("--vocab-size is required (a number of ids, e.g. 30000)")
			}
			if outDir == "" {
				return usagef("-o DIR is required")
			}
			if special != "" {
				cfg.SpecialTokens = strings.Split(special, ",")
			}
			if n := 256 + len(cfg.SpecialTokens); cfg.VocabSize < n {
				return usagef("--vocab-size %d is too small: the 256 byte tokens and %d --special tokens alone take %d ids", cfg.VocabSize, len(cfg.SpecialTokens), n)
			}
			if cfg.VocabSize > 1<<24 {
				return usagef("--vocab-size %d is above the limit of %d", cfg.VocabSize, 1<<24)
			}
			// Before training (which may take long), as run refuses an existing output.
			if !overwrite {
				for _, n := range trainBPEFiles {
					if _, err := os.Stat(filepath.Join(outDir, n)); err == nil {
						return inputError{fmt.Errorf("%s already holds a trained tokenizer (%s); pass --overwrite to replace it or choose another -o", outDir, n)}
					}
				}
			}
			for _, a := range args {
				if st, err := os.Stat(a); err != nil {
					return usagef("corpus file: %v", err)
				} else if st.IsDir() {
					return usagef("corpus file %s is a directory; list its files", a)
				}
			}
			res, err := train.Train(cmd.Context(), cfg, args)
			if errors.Is(err, train.ErrConfig) {
				return usageError{err}
			} else if err != nil {
				return err
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			if err := writeAtomic(filepath.Join(outDir, "tokenizer.tiktoken"), res.WriteTiktoken); err != nil {
				return err
			}
			if err := writeAtomic(filepath.Join(outDir, "tokenizer.json"), res.WriteTokenizerJSON); err != nil {
				return err
			}
			meta := map[string]any{
				"pattern":         res.Pattern,
				"special_tokens":  res.Special,
				"vocab_size":      len(res.Tokens) + len(res.Special),
				"merges":          len(res.Merges),
				"input_bytes":     res.Stats.InputBytes,
				"pieces":          res.Stats.Pieces,
				"distinct_pieces": res.Stats.DistinctPieces,
				"pruned_distinct": res.Stats.PrunedDistinct,
				"pruned_pieces":   res.Stats.PrunedPieces,
				"loose_cuts":      res.Stats.LooseCuts,
				"count_seconds":   res.Stats.CountTime.Seconds(),
				"merge_seconds":   res.Stats.MergeTime.Seconds(),
				"corpus":          args,
			}
			if err := writeAtomic(filepath.Join(outDir, "train.json"), func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(meta)
			}); err != nil {
				return err
			}
			s := res.Stats
			fmt.Fprintf(cmd.ErrOrStderr(), "train-bpe: %d ids (%d merged tokens, %d special) from %d bytes, %d pieces (%d distinct); count %.2fs, merge %.2fs\n",
				len(res.Tokens)+len(res.Special), len(res.Tokens)-256, len(res.Special), s.InputBytes, s.Pieces, s.DistinctPieces,
				s.CountTime.Seconds(), s.MergeTime.Seconds())
			if len(res.Special) > 0 {
				sp := make(map[string]int64, len(res.Special))
				for n, id := range res.Special {
					sp[n] = int64(id)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "train-bpe: tokenizer.tiktoken holds no special tokens; pass them when you use it: --encoding %s --pattern %s %s\n",
					filepath.Join(outDir, "tokenizer.tiktoken"), res.Pattern, specialTokenFlags(sp))
			}
			if len(res.Tokens)+len(res.Special) < cfg.VocabSize {
				fmt.Fprintf(cmd.ErrOrStderr(), "train-bpe: the corpus ran out of pairs before --vocab-size %d\n", cfg.VocabSize)
			}
			if s.PrunedDistinct > 0 || s.LooseCuts > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "train-bpe: counts are approximate: %d rare distinct pieces pruned (--max-pieces), %d loose chunk cuts\n", s.PrunedDistinct, s.LooseCuts)
			}
			return nil
		},
	}
	f := c.Flags()
	f.IntVar(&cfg.VocabSize, "vocab-size", 0, "number of ids: 256 bytes + merged tokens + special tokens (required)")
	f.StringVar(&cfg.Pattern, "pattern", "o200k", "pre-tokenizer: o200k, cl100k, llama3, qwen2 or gpt2")
	f.StringVar(&special, "special", "", "comma-separated special tokens, given the last ids in this order")
	f.StringVarP(&outDir, "output", "o", "", "output directory (required)")
	f.BoolVar(&overwrite, "overwrite", false, "replace tokenizer.tiktoken, tokenizer.json and train.json already in -o")
	f.IntVar(&cfg.Workers, "workers", 0, "counting goroutines (default GOMAXPROCS)")
	f.IntVar(&cfg.MaxPieces, "max-pieces", 0, "cap on distinct pre-tokens in memory while counting; past it rare ones are pruned (default 8388608)")
	return c
}

// trainBPEFiles are what train-bpe writes into -o.
var trainBPEFiles = []string{"tokenizer.tiktoken", "tokenizer.json", "train.json"}

// writeAtomic writes path through a temporary file in the same directory.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// trainedSpecials returns, for a train-bpe tokenizer.tiktoken (which holds
// no special tokens), a hint naming the special tokens and ids recorded in
// the train.json beside it as --special-token flags; "" otherwise.
func trainedSpecials(encoding string) string {
	if !strings.HasSuffix(encoding, ".tiktoken") {
		return ""
	}
	path := filepath.Join(filepath.Dir(encoding), "train.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var meta struct {
		Special map[string]int64 `json:"special_tokens"`
	}
	if json.Unmarshal(b, &meta) != nil || len(meta.Special) == 0 {
		return ""
	}
	return "; " + path + " lists this vocabulary's special tokens: " + specialTokenFlags(meta.Special)
}

// specialTokenFlags writes special tokens as --special-token flags, by id.
func specialTokenFlags(special map[string]int64) string {
	names := make([]string, 0, len(special))
	for n := range special {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return special[names[i]] < special[names[j]] })
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "--special-token '%s=%d'", n, special[n])
	}
	return b.String()
}
