package report

import (
	"fmt"
	"os"
	"slices"

	"github.com/tokenfab/tokenfab/text"
)

// TextDecoder turns the text ids of a job back into bytes, one id at a
// time, with the tokenizer the job's metadata names. Not safe for
// concurrent use.
type TextDecoder struct {
	tok     *text.Tokenizer
	special map[int32]string // id → text of the job's special tokens
	bos     int32            // -1 when the job added no BOS
	eos     int32            // -1 when the job added no EOS
	buf     []byte           // InputBytes' scratch (a TextDecoder is not safe for concurrent use)
}

// NewTextDecoder builds the text tokenizer described by the metadata's
// tokenizers.text: an embedded encoding (or .tiktoken path) with its
// pattern, or a tokenizer.json path (which must exist on this machine).
func NewTextDecoder(m *Meta) (*TextDecoder, error) {
	d := m.Tokenizers["text"]
	if d == nil {
		return nil, fmt.Errorf("the files have no text tokenizer in their tokenfab metadata")
	}
	opts, _ := d["options"].(map[string]any)
	var tok *text.Tokenizer
	var err error
	if p := str(opts, "tokenizer_json"); p != "" {
		if _, serr := os.Stat(p); serr != nil {
			return nil, fmt.Errorf("the job used the tokenizer.json %s, which is not readable here: %w", p, serr)
		}
		tok, err = text.LoadHF(p)
	} else {
		enc := str(opts, "encoding")
		if enc == "" {
			enc = str(d, "name")
		}
		if !slices.Contains(text.Encodings(), enc) {
			if _, serr := os.Stat(enc); serr != nil {
				return nil, fmt.Errorf("the job's text encoding %q is neither embedded nor a readable file", enc)
			}
		}
		tok, err = text.New(text.Config{Encoding: enc, Pattern: str(opts, "pattern")})
	}
	if err != nil {
		return nil, err
	}
	td := &TextDecoder{tok: tok, special: map[int32]string{}, bos: -1, eos: -1}
	for name, id := range tok.SpecialTokens() {
		td.special[id] = name
	}
	sp, _ := opts["special_tokens"].(map[string]any)
	for name, v := range sp {
		if id, ok := v.(float64); ok {
			td.special[int32(id)] = name
		}
	}
	byName := func(n string) int32 {
		if v, ok := sp[n].(float64); ok {
			return int32(v)
		}
		for id, s := range td.special {
			if s == n {
				return id
			}
		}
		return -1
	}
	if b, _ := opts["add_bos"].(bool); b {
		td.bos = byName(str(opts, "bos"))
	}
	if e, _ := opts["add_eos"].(bool); e {
		td.eos = byName(str(opts, "eos"))
	}
	return td, nil
}

// Token returns the bytes of one id, and whether it is a special token.
func (td *TextDecoder) Token(id int32) ([]byte, bool, error) {
	if s, ok := td.special[id]; ok {
		return []byte(s), true, nil
	}
	b, err := td.tok.Decode(nil, []int32{id})
	return b, false, err
}

// InputBytes returns how many input bytes a text row's ids stand for: the
// decoded bytes without the BOS/EOS the job added (tokenization is
// lossless, so this is the length of the original text).
func (td *TextDecoder) InputBytes(ids []int32) (int, error) {
	if len(ids) > 0 && td.bos >= 0 && ids[0] == td.bos {
		ids = ids[1:]
	}
	if len(ids) > 0 && td.eos >= 0 && ids[len(ids)-1] == td.eos {
		ids = ids[:len(ids)-1]
	}
	// Fast path: one Decode into a reused buffer (every id a rank or one
	// of the encoding's own special tokens).
	if b, err := td.tok.Decode(td.buf[:0], ids); err == nil {
		td.buf = b
		return len(b), nil
	}
	n := 0
	for _, id := range ids {
		if s, ok := td.special[id]; ok {
			n += len(s)
			continue
		}
		b, err := td.tok.Decode(td.buf[:0], []int32{id})
		if err != nil {
			return 0, err
		}
		td.buf = b
		n += len(b)
	}
	return n, nil
}
