package text

import (
	"fmt"
	"unicode/utf8"
)

// Decode appends the bytes of ids to dst (tiktoken's decode_bytes): token
// bytes concatenated, special tokens as their text. An id that is neither a
// rank nor a special token is an error naming it; dst is then returned at
// its original length.
func (t *Tokenizer) Decode(dst []byte, ids []int32) ([]byte, error) {
	if t.hf != nil {
		return t.hf.decode(dst, ids, t.name)
	}
	orig := len(dst)
	v := t.v
	for _, id := range ids {
		if uint(id) < uint(len(v.off)-1) {
			if lo, hi := v.off[id], v.off[id+1]; lo < hi {
				dst = append(dst, v.blob[lo:hi]...)
				continue
			}
		}
		s, ok := t.specialD[id]
		if !ok {
			return dst[:orig], fmt.Errorf("text: unknown token id %d: not a rank or special token of %s (ids are below %d, with gaps)", id, t.name, t.vocabN)
		}
		dst = append(dst, s...)
	}
	return dst, nil
}

// DecodeString decodes ids to text like tiktoken's decode(ids,
// errors="replace"): bytes that are not valid UTF-8 become U+FFFD, one per
// maximal invalid subsequence (Python's bytes.decode("utf-8", "replace"),
// WHATWG), so a character cut in half gives one U+FFFD, not one per byte.
// Errors as Decode.
func (t *Tokenizer) DecodeString(ids []int32) (string, error) {
	if t.hf != nil {
		return t.hf.decodeString(ids, false, t.name)
	}
	b, err := t.Decode(nil, ids)
	if err != nil {
		return "", err
	}
	if utf8.Valid(b) {
		return string(b), nil
	}
	return string(appendReplaced(nil, b)), nil
}

// appendReplaced appends b to dst with every maximal invalid subsequence
// replaced by U+FFFD.
func appendReplaced(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		n, ok := validPrefix(b[i:])
		if ok {
			dst = append(dst, b[i:i+n]...)
		} else {
			dst = append(dst, "\uFFFD"...)
		}
		i += n
	}
	return dst
}

// validPrefix looks at a sequence starting with a non-ASCII byte. It returns
// the length of the complete character and true, or the length of the
// maximal prefix of a valid sequence (at least 1) and false.
func validPrefix(b []byte) (int, bool) {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF) // allowed range of the second byte
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 2
	case c == 0xE0:
		need, lo = 3, 0xA0
	case c == 0xED:
		need, hi = 3, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 3
	case c == 0xF0:
		need, lo = 4, 0x90
	case c == 0xF4:
		need, hi = 4, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 4
	default:
		return 1, false
	}
	for k := 1; k < need; k++ {
		if k >= len(b) || b[k] < lo || b[k] > hi {
			return k, false
		}
		lo, hi = 0x80, 0xBF
	}
	return need, true
}

// incompleteTail returns how many bytes at the end of b are a valid but
// unfinished UTF-8 sequence (0..3): more bytes could still complete them.
func incompleteTail(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // a lead (or invalid) byte: the candidate start
			if c < 0xC2 || c > 0xF4 {
				return 0 // never starts a character
			}
			n, ok := validPrefix(b[len(b)-k:])
			if !ok && n == k {
				return k
			}
			return 0
		}
	}
	return 0
}

// StreamDecoder turns a stream of ids into text, holding back a trailing
// incomplete UTF-8 sequence until the ids that complete it arrive. The
// concatenation of all Write results and Flush equals DecodeString of all ids.
// It is not safe for concurrent use.
type StreamDecoder struct {
	t    *Tokenizer
	tail []byte // at most 3 bytes of an unfinished character
}

// NewStreamDecoder returns a StreamDecoder for t's ids.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder { return &StreamDecoder{t: t} }

// Write decodes ids and returns the text completed so far (invalid bytes as
// U+FFFD, as DecodeString). On an unknown id it returns an error naming the
// id and the decoder state is unchanged.
func (d *StreamDecoder) Write(ids []int32) (string, error) {
	b, err := d.t.Decode(d.tail, ids)
	if err != nil {
		return "", err
	}
	keep := incompleteTail(b)
	done := b[:len(b)-keep]
	var out string
	if utf8.Valid(done) {
		out = string(done)
	} else {
		out = string(appendReplaced(nil, done))
	}
	d.tail = append(d.tail[:0:0], b[len(b)-keep:]...)
	return out, nil
}

// Flush returns the held-back bytes (one U+FFFD if any: an unfinished
// character is invalid at the end of the stream) and resets the decoder.
func (d *StreamDecoder) Flush() string {
	out := string(appendReplaced(nil, d.tail))
	d.tail = nil
	return out
}
