package report

import (
	"bytes"
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

// Pieces returns the text of every id as the tokenizer's decoder renders it
// in context, so that the pieces concatenate to the decoded row: each id's
// text is the growth of the decoded text when the id is appended to the
// ids before it (decoded from the previous piece's start, so a decoder that
// strips a leading space only at the start of a sequence, as SentencePiece
// "▁" tokens do, keeps the space of every later token). An id that ends in
// an unfinished character (the decoded text ends in U+FFFD, e.g. byte
// fallback tokens) gets "" and its bytes go to the id that completes it.
// Ids the tokenizer does not know (a job's own --special-token) are their
// name, alone. special[k] says whether id k is a special token.
func (td *TextDecoder) Pieces(ids []int32) (pieces [][]byte, special []bool, err error) {
	pieces, special = make([][]byte, len(ids)), make([]bool, len(ids))
	prefix, read := 0, 0 // the window ids[prefix:read] decodes to prev
	var prev []byte
	for k, id := range ids {
		_, special[k] = td.special[id]
		cur, err := td.tok.Decode(nil, ids[prefix:k+1])
		if err != nil {
			b, sp, err := td.Token(id)
			if err != nil {
				return nil, nil, err
			}
			pieces[k], special[k] = b, sp
			prefix, read, prev = k+1, k+1, nil
			continue
		}
		if bytes.HasSuffix(cur, []byte("\uFFFD")) && k+1 < len(ids) {
			continue // an unfinished character: its text goes to a later id
		}
		if bytes.HasPrefix(cur, prev) {
			pieces[k] = cur[len(prev):]
		} else if pieces[k], _, err = td.Token(id); err != nil {
			return nil, nil, err
		}
		if prev, err = td.tok.Decode(nil, ids[read:k+1]); err != nil {
			return nil, nil, err
		}
		prefix, read = read, k+1
	}
	return pieces, special, nil
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
