package text

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// LoadHF builds a Tokenizer from a Hugging Face tokenizer.json with a BPE
// model (plain or gzip-compressed); it is New(Config{TokenizerJSON: path}).
// See Config.TokenizerJSON. Name is the path and SHA256 the sha256 of the
// (uncompressed) JSON bytes.
func LoadHF(path string) (*Tokenizer, error) { return New(Config{TokenizerJSON: path}) }

// hfTok is everything a tokenizer.json adds to Tokenizer.
type hfTok struct {
	m        *hfBPE
	normOps  []normOp
	stages   []preStage
	fast     pretokFunc // non-nil: the pre-tokenizer chain is this one scanner
	wholeSeg bool       // no pre-tokenizer: each segment is one word
	raw      *addedMatcher
	normd    *addedMatcher
	prefix   []int32 // post-processor ids before / after the sequence
	suffix   []int32
	trim     *byteLevelTrim // ByteLevel post-processor with trim_offsets
	dec      []decoderOp
	plainDec bool     // decoder is exactly ByteLevel in byte mode: decode = bytes
	exists   []bool   // id → is a token
	tokStr   []string // id → token string as HF's decode sees it ("" = none)
	decBytes [][]byte // plainDec: id → decoded bytes
	special  map[int32]bool
	added    map[string]int32
}

type pretokFunc = func([]byte) int

// hfComponent is the union of the fields of every normalizer, pre-tokenizer,
// post-processor and decoder object used here.
type hfComponent struct {
	Type string `json:"type"`
	// Sequences
	Normalizers   []hfComponent `json:"normalizers"`
	PreTokenizers []hfComponent `json:"pretokenizers"`
	Processors    []hfComponent `json:"processors"`
	Decoders      []hfComponent `json:"decoders"`
	// ByteLevel
	AddPrefixSpace *bool `json:"add_prefix_space"`
	TrimOffsets    *bool `json:"trim_offsets"`
	UseRegex       *bool `json:"use_regex"`
	// Split, Replace
	Pattern  hfPattern `json:"pattern"`
	Behavior string    `json:"behavior"`
	Invert   bool      `json:"invert"`
	Content  *string   `json:"content"`
	// Prepend
	Prepend *string `json:"prepend"`
	// Strip normalizer / decoder
	StripLeft  *bool `json:"strip_left"`
	StripRight *bool `json:"strip_right"`
	Start      *int  `json:"start"`
	Stop       *int  `json:"stop"`
	// Metaspace
	Replacement   *string `json:"replacement"`
	PrependScheme *string `json:"prepend_scheme"`
	SplitFlag     *bool   `json:"split"`
	// Digits
	IndividualDigits bool `json:"individual_digits"`
	// TemplateProcessing
	Single        json.RawMessage                   `json:"single"`
	SpecialTokens map[string]hfTemplateSpecialToken `json:"special_tokens"`
}

type hfTemplateSpecialToken struct {
	ID  string  `json:"id"`
	IDs []int64 `json:"ids"`
}

// hfPattern is {"String": s} or {"Regex": r}.
type hfPattern struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

