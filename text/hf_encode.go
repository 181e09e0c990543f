package text

import (
	"unicode/utf8"
)

// encode appends the ids of text as HF's Tokenizer.encode(text,
// add_special_tokens=addSpecial): added tokens split out of the raw text,
// normalizer, normalized added tokens, pre-tokenizer, BPE model, then the
// post-processor's special ids when addSpecial.
func (h *hfTok) encode(dst []int32, text []byte, addSpecial bool) []int32 {
	if addSpecial {
		dst = append(dst, h.prefix...)
	}
	w := wordPool.Get().(*word)
	var mc *hfCache
	var segBuf [8]addedSeg
	for _, sg := range h.raw.split(segBuf[:0], text) {
		if sg.id >= 0 {
			dst = append(dst, sg.id)
			continue
		}
		p := hfStr{b: text[sg.s:sg.e]}
		for _, op := range h.normOps {
			p = op(p)
		}
		if h.normd == nil {
			dst = h.encodeSeg(dst, p, w, &mc)
			continue
		}
		var segBuf2 [8]addedSeg
		for _, sg2 := range h.normd.split(segBuf2[:0], p.b) {
			if sg2.id >= 0 {
				dst = append(dst, sg2.id)
				continue
			}
			dst = h.encodeSeg(dst, p.slice(sg2.s, sg2.e), w, &mc)
		}
	}
	if mc != nil {
		h.m.caches.Put(mc)
	}
	wordPool.Put(w)
	if addSpecial {
		dst = append(dst, h.suffix...)
	}
	return dst
}

// encodeSeg pre-tokenizes one normalized segment and runs the model on
// every piece.
func (h *hfTok) encodeSeg(dst []int32, p hfStr, w *word, mc **hfCache) []int32 {
	if len(p.b) == 0 {
		return dst
	}
	switch {
	case h.fast != nil:
		s := p.b
		for len(s) > 0 {
			n := h.fast(s)
			if n < 1 || n > len(s) {
				n = len(s)
			}
			dst = h.m.appendPiece(dst, s[:n], w, mc)
			s = s[n:]
		}
		return dst
	case h.wholeSeg:
		return h.m.appendPiece(dst, p.b, w, mc)
	}
	for _, q := range h.pretokenize(p) {
		dst = h.m.appendPiece(dst, q.b, w, mc)
	}
	return dst
}

// pretokenize runs the pre-tokenizer chain on one segment.
func (h *hfTok) pretokenize(p hfStr) []hfStr {
	cur := []hfStr{p}
	var next []hfStr
	var buf []mspan
	for _, st := range h.stages {
		next = next[:0]
		for _, q := range cur {
			next = st.split(next, q, &buf)
		}
		cur, next = next, cur
	}
	return cur
}

// Offset is where one token came from in the input: bytes [Start, End) and
// code points [CharStart, CharEnd) (Python str indices), like the offsets of
// an HF Encoding (Python's Encoding.offsets are the char offsets). Tokens
// that the post-processor adds (BOS, EOS) have zero offsets.
type Offset struct {
	Start, End         int
	CharStart, CharEnd int
}

// EncodeWithOffsets returns the ids of text and, for each id, its offsets in
// text. For a tokenizer.json the ids are those of Encode (addSpecial false)
// or Tokenize (addSpecial true) and the offsets match HF tokenizers'
// encode(text, add_special_tokens=addSpecial).offsets for valid UTF-8 text:
// a token inside one character (byte-level BPE) spans the whole character,
// and normalized text maps back through the normalizer's alignments. For a
// tiktoken encoding the ids are Encode's (plus BOS/EOS when addSpecial and
// configured) and each token spans its own bytes; CharStart/CharEnd then
// cover every character that the token's bytes touch.
func (t *Tokenizer) EncodeWithOffsets(text []byte, addSpecial bool) ([]int32, []Offset) {
	if t.hf != nil {
		return t.hf.encodeOffsets(text, addSpecial)
	}
	ids := t.Encode(nil, text)
	offs := make([]Offset, 0, len(ids)+2)
	ci := charIndex(text)
	pos := 0
	for _, id := range ids {
		n := len(t.v.token(id))
		if n == 0 {
			n = len(t.specialD[id])
		}
		o := Offset{Start: pos, End: min(pos+n, len(text))}
		o.CharStart, o.CharEnd = charSpan(ci, o.Start, o.End)
		offs = append(offs, o)
		pos += n
	}
	if addSpecial {
		if t.bos >= 0 {
			ids = append([]int32{t.bos}, ids...)
			offs = append([]Offset{{}}, offs...)
		}
		if t.eos >= 0 {
			ids = append(ids, t.eos)
			offs = append(offs, Offset{})
		}
	}
	return ids, offs
}

// charIndex maps every byte of text to the index of its character (an
// invalid byte is one character).
func charIndex(text []byte) []int32 {
	ci := make([]int32, len(text))
	c := int32(0)
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRune(text[i:])
		for k := range n {
			ci[i+k] = c
		}
		c++
		i += n
	}
	return ci
}

// charSpan converts a byte range to characters: the characters that the
// range's bytes touch.
func charSpan(ci []int32, s, e int) (int, int) {
	if s >= len(ci) || e <= s {
		if s < len(ci) {
			return int(ci[s]), int(ci[s])
		}
		return int(charCount(ci)), int(charCount(ci))
	}
	return int(ci[s]), int(ci[e-1]) + 1
}

