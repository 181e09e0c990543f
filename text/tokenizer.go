package text

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tokenfab/tokenfab/text/internal/pretok"
)

// Config builds a Tokenizer: a named encoding plus overrides. The zero value
// is invalid (Encoding is required).
type Config struct {
	// Encoding is an embedded encoding name ("r50k_base", "p50k_base",
	// "p50k_edit", "cl100k_base", "o200k_base"; see Encodings) or the path of
	// a .tiktoken rank file (lines of `base64(token bytes) rank`).
	Encoding string
	// Pattern names the pre-tokenizer (tiktoken's split regex): "gpt2"
	// (r50k/p50k), "cl100k", "llama3" (= cl100k), "o200k" or "qwen2", or an
	// encoding name. Embedded encodings use their own unless this is set. A
	// .tiktoken file whose base name is an embedded encoding's name defaults to
	// that encoding's pattern; any other file must set it.
	Pattern string
	// SpecialTokens maps special-token text to id. For a .tiktoken file these
	// are its special tokens (default: those of the embedded encoding of the
	// same base name, else none); for an embedded encoding they are added to
	// tiktoken's own. Ids must not be ranks of the file and must be distinct.
	SpecialTokens map[string]int32
	// AllowedSpecial lists the special-token texts that Encode turns into
	// their ids when found in the text; "all" allows every special token.
	// Default none: special-token text is ordinary text (tiktoken's
	// encode_ordinary, or encode(..., disallowed_special=())).
	AllowedSpecial []string
	// AddBOS and AddEOS make Tokenize prepend BOS / append EOS to every
	// document (Encode never adds them).
	AddBOS, AddEOS bool
	// BOS and EOS name the special tokens added by AddBOS / AddEOS. EOS
	// defaults to "<|endoftext|>". No OpenAI encoding has a BOS token, so
	// AddBOS without BOS is an error from New. With TokenizerJSON only
	// AddEOS applies, EOS must name one of its added tokens (no default),
	// and it is appended after the post-processor's ids.
	BOS, EOS string
	// TokenizerJSON is the path of a Hugging Face tokenizer.json with a BPE
	// model (GPT-2, Llama-3, Qwen2/3, DeepSeek-V3, Mistral/Llama-2 style,
	// HF conversions of tiktoken encodings). It replaces Encoding and the
	// other fields, which must be unset: the file defines everything. Ids
	// then equal HF tokenizers 0.23's: Encode is encode(text,
	// add_special_tokens=False), Tokenize is encode(text) (the
	// post-processor's BOS/EOS added), and added tokens (special or not)
	// are always matched in the text, as HF does. A component that is not
	// supported is an error naming it.
	TokenizerJSON string
}

// Tokenizer is a byte-level BPE tokenizer whose ids are identical to
// tiktoken 0.14.0's for the same rank file, pattern and special tokens. It is
// immutable and safe for concurrent use.
type Tokenizer struct {
	v        *vocab
	split    pretok.Func
	name     string
	pattern  string
	special  map[string]int32 // every special token
	specialD map[int32]string // id → text, for Decode
	allowed  *specialMatcher  // nil when no special token is allowed
	allowedN []string         // sorted allowed names, for Options
	bos, eos int32
	cfg      Config
	vocabN   int
	hf       *hfTok // set for a tokenizer.json
}

