package text

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"sync"
)

//go:embed encodings/*.tiktoken
var encodingFiles embed.FS

const (
	endOfText   = "<|endoftext|>"
	fimPrefix   = "<|fim_prefix|>"
	fimMiddle   = "<|fim_middle|>"
	fimSuffix   = "<|fim_suffix|>"
	endOfPrompt = "<|endofprompt|>"
)

// builtin describes one embedded encoding exactly as tiktoken 0.14.0
// tiktoken_ext/openai_public.py defines it.
type builtin struct {
	file    string // under encodings/
	sha256  string // expected_hash in openai_public.py
	pattern string // pretok name
	special map[string]int32
}

var builtins = map[string]builtin{
	"r50k_base": {"r50k_base.tiktoken", "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930", "gpt2",
		map[string]int32{endOfText: 50256}},
	"p50k_base": {"p50k_base.tiktoken", "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069", "gpt2",
		map[string]int32{endOfText: 50256}},
	"p50k_edit": {"p50k_base.tiktoken", "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069", "gpt2",
		map[string]int32{endOfText: 50256, fimPrefix: 50281, fimMiddle: 50282, fimSuffix: 50283}},
	"cl100k_base": {"cl100k_base.tiktoken", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7", "cl100k",
		map[string]int32{endOfText: 100257, fimPrefix: 100258, fimMiddle: 100259, fimSuffix: 100260, endOfPrompt: 100276}},
	"o200k_base": {"o200k_base.tiktoken", "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d", "o200k",
		map[string]int32{endOfText: 199999, endOfPrompt: 200018}},
}

// Encodings returns the names of the embedded encodings, sorted:
// cl100k_base, o200k_base, p50k_base, p50k_edit, r50k_base.
func Encodings() []string {
	return []string{"cl100k_base", "o200k_base", "p50k_base", "p50k_edit", "r50k_base"}
}

// One parse per embedded file, shared by all tokenizers and encodings using it.
var embedded sync.Map // file name → *lazyVocab

type lazyVocab struct {
	once sync.Once
	v    *vocab
	err  error
}

func loadEmbedded(b builtin) (*vocab, error) {
	l, _ := embedded.LoadOrStore(b.file, new(lazyVocab))
	lv := l.(*lazyVocab)
	lv.once.Do(func() {
		data, err := encodingFiles.ReadFile("encodings/" + b.file)
		if err != nil {
			lv.err = fmt.Errorf("text: embedded %s missing: %w", b.file, err)
			return
		}
		lv.v, lv.err = parseChecked(b, data)
	})
	return lv.v, lv.err
}

// parseChecked parses an embedded rank file after checking its sha256.
func parseChecked(b builtin, data []byte) (*vocab, error) {
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != b.sha256 {
		return nil, fmt.Errorf("text: embedded %s has sha256 %s, want %s (tiktoken's); the file is corrupt: restore it from tiktoken", b.file, got, b.sha256)
	}
	return parseTiktoken(b.file, data)
}