func charCount(ci []int32) int32 {
	if len(ci) == 0 {
		return 0
	}
	return ci[len(ci)-1] + 1
}

// hfCharOffsets is HF's BytesToCharOffsetConverter.convert: both ends
// through the byte→char map, the end at len(text) through the last byte;
// when the start is not a byte of text the byte offsets stay.
func hfCharOffsets(ci []int32, s, e int) (int, int) {
	if s >= len(ci) || s < 0 {
		return s, e
	}
	if e < len(ci) {
		return int(ci[s]), int(ci[e])
	}
	return int(ci[s]), int(ci[e-1]) + 1
}

// rootStr is the original text as a NormalizedString: every byte aligned to
// its character's byte range.
func rootStr(text []byte) hfStr {
	al := make([]span, len(text))
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRune(text[i:])
		for k := range n {
			al[i+k] = span{int32(i), int32(i + n)}
		}
		i += n
	}
	return hfStr{b: text, al: al}
}

func spanOf(p hfStr, s, e int) (int, int) {
	if e <= s || len(p.al) == 0 {
		return 0, 0
	}
	return int(p.al[s].s), int(p.al[e-1].e)
}

func (h *hfTok) encodeOffsets(text []byte, addSpecial bool) ([]int32, []Offset) {
	var ids []int32
	var offs []Offset
	root := rootStr(text)
	w := &word{}
	emit := func(id int32, s, e int) {
		ids = append(ids, id)
		offs = append(offs, Offset{Start: s, End: e})
	}
	segment := func(p hfStr) {
		if len(p.b) == 0 {
			return
		}
		var pieces []hfStr
		switch {
		case h.fast != nil:
			s := p
			for len(s.b) > 0 {
				n := h.fast(s.b)
				if n < 1 || n > len(s.b) {
					n = len(s.b)
				}
				pieces = append(pieces, s.slice(0, n))
				s = s.slice(n, len(s.b))
			}
		case h.wholeSeg:
			pieces = []hfStr{p}
		default:
			pieces = h.pretokenize(p)
		}
		for _, q := range pieces {
			h.m.tokenize(w, q.b)
			prev := 0
			for k, id := range w.ids {
				end := int(w.ends[k])
				s, e := spanOf(q, prev, end)
				emit(id, s, e)
				prev = end
			}
		}
	}
	for _, sg := range h.raw.split(nil, root.b) {
		if sg.id >= 0 {
			s, e := spanOf(root, sg.s, sg.e)
			emit(sg.id, s, e)
			continue
		}
		p := root.slice(sg.s, sg.e)
		for _, op := range h.normOps {
			p = op(p)
		}
		if h.normd == nil {
			segment(p)
			continue
		}
		for _, sg2 := range h.normd.split(nil, p.b) {
			if sg2.id >= 0 {
				s, e := spanOf(p, sg2.s, sg2.e)
				emit(sg2.id, s, e)
				continue
			}
			segment(p.slice(sg2.s, sg2.e))
		}
	}
	ci := charIndex(text)
	for i := range offs {
		o := &offs[i]
		o.CharStart, o.CharEnd = hfCharOffsets(ci, o.Start, o.End)
	}
	if h.trim != nil {
		h.trim.apply(h, ids, offs)
	}
	if addSpecial && (len(h.prefix) > 0 || len(h.suffix) > 0) {
		ids2 := append(append(append([]int32{}, h.prefix...), ids...), h.suffix...)
		offs2 := make([]Offset, len(h.prefix), len(ids2))
		offs2 = append(append(offs2, offs...), make([]Offset, len(h.suffix))...)
		ids, offs = ids2, offs2
	}
	if ids == nil {
		ids, offs = []int32{}, []Offset{}
	}
	return ids, offs
}

// byteLevelTrim is the ByteLevel post-processor with trim_offsets: leading
// and trailing spaces (Ġ or whitespace characters of the token string) are
// cut from each token's offsets.
type byteLevelTrim struct{ addPrefixSpace bool }

func (b *byteLevelTrim) apply(h *hfTok, ids []int32, offs []Offset) {
	isSp := func(r rune) bool { return r == 'Ġ' || isWhite(r) }
	for i, id := range ids {
		tok := ""
		if int(id) < len(h.tokStr) {
			tok = h.tokStr[id]
		}
		lead, trail := 0, 0
		for _, r := range tok {
			if !isSp(r) {
				break
			}
			lead++
		}
		rs := []rune(tok)
		for k := len(rs) - 1; k >= 0 && isSp(rs[k]); k-- {
			trail++
		}
		o := &offs[i]
		if lead > 0 {
			if (i == 0 || o.CharStart == 0) && b.addPrefixSpace && lead == 1 {
				lead = 0
			}
			o.CharStart = min(o.CharStart+lead, o.CharEnd)
			o.Start = min(o.Start+lead, o.End)
		}
		if trail > 0 && o.CharEnd >= trail {
			o.CharEnd = max(o.CharEnd-trail, o.CharStart)
			o.End = max(o.End-trail, o.Start)
		}
	}
}