// New builds a Tokenizer. Embedded rank files are parsed once per process
// and checked against tiktoken's sha256 (a mismatch is an error). Errors name
// the offending field and the accepted values; a malformed .tiktoken file
// gives an error with its line number.
func New(cfg Config) (*Tokenizer, error) {
	t := &Tokenizer{cfg: cfg, bos: -1, eos: -1}
	if cfg.TokenizerJSON != "" {
		if cfg.Encoding != "" || cfg.Pattern != "" || cfg.SpecialTokens != nil || cfg.AllowedSpecial != nil ||
			cfg.AddBOS || cfg.BOS != "" || (cfg.EOS != "" && !cfg.AddEOS) {
			return nil, errors.New("text: Config.TokenizerJSON is set, so Encoding, Pattern, SpecialTokens, AllowedSpecial, AddBOS and BOS must be empty (the tokenizer.json defines them; only AddEOS with EOS may be added)")
		}
		if err := t.loadHF(cfg.TokenizerJSON); err != nil {
			return nil, err
		}
		// A tokenizer.json's post-processor rarely ends a document (Llama 3
		// adds only BOS), so packing documents needs an EOS of the user's
		// choosing, appended after the post-processor's ids.
		if cfg.AddEOS {
			id, ok := t.special[cfg.EOS]
			if !ok {
				id, ok = t.hf.added[cfg.EOS]
			}
			if !ok {
				return nil, &SpecialTokenError{Role: "EOS", Token: cfg.EOS, Encoding: t.name, Known: slices.Sorted(maps.Keys(t.special))}
			}
			t.eos = id
		}
		return t, nil
	}
	var defaults *builtin
	switch b, ok := builtins[cfg.Encoding]; {
	case cfg.Encoding == "":
		return nil, fmt.Errorf("text: Config.Encoding is empty; use one of %s or a path to a .tiktoken file", strings.Join(Encodings(), ", "))
	case ok:
		v, err := loadEmbedded(b)
		if err != nil {
			return nil, err
		}
		t.v, t.name, defaults = v, cfg.Encoding, &b
		t.special = maps.Clone(b.special)
		for k, id := range cfg.SpecialTokens {
			t.special[k] = id
		}
	default:
		data, err := os.ReadFile(cfg.Encoding)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(cfg.Encoding, `/\.`) {
				return nil, fmt.Errorf("text: unknown encoding %q; use one of %s or a path to a .tiktoken file", cfg.Encoding, strings.Join(Encodings(), ", "))
			}
			return nil, fmt.Errorf("text: reading rank file: %w", err)
		}
		t.name = strings.TrimSuffix(filepath.Base(cfg.Encoding), ".tiktoken")
		if t.v, err = parseTiktoken(cfg.Encoding, data); err != nil {
			return nil, err
		}
		if b, ok := builtins[t.name]; ok {
			defaults = &b
		}
		switch {
		case cfg.SpecialTokens != nil:
			t.special = maps.Clone(cfg.SpecialTokens)
		case defaults != nil:
			t.special = maps.Clone(defaults.special)
		default:
			t.special = map[string]int32{}
		}
	}

	t.pattern = cfg.Pattern
	if t.pattern == "" {
		if defaults == nil {
			return nil, fmt.Errorf("%w (%s); set Config.Pattern: %s", ErrNoPattern, cfg.Encoding, strings.Join(Patterns, ", "))
		}
		t.pattern = defaults.pattern
	}
	split, ok := pretok.Lookup(t.pattern)
	if !ok {
		return nil, fmt.Errorf("%w %q (Config.Pattern); use %s", ErrUnknownPattern, t.pattern, strings.Join(Patterns, ", "))
	}
	t.split = split

	t.specialD = make(map[int32]string, len(t.special))
	t.vocabN = int(t.v.maxRank) + 1
	for _, k := range slices.Sorted(maps.Keys(t.special)) {
		id := t.special[k]
		switch {
		case k == "":
			return nil, errors.New("text: a special token has empty text; give every special token its text")
		case id < 0:
			return nil, fmt.Errorf("text: special token %q has negative id %d", k, id)
		case t.v.token(id) != nil:
			return nil, fmt.Errorf("text: special token %q has id %d, which is already the rank of token %q; pick an unused id", k, id, t.v.token(id))
		}
		if other, dup := t.specialD[id]; dup {
			return nil, fmt.Errorf("text: special tokens %q and %q share id %d; give each its own id", other, k, id)
		}
		t.specialD[id] = k
		t.vocabN = max(t.vocabN, int(id)+1)
	}

	allowed := map[string]int32{}
	for _, name := range cfg.AllowedSpecial {
		if name == "all" {
			maps.Copy(allowed, t.special)
			continue
		}
		id, ok := t.special[name]
		if !ok {
			return nil, &SpecialTokenError{Role: "allowed special", Token: name, Encoding: t.name, Known: slices.Sorted(maps.Keys(t.special))}
		}
		allowed[name] = id
	}
	if len(allowed) > 0 {
		t.allowed = newSpecialMatcher(allowed)
		t.allowedN = slices.Sorted(maps.Keys(allowed))
	}

	if cfg.AddBOS {
		if cfg.BOS == "" {
			return nil, fmt.Errorf("%w: set Config.BOS to the text of a special token (%s has no BOS of its own)", ErrNoBOS, t.name)
		}
		id, ok := t.special[cfg.BOS]
		if !ok {
			return nil, &SpecialTokenError{Role: "BOS", Token: cfg.BOS, Encoding: t.name, Known: slices.Sorted(maps.Keys(t.special))}
		}
		t.bos = id
	}
	if cfg.AddEOS {
		if t.cfg.EOS == "" {
			t.cfg.EOS = endOfText
		}
		id, ok := t.special[t.cfg.EOS]
		if !ok {
			return nil, &SpecialTokenError{Role: "EOS", Token: t.cfg.EOS, Encoding: t.name, Known: slices.Sorted(maps.Keys(t.special))}
		}
		t.eos = id
	}
	return t, nil
}

