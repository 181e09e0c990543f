package text

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decoderOp is one decoder's decode_chain: token strings in, strings out.
type decoderOp func([]string) []string

func parseDecoder(c *hfComponent, ops []decoderOp) ([]decoderOp, error) {
	switch c.Type {
	case "Sequence":
		for i := range c.Decoders {
			var err error
			if ops, err = parseDecoder(&c.Decoders[i], ops); err != nil {
				return nil, err
			}
		}
		return ops, nil
	case "ByteLevel":
		return append(ops, byteLevelDecode), nil
	case "ByteFallback":
		return append(ops, byteFallbackDecode), nil
	case "Fuse":
		return append(ops, func(t []string) []string { return []string{strings.Join(t, "")} }), nil
	case "Strip":
		content := " "
		if c.Content != nil {
			content = *c.Content
		}
		if utf8.RuneCountInString(content) != 1 {
			return nil, fmt.Errorf("decoder Strip: content %q is not one character", content)
		}
		r, _ := utf8.DecodeRuneInString(content)
		start, stop := 0, 0
		if c.Start != nil {
			start = *c.Start
		}
		if c.Stop != nil {
			stop = *c.Stop
		}
		if start < 0 || stop < 0 {
			return nil, fmt.Errorf("decoder Strip: negative start/stop")
		}
		return append(ops, func(t []string) []string { return stripDecode(t, r, start, stop) }), nil
	case "Replace":
		m, err := c.Pattern.matcher("decoder Replace")
		if err != nil {
			return nil, err
		}
		if c.Content == nil {
			return nil, fmt.Errorf("decoder Replace: missing content")
		}
		content := *c.Content
		return append(ops, func(t []string) []string {
			out := make([]string, len(t))
			for i, s := range t {
				out[i] = string(replaceStr(hfStr{b: []byte(s)}, m, content).b)
			}
			return out
		}), nil
	case "Metaspace":
		repl := "▁"
		if c.Replacement != nil {
			repl = *c.Replacement
		}
		r, _ := utf8.DecodeRuneInString(repl)
		scheme := "always"
		if c.PrependScheme != nil {
			scheme = *c.PrependScheme
		}
		if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
			scheme = "never"
		}
		return append(ops, func(t []string) []string {
			out := make([]string, len(t))
			for i, s := range t {
				var sb strings.Builder
				for _, c := range s {
					if c == r {
						if i == 0 && scheme != "never" {
							continue
						}
						c = ' '
					}
					sb.WriteRune(c)
				}
				out[i] = sb.String()
			}
			return out
		}), nil
	}
	return nil, fmt.Errorf("decoder %q is not supported", c.Type)
}

// byteLevelDecode maps every token's characters back to bytes (a token with
// a character outside the alphabet stays as its UTF-8), joins them and
// replaces invalid UTF-8 (Rust's from_utf8_lossy).
func byteLevelDecode(t []string) []string {
	var b []byte
	for _, s := range t {
		b = appendByteLevel(b, s)
	}
	return []string{lossy(b)}
}

func appendByteLevel(b []byte, s string) []byte {
	if raw, ok := unmapByteLevel(s); ok {
		return append(b, raw...)
	}
	return append(b, s...)
}

func lossy(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendReplaced(nil, b))
}

// byteFallbackDecode turns runs of <0xHH> tokens into their UTF-8 string, or
// one U+FFFD per byte when the run is not valid UTF-8.
func byteFallbackDecode(t []string) []string {
	var out []string
	var run []byte
	flush := func() {
		if len(run) == 0 {
			return
		}
		if utf8.Valid(run) {
			out = append(out, string(run))
		} else {
			for range run {
				out = append(out, "\uFFFD")
			}
		}
		run = run[:0]
	}
	for _, s := range t {
		if len(s) == 6 && strings.HasPrefix(s, "<0x") && s[5] == '>' {
			if v, err := strconv.ParseUint(s[3:5], 16, 8); err == nil {
				run = append(run, byte(v))
				continue
			}
		}
		flush()
		out = append(out, s)
	}
	flush()
	return out
}

func stripDecode(t []string, c rune, start, stop int) []string {
	out := make([]string, len(t))
	for i, s := range t {
		rs := []rune(s)
		a := 0
		for k := 0; k < start && k < len(rs); k++ {
			if rs[k] != c {
				break
			}
			a = k + 1
		}
		b := len(rs)
		for k := 0; k < stop && k < len(rs); k++ {
			idx := len(rs) - k - 1
			if rs[idx] != c {
				break
			}
			b = idx
		}
		if b < a {
			b = a
		}
		out[i] = string(rs[a:b])
	}
	return out
}

// buildDecode prepares id → token string (added tokens first, as HF's
// simple_id_to_token) and the fast byte path.
func (h *hfTok) buildDecode() {
	n := len(h.m.strs)
	for _, id := range h.added {
		n = max(n, int(id)+1)
	}
	h.tokStr = make([]string, n)
	copy(h.tokStr, h.m.strs)
	for s, id := range h.added {
		h.tokStr[id] = s
	}
	// HF decodes a normalized added token through its normalized form.
	if h.normd != nil {
		for _, t := range h.normd.toks {
			h.tokStr[t.id] = t.content
		}
	}
	h.exists = make([]bool, n)
	for id := range h.m.strs {
		h.exists[id] = h.m.v.off[id+1] > h.m.v.off[id] || h.m.strs[id] != ""
	}
	for _, id := range h.added {
		h.exists[id] = true
	}
	if h.plainDec {
		h.decBytes = make([][]byte, n)
		for id, s := range h.tokStr {
			if h.exists[id] {
				h.decBytes[id] = appendByteLevel(nil, s)
			}
		}
	}
}

// known reports whether id names a token.
func (h *hfTok) known(id int32) bool {
	return id >= 0 && int(id) < len(h.exists) && h.exists[id]
}

// decodeString is HF's Tokenizer.decode(ids, skip_special_tokens). Unknown
// ids are an error here (HF drops them).
func (h *hfTok) decodeString(ids []int32, skipSpecial bool, name string) (string, error) {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if !h.known(id) {
			return "", fmt.Errorf("text: unknown token id %d: not in the vocabulary or added tokens of %s", id, name)
		}
		if skipSpecial && h.special[id] {
			continue
		}
		toks = append(toks, h.tokStr[id])
	}
	if len(h.dec) == 0 {
		return strings.Join(toks, " "), nil
	}
	for _, op := range h.dec {
		toks = op(toks)
	}
	return strings.Join(toks, ""), nil
}

// decode appends the bytes of ids: for a plain ByteLevel decoder the token
// bytes (so invalid UTF-8 round-trips); otherwise the decoder chain's text.
func (h *hfTok) decode(dst []byte, ids []int32, name string) ([]byte, error) {
	if !h.plainDec {
		s, err := h.decodeString(ids, false, name)
		if err != nil {
			return dst, err
		}
		return append(dst, s...), nil
	}
	orig := len(dst)
	for _, id := range ids {
		if !h.known(id) {
			return dst[:orig], fmt.Errorf("text: unknown token id %d: not in the vocabulary or added tokens of %s", id, name)
		}
		dst = append(dst, h.decBytes[id]...)
	}
	return dst, nil
}