func (p hfPattern) matcher(where string) (matcher, error) {
	switch {
	case p.String != nil && p.Regex == nil:
		return stringMatcher{[]byte(*p.String)}, nil
	case p.Regex != nil && p.String == nil:
		if f, ok := knownPattern(*p.Regex); ok {
			return funcMatcher{f}, nil
		}
		if m, ok := runPatterns[*p.Regex]; ok {
			return m, nil
		}
		m, err := newRegexMatcher(*p.Regex)
		if err != nil {
			return nil, fmt.Errorf("%s: regex %q: %v", where, clipStr(*p.Regex), err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("%s: pattern must be {\"String\": …} or {\"Regex\": …}", where)
}

func clipStr(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

type hfAddedJSON struct {
	ID         *int64  `json:"id"`
	Content    *string `json:"content"`
	SingleWord bool    `json:"single_word"`
	Lstrip     bool    `json:"lstrip"`
	Rstrip     bool    `json:"rstrip"`
	Normalized *bool   `json:"normalized"`
	Special    bool    `json:"special"`
}

type hfModelJSON struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 *bool           `json:"fuse_unk"`
	ByteFallback            *bool           `json:"byte_fallback"`
	IgnoreMerges            *bool           `json:"ignore_merges"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

type hfFile struct {
	Version       *string         `json:"version"`
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   []hfAddedJSON   `json:"added_tokens"`
	Normalizer    *hfComponent    `json:"normalizer"`
	PreTokenizer  *hfComponent    `json:"pre_tokenizer"`
	PostProcessor *hfComponent    `json:"post_processor"`
	Decoder       *hfComponent    `json:"decoder"`
	Model         *hfModelJSON    `json:"model"`
}

func isNull(r json.RawMessage) bool {
	r = bytes.TrimSpace(r)
	return len(r) == 0 || string(r) == "null"
}

// loadHF parses a tokenizer.json into t. Every error starts with
// "tokenizer.json: " and names the component.
func (t *Tokenizer) loadHF(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("text: reading tokenizer.json: %w", err)
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("text: %s: %w", path, err)
		}
		if data, err = io.ReadAll(io.LimitReader(zr, 1<<31)); err != nil {
			return fmt.Errorf("text: %s: gzip: %w", path, err)
		}
	}
	sum := sha256.Sum256(data)
	h, err := parseHF(data)
	if err != nil {
		return fmt.Errorf("text: %s: %w", path, err)
	}
	h.m.v.sha256 = hex.EncodeToString(sum[:])
	t.hf, t.v = h, h.m.v
	t.name = filepath.Clean(path)
	t.pattern = "tokenizer.json"
	t.special = map[string]int32{}
	t.specialD = map[int32]string{}
	t.vocabN = int(h.m.v.maxRank) + 1
	for s, id := range h.added {
		if h.special[id] {
			t.special[s] = id
		}
		t.vocabN = max(t.vocabN, int(id)+1)
	}
	return nil
}

func parseHF(data []byte) (*hfTok, error) {
	var f hfFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("tokenizer.json: not valid JSON of a tokenizer: %v", err)
	}
	if dec.More() {
		return nil, errors.New("tokenizer.json: trailing data after the JSON object")
	}
	if f.Version != nil && *f.Version != "1.0" {
		return nil, fmt.Errorf("tokenizer.json: unknown version %q (HF tokenizers reads only \"1.0\")", *f.Version)
	}
	if !isNull(f.Truncation) {
		return nil, errors.New("tokenizer.json: truncation is not supported (set it to null)")
	}
	if !isNull(f.Padding) {
		return nil, errors.New("tokenizer.json: padding is not supported (set it to null)")
	}
	if f.Model == nil {
		return nil, errors.New("tokenizer.json: model is missing")
	}
	h := &hfTok{}
	var err error
	byteLevel := false
	if f.PreTokenizer != nil {
		if h.stages, err = parsePreTokenizer(f.PreTokenizer, nil, &byteLevel); err != nil {
			return nil, fmt.Errorf("tokenizer.json: %w", err)
		}
	}
	if f.Normalizer != nil {
		if h.normOps, err = parseNormalizer(f.Normalizer, nil); err != nil {
			return nil, fmt.Errorf("tokenizer.json: %w", err)
		}
	}
	if h.m, err = parseModel(f.Model, byteLevel); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	if f, ok := fastSplit(h.stages); ok {
		h.fast = f
	}
	h.wholeSeg = len(h.stages) == 0
	if err := h.addTokens(f.AddedTokens); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	if f.PostProcessor != nil {
		if err := h.parsePost(f.PostProcessor); err != nil {
			return nil, fmt.Errorf("tokenizer.json: %w", err)
		}
	}
	if f.Decoder != nil {
		if h.dec, err = parseDecoder(f.Decoder, nil); err != nil {
			return nil, fmt.Errorf("tokenizer.json: %w", err)
		}
	}
	h.plainDec = byteLevel && f.Decoder != nil && f.Decoder.Type == "ByteLevel"
	h.buildDecode()
	return h, nil
}

// byteToRune is GPT-2's bytes_to_unicode; runeToByte its inverse.
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := map[rune]byte{}
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE) {
			r = rune(256 + n)
			n++
		}
		b2r[b], r2b[r] = r, byte(b)
	}
	return b2r, r2b
}()

// unmapByteLevel returns the bytes a byte-level token string stands for, or
// false when a character is outside the byte-level alphabet.
func unmapByteLevel(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := runeToByte[r]
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}

func parseModel(mj *hfModelJSON, byteMode bool) (*hfBPE, error) {
	if mj.Type != "" && mj.Type != "BPE" {
		return nil, fmt.Errorf("model type %q is not supported (BPE only)", mj.Type)
	}
	if mj.Dropout != nil && *mj.Dropout != 0 {
		return nil, fmt.Errorf("model.dropout %v is not supported (only null: dropout makes encoding random)", *mj.Dropout)
	}
	if p := mj.ContinuingSubwordPrefix; p != nil && *p != "" {
		return nil, fmt.Errorf("model.continuing_subword_prefix %q is not supported", *p)
	}
	if p := mj.EndOfWordSuffix; p != nil && *p != "" {
		return nil, fmt.Errorf("model.end_of_word_suffix %q is not supported", *p)
	}
	if isNull(mj.Vocab) || isNull(mj.Merges) {
		return nil, errors.New("model: missing vocab/merges")
	}
	var vocabMap map[string]int64
	if err := json.Unmarshal(mj.Vocab, &vocabMap); err != nil {
		return nil, fmt.Errorf("model.vocab: want an object of token → id: %v", err)
	}
	var merges [][2]string
	var legacy []string
	if err := json.Unmarshal(mj.Merges, &legacy); err == nil {
		merges = make([][2]string, 0, len(legacy))
		n := 0
		for _, l := range legacy {
			if strings.HasPrefix(l, "#version") {
				continue
			}
			n++
			a, b, ok := strings.Cut(l, " ")
			if !ok || strings.Contains(b, " ") {
				return nil, fmt.Errorf("model.merges: merge %d (%q) is not two tokens separated by one space", n, clipStr(l))
			}
			merges = append(merges, [2]string{a, b})
		}
	} else {
		var pairs [][]string
		if err2 := json.Unmarshal(mj.Merges, &pairs); err2 != nil {
			return nil, fmt.Errorf("model.merges: want [\"a b\", …] or [[\"a\", \"b\"], …]: %v", err2)
		}
		merges = make([][2]string, len(pairs))
		for i, p := range pairs {
			if len(p) != 2 {
				return nil, fmt.Errorf("model.merges: merge %d has %d parts; want 2", i+1, len(p))
			}
			merges[i] = [2]string{p[0], p[1]}
		}
	}

	m := &hfBPE{byteMode: byteMode, unkID: -1}
	maxID := int64(-1)
	for tok, id := range vocabMap {
		if id < 0 || id >= maxRank {
			return nil, fmt.Errorf("model.vocab: token %q has id %d, outside [0, %d)", clipStr(tok), id, maxRank)
		}
		maxID = max(maxID, id)
	}
	v := &vocab{maxRank: int32(maxID), off: make([]uint32, maxID+2)}
	strs := make([]string, maxID+1)
	has := make([]bool, maxID+1)
	for tok, id := range vocabMap {
		if has[id] {
			a, b := strs[id], tok
			if b < a {
				a, b = b, a
			}
			return nil, fmt.Errorf("model.vocab: tokens %q and %q share id %d", clipStr(a), clipStr(b), id)
		}
		strs[id], has[id] = tok, true
	}
	for id := range strs {
		v.off[id] = uint32(len(v.blob))
		if !has[id] {
			continue
		}
		if byteMode {
			if b, ok := unmapByteLevel(strs[id]); ok {
				v.blob = append(v.blob, b...)
			} // else: unreachable from byte-level text; decode uses the string
		} else {
			v.blob = append(v.blob, strs[id]...)
		}
	}
	v.off[len(strs)] = uint32(len(v.blob))
	m.strs, m.size = strs, int32(len(vocabMap))
	if byteMode {
		m.odd = map[string]int32{}
		for id, s := range strs {
			if has[id] {
				if _, ok := unmapByteLevel(s); !ok {
					m.odd[s] = int32(id)
				}
			}
		}
	}
	if len(v.blob) > math.MaxUint32/2 {
		return nil, errors.New("model.vocab: too large")
	}
	tab, dup := newTable(v)
	if dup >= 0 {
		return nil, fmt.Errorf("model.vocab: token %q appears twice", clipStr(strs[dup]))
	}
	v.tab = tab
	m.v = v
	m.allBytes = byteMode
	for b := range 256 {
		m.symID[b] = -1
		m.fallbackID[b] = -1
		if byteMode {
			if id := tab.get([]byte{byte(b)}); id != noRank {
				m.symID[b] = id
			} else {
				m.allBytes = false
			}
		}
		if id, ok := vocabMap[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.fallbackID[b] = int32(id)
		}
	}
	if mj.UnkToken != nil {
		id, ok := vocabMap[*mj.UnkToken]
		if !ok {
			return nil, fmt.Errorf("model.unk_token %q is not in model.vocab", clipStr(*mj.UnkToken))
		}
		m.unkID = int32(id)
	}
	m.fuseUnk = mj.FuseUnk != nil && *mj.FuseUnk
	m.byteFallback = mj.ByteFallback != nil && *mj.ByteFallback
	m.ignoreMerges = mj.IgnoreMerges != nil && *mj.IgnoreMerges
	m.pairs = newPairTable(len(merges))
	m.nMerges = len(merges)
	for i, mg := range merges {
		a, ok1 := vocabMap[mg[0]]
		b, ok2 := vocabMap[mg[1]]
		c, ok3 := vocabMap[mg[0]+mg[1]]
		switch {
		case !ok1:
			return nil, fmt.Errorf("model.merges: merge %d: token %q is not in model.vocab", i+1, clipStr(mg[0]))
		case !ok2:
			return nil, fmt.Errorf("model.merges: merge %d: token %q is not in model.vocab", i+1, clipStr(mg[1]))
		case !ok3:
			return nil, fmt.Errorf("model.merges: merge %d: merged token %q is not in model.vocab", i+1, clipStr(mg[0]+mg[1]))
		}
		m.pairs.put(int32(a), int32(b), int32(i), int32(c))
	}
	m.inMerge = make([]bool, len(strs))
	for _, sl := range m.pairs.slots {
		if sl.key != 0 {
			a, b := int32((sl.key-1)>>32), int32(uint32(sl.key-1))
			m.inMerge[a], m.inMerge[b] = true, true
		}
	}
	m.prepare()
	return m, nil
}

// addedTok is one entry of added_tokens.
type addedTok struct {
	content                    string
	id                         int32
	singleWord, lstrip, rstrip bool
	normalized, special        bool
}

// addTokens registers added_tokens the way HF's AddedVocabulary::add_tokens
// does at load: a content already known (model vocab or an earlier entry)
// keeps that id, others get the next id after the model vocab (the file's
// id field is not used, as in HF; a disagreement there only warns in HF).
func (h *hfTok) addTokens(list []hfAddedJSON) error {
	h.added = map[string]int32{}
	h.special = map[int32]bool{}
	byID := map[int32]*addedTok{}
	next := h.m.size // HF: model.get_vocab_size(), the number of vocab entries
	for i, a := range list {
		if a.Content == nil {
			return fmt.Errorf("added_tokens[%d]: missing content", i)
		}
		if *a.Content == "" {
			continue
		}
		tok := &addedTok{content: *a.Content, singleWord: a.SingleWord, lstrip: a.Lstrip, rstrip: a.Rstrip,
			normalized: a.Normalized == nil || *a.Normalized, special: a.Special}
		if a.Normalized == nil {
			tok.normalized = !a.Special
		}
		id, ok := h.added[tok.content]
		if !ok {
			id, ok = h.modelID(tok.content)
		}
		if !ok {
			id = next
			next++
		}
		tok.id = id
		if id >= maxRank {
			return fmt.Errorf("added_tokens[%d]: id %d too large", i, id)
		}
		h.added[tok.content] = id
		byID[id] = tok
		if tok.special {
			h.special[id] = true
		}
	}
	var raw, normd []*addedTok
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		tok := byID[id]
		if tok.normalized {
			// HF matches the normalized form of the content.
			p := hfStr{b: []byte(tok.content)}
			for _, op := range h.normOps {
				p = op(p)
			}
			t2 := *tok
			t2.content = string(p.b)
			normd = append(normd, &t2)
		} else {
			raw = append(raw, tok)
		}
	}
	h.raw, h.normd = newAddedMatcher(raw), newAddedMatcher(normd)
	return nil
}

// modelID is the id of s in the model vocab (as HF's token_to_id on the
// model: the vocabulary string, not the bytes).
func (h *hfTok) modelID(s string) (int32, bool) {
	b := []byte(s)
	if h.m.byteMode {
		var ok bool
		if b, ok = unmapByteLevel(s); !ok {
			return h.modelIDSlow(s)
		}
	}
	if len(b) == 0 {
		return 0, false
	}
	if id := h.m.v.tab.get(b); id != noRank {
		return id, true
	}
	return h.modelIDSlow(s)
}

// modelIDSlow finds byte-mode vocab strings outside the byte-level alphabet
// (not stored as bytes).
func (h *hfTok) modelIDSlow(s string) (int32, bool) {
	id, ok := h.m.odd[s]
	return id, ok
}

// parsePost reads the post_processor: TemplateProcessing (its single
// template), ByteLevel (offsets only), or a Sequence of those.
func (h *hfTok) parsePost(c *hfComponent) error {
	switch c.Type {
	case "Sequence":
		for i := range c.Processors {
			if err := h.parsePost(&c.Processors[i]); err != nil {
				return err
			}
		}
		return nil
	case "ByteLevel":
		if c.TrimOffsets == nil || *c.TrimOffsets {
			h.trim = &byteLevelTrim{addPrefixSpace: c.AddPrefixSpace == nil || *c.AddPrefixSpace}
		}
		return nil
	case "TemplateProcessing":
		var pieces []json.RawMessage
		if err := json.Unmarshal(c.Single, &pieces); err != nil {
			var s string
			if err2 := json.Unmarshal(c.Single, &s); err2 != nil {
				return fmt.Errorf("post_processor TemplateProcessing: single must be a list of pieces or a string: %v", err)
			}
			for _, f := range strings.Fields(s) {
				q, _ := json.Marshal(f)
				pieces = append(pieces, q)
			}
		}
		seen := false
		for _, raw := range pieces {
			var obj struct {
				SpecialToken *struct {
					ID string `json:"id"`
				} `json:"SpecialToken"`
				Sequence *struct {
					ID string `json:"id"`
				} `json:"Sequence"`
			}
			var special, seq string
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				name, _, _ := strings.Cut(s, ":")
				if strings.HasPrefix(name, "$") {
					seq = strings.TrimPrefix(name, "$")
					if seq == "" {
						seq = "A"
					}
				} else {
					special = name
				}
			} else if err := json.Unmarshal(raw, &obj); err != nil {
				return fmt.Errorf("post_processor TemplateProcessing: bad piece %s", clipStr(string(raw)))
			} else if obj.SpecialToken != nil {
				special = obj.SpecialToken.ID
			} else if obj.Sequence != nil {
				seq = obj.Sequence.ID
			} else {
				return fmt.Errorf("post_processor TemplateProcessing: bad piece %s", clipStr(string(raw)))
			}
			if special != "" {
				st, ok := c.SpecialTokens[special]
				if !ok {
					return fmt.Errorf("post_processor TemplateProcessing: special token %q is not in special_tokens", clipStr(special))
				}
				for _, id := range st.IDs {
					if id < 0 || id >= maxRank {
						return fmt.Errorf("post_processor TemplateProcessing: special token %q has id %d", clipStr(special), id)
					}
					if seen {
						h.suffix = append(h.suffix, int32(id))
					} else {
						h.prefix = append(h.prefix, int32(id))
					}
				}
				continue
			}
			if seq != "A" && seq != "a" {
				return fmt.Errorf("post_processor TemplateProcessing: the single template uses sequence %q; only $A exists for one text", seq)
			}
			if seen {
				return errors.New("post_processor TemplateProcessing: the single template uses $A twice (not supported)")
			}
			seen = true
		}
		if !seen {
			return errors.New("post_processor TemplateProcessing: the single template has no $A (not supported)")
		}
		return nil
	}
	return fmt.Errorf("post_processor %q is not supported", c.Type)
}