// Tokenize is the modality call: the input_ids of one document, i.e. Encode
// plus BOS/EOS as configured, in a new slice of exactly that length (one
// allocation; the encoding runs in a pooled buffer). The only error is ctx's,
// checked before encoding. Invalid UTF-8 is not an error: it encodes
// losslessly.
func (t *Tokenizer) Tokenize(ctx context.Context, input []byte) ([]int32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bp := idPool.Get().(*[]int32)
	buf := (*bp)[:0]
	if t.hf != nil {
		buf = t.hf.encode(buf, input, true)
		if t.eos >= 0 {
			buf = append(buf, t.eos)
		}
	} else {
		if t.bos >= 0 {
			buf = append(buf, t.bos)
		}
		buf = t.Encode(buf, input)
		if t.eos >= 0 {
			buf = append(buf, t.eos)
		}
	}
	ids := make([]int32, len(buf))
	copy(ids, buf)
	if cap(buf) <= maxPooledIDs { // do not pin the buffer of a huge document
		*bp = buf
		idPool.Put(bp)
	}
	return ids, nil
}

const maxPooledIDs = 1 << 20

var idPool = sync.Pool{New: func() any { b := make([]int32, 0, 4096); return &b }}

// Encode appends the ids of text to dst and returns it; it allocates only
// when dst must grow. Special-token text becomes its id only if allowed by
// Config.AllowedSpecial (tiktoken's encode with allowed_special: the leftmost
// allowed special is taken, the longest if several start at one byte; text
// between specials is ordinary). No BOS/EOS. Any bytes are accepted and
// Decode returns them exactly: a character cut at the end of the text joins
// the last pre-token (tiktoken's _encode_bytes), and other invalid UTF-8 is
// pre-tokenized as if each bad byte were one symbol character (tiktoken has
// no equivalent there: it would BPE the whole rest of the text as one piece).
func (t *Tokenizer) Encode(dst []int32, text []byte) []int32 {
	if t.hf != nil {
		return t.hf.encode(dst, text, false)
	}
	if t.allowed == nil {
		return t.encodeLast(dst, text)
	}
	for {
		pos, n, id := t.allowed.find(text)
		if n == 0 {
			return t.encodeLast(dst, text)
		}
		dst = t.encodeOrdinary(dst, text[:pos])
		dst = append(dst, id)
		text = text[pos+n:]
	}
}

// Count returns len(t.Encode(nil, text)) without building the ids.
func (t *Tokenizer) Count(text []byte) int {
	if t.hf != nil {
		return len(t.hf.encode(nil, text, false))
	}
	if t.allowed == nil {
		return t.countLast(text)
	}
	c := 0
	for {
		pos, n, _ := t.allowed.find(text)
		if n == 0 {
			return c + t.countLast(text)
		}
		c += t.countOrdinary(text[:pos]) + 1
		text = text[pos+n:]
	}
}

// cutTail returns the length of s's trailing incomplete UTF-8 sequence when
// everything before it is valid UTF-8, else 0.
func cutTail(s []byte) int {
	k := incompleteTail(s)
	if k == 0 || k == len(s) || !utf8.Valid(s[:len(s)-k]) {
		return 0
	}
	return k
}

// encodeLast encodes the last ordinary segment of a text. When the text is
// valid UTF-8 up to a character cut at its end, it does what tiktoken's
// _encode_bytes does: encode the valid prefix, then re-encode the tokens of
// the last pre-token (extended back over whitespace-only tokens) together
// with the cut bytes as one piece. Other invalid UTF-8 is handled by the
// pre-tokenizer (each bad byte is a symbol character).
func (t *Tokenizer) encodeLast(dst []int32, s []byte) []int32 {
	k := cutTail(s)
	if k == 0 {
		return t.encodeOrdinary(dst, s)
	}
	split, v := t.split, t.v
	var mc *mergeCache
	defer func() {
		if mc != nil {
			v.caches.Put(mc)
		}
	}()
	p, tail := s[:len(s)-k], s[len(s)-k:]
	first, last := len(dst), len(dst)
	for len(p) > 0 {
		n := pieceLen(split, p)
		last = len(dst)
		dst = v.appendPiece(dst, p[:n], &mc)
		p = p[n:]
	}
	if isSpaceToken(v.token(dst[last])) {
		for last > first && isSpaceToken(v.token(dst[last-1])) {
			last--
		}
	}
	var buf [256]byte
	piece := buf[:0]
	for _, id := range dst[last:] {
		piece = append(piece, v.token(id)...)
	}
	piece = append(piece, tail...)
	return v.appendPiece(dst[:last], piece, &mc)
}

func (t *Tokenizer) countLast(s []byte) int {
	if cutTail(s) == 0 {
		return t.countOrdinary(s)
	}
	return len(t.encodeLast(nil, s))
}

// isSpaceToken reports whether token bytes are all ' ', '\n' or '\t'
// (tiktoken's _increase_last_piece_token_len test).
func isSpaceToken(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\n' && c != '\t' {
			return false
		}
	}
	return true
}

func (t *Tokenizer) encodeOrdinary(dst []int32, s []byte) []int32 {
	split, v := t.split, t.v
	var mc *mergeCache
	for len(s) > 0 {
		n := pieceLen(split, s)
		dst = v.appendPiece(dst, s[:n], &mc)
		s = s[n:]
	}
	if mc != nil {
		v.caches.Put(mc)
	}
	return dst
}

func (t *Tokenizer) countOrdinary(s []byte) int {
	split, v := t.split, t.v
	var mc *mergeCache
	c := 0
	for len(s) > 0 {
		n := pieceLen(split, s)
		c += v.countPiece(s[:n], &mc)
		s = s[n:]
	}
	if mc != nil {
		v.caches.Put(mc)
	}
	return c
}

// pieceLen clamps the pre-tokenizer's answer so a bug there can never make
// Encode loop forever or slice out of range.
func pieceLen(split pretok.Func, s []byte) int {
	n := split(s)
	if n < 1 || n > len(s) {
		n = len(s)
	}
	return n
}

// Name is the encoding name ("cl100k_base"), or a rank file's base name
// without the .tiktoken extension.
func (t *Tokenizer) Name() string { return t.name }

// SHA256 is the lowercase hex sha256 of the rank file's bytes.
func (t *Tokenizer) SHA256() string { return t.v.sha256 }

// VocabSize is the largest id (rank or special token) plus one. Ids below it
// may be unused (p50k_base has no rank 50256 except as <|endoftext|>;
// cl100k_base leaves 100256 and 100261..100275 unused).
func (t *Tokenizer) VocabSize() int { return t.vocabN }

// SpecialTokens returns a copy of the special tokens (text → id), whether
// allowed or not.
func (t *Tokenizer) SpecialTokens() map[string]int32 { return maps.Clone(t.special) }

// Options describes the configuration for the Arrow schema metadata. Equal
// configurations give equal maps; slices in it are sorted. Keys: encoding,
// pattern, allowed_special ([]string), add_bos, add_eos (bool), bos, eos
// (string, "" when not added), special_tokens (map[string]int32).
func (t *Tokenizer) Options() map[string]any {
	if t.hf != nil {
		m := map[string]any{
			"tokenizer_json":     t.name,
			"sha256":             t.v.sha256,
			"add_special_tokens": true,
			"special_tokens":     maps.Clone(t.special),
		}
		if t.eos >= 0 { // only then, so existing outputs keep their config hash
			m["add_eos"], m["eos"] = true, t.cfg.EOS
		}
		return m
	}
	allowed := slices.Clone(t.allowedN)
	if allowed == nil {
		allowed = []string{}
	}
	bos, eos := "", ""
	if t.bos >= 0 {
		bos = t.cfg.BOS
	}
	if t.eos >= 0 {
		eos = t.cfg.EOS
	}
	return map[string]any{
		"encoding":        t.name,
		"pattern":         t.pattern,
		"allowed_special": allowed,
		"add_bos":         t.bos >= 0,
		"add_eos":         t.eos >= 0,
		"bos":             bos,
		"eos":             eos,
		"special_tokens":  maps.Clone(t.special),
	}
}
