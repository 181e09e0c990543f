package text

import (
	"bytes"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normOp is one normalizer of the chain; it returns the normalized string
// (possibly p itself) and keeps alignments when p.al is set.
type normOp func(p hfStr) hfStr

// parseNormalizer turns a normalizer object into ops (Sequence flattened).
func parseNormalizer(c *hfComponent, ops []normOp) ([]normOp, error) {
	switch c.Type {
	case "Sequence":
		for i := range c.Normalizers {
			var err error
			if ops, err = parseNormalizer(&c.Normalizers[i], ops); err != nil {
				return nil, err
			}
		}
		return ops, nil
	case "NFC":
		return append(ops, nfOp(norm.NFC)), nil
	case "NFD":
		return append(ops, nfOp(norm.NFD)), nil
	case "NFKC":
		return append(ops, nfOp(norm.NFKC)), nil
	case "NFKD":
		return append(ops, nfOp(norm.NFKD)), nil
	case "Prepend":
		if c.Prepend == nil {
			return nil, fmt.Errorf("normalizer Prepend: missing prepend")
		}
		s := *c.Prepend
		return append(ops, func(p hfStr) hfStr {
			if len(p.b) == 0 {
				return p
			}
			return prependStr(p, s)
		}), nil
	case "Replace":
		m, err := c.Pattern.matcher("normalizer Replace")
		if err != nil {
			return nil, err
		}
		if c.Content == nil {
			return nil, fmt.Errorf("normalizer Replace: missing content")
		}
		content := *c.Content
		return append(ops, func(p hfStr) hfStr { return replaceStr(p, m, content) }), nil
	case "Lowercase":
		return append(ops, lowercaseStr), nil
	case "Strip":
		l, r := c.StripLeft != nil && *c.StripLeft, c.StripRight != nil && *c.StripRight
		return append(ops, func(p hfStr) hfStr { return stripStr(p, l, r) }), nil
	}
	return nil, fmt.Errorf("normalizer %q is not supported", c.Type)
}

// prependStr is NormalizedString::prepend: the new characters take the
// alignment of the first character.
func prependStr(p hfStr, s string) hfStr {
	b := make([]byte, 0, len(s)+len(p.b))
	b = append(append(b, s...), p.b...)
	if p.al == nil {
		return hfStr{b: b}
	}
	al := make([]span, 0, len(b))
	first := span{}
	if len(p.al) > 0 {
		first = p.al[0]
	}
	for range len(s) {
		al = append(al, first)
	}
	return hfStr{b: b, al: append(al, p.al...)}
}

// replaceStr is NormalizedString::replace: each match becomes content, whose
// characters take the alignment of the match's last byte ((0,0) for an empty
// match at the start).
func replaceStr(p hfStr, m matcher, content string) hfStr {
	ms := m.matches(nil, p.b)
	any := false
	for _, x := range ms {
		if x.match {
			any = true
			break
		}
	}
	if !any {
		return p
	}
	b := make([]byte, 0, len(p.b))
	var al []span
	if p.al != nil {
		al = make([]span, 0, len(p.b))
	}
	for _, x := range ms {
		if !x.match {
			b = append(b, p.b[x.s:x.e]...)
			if p.al != nil {
				al = append(al, p.al[x.s:x.e]...)
			}
			continue
		}
		b = append(b, content...)
		if p.al != nil {
			a := span{}
			if x.e > 0 {
				a = p.al[x.e-1]
			}
			for range len(content) {
				al = append(al, a)
			}
		}
	}
	return hfStr{b: b, al: al}
}

// lowercaseStr is Rust's char::to_lowercase per character; every output
// character keeps the alignment of its source character.
func lowercaseStr(p hfStr) hfStr {
	b := make([]byte, 0, len(p.b))
	var al []span
	if p.al != nil {
		al = make([]span, 0, len(p.b))
	}
	for i := 0; i < len(p.b); {
		r, n := utf8.DecodeRune(p.b[i:])
		k := len(b)
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, p.b[i])
		case r == 0x130: // İ: the only unconditional multi-character lowercase
			b = append(b, "i\u0307"...)
		default:
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
		if p.al != nil {
			for range len(b) - k {
				al = append(al, p.al[i])
			}
		}
		i += n
	}
	return hfStr{b: b, al: al}
}

// stripStr removes leading/trailing White_Space characters.
func stripStr(p hfStr, left, right bool) hfStr {
	i, j := 0, len(p.b)
	if left {
		for i < j {
			r, n := utf8.DecodeRune(p.b[i:j])
			if !isWhite(r) {
				break
			}
			i += n
		}
	}
	if right {
		for j > i {
			r, n := utf8.DecodeLastRune(p.b[i:j])
			if !isWhite(r) {
				break
			}
			j -= n
		}
	}
	return p.slice(i, j)
}

// nfOp applies a Unicode normalization form. Without alignments it is
// form.Bytes; with them it reproduces the (char, change) stream of the
// unicode-normalization-alignments crate that HF uses: a decomposed
// character's first part replaces it and the rest are new (they share the
// alignment of the last consumed character), canonical reordering moves
// characters with their changes, and a composition consumes what both parts
// consumed.
func nfOp(form norm.Form) normOp {
	return func(p hfStr) hfStr {
		if form.IsNormal(p.b) {
			return p
		}
		if p.al == nil {
			return hfStr{b: form.Bytes(p.b)}
		}
		b := make([]byte, 0, len(p.b)+8)
		al := make([]span, 0, len(p.b)+8)
		for i := 0; i < len(p.b); {
			n := form.NextBoundary(p.b[i:], true)
			if n <= 0 {
				n = len(p.b) - i
			}
			seg := hfStr{b: p.b[i : i+n], al: p.al[i : i+n]}
			out := form.Bytes(seg.b)
			if bytes.Equal(out, seg.b) {
				b = append(b, seg.b...)
				al = append(al, seg.al...)
			} else {
				b, al = transformNF(b, al, seg, out, form)
			}
			i += n
		}
		return hfStr{b: b, al: al}
	}
}

type runeChange struct {
	r      rune
	change int
}

// transformNF appends the normalization of seg (whose normalized bytes are
// want) with HF-style alignments.
func transformNF(b []byte, al []span, seg hfStr, want []byte, form norm.Form) ([]byte, []span) {
	decomp := norm.NFD
	if form == norm.NFKC || form == norm.NFKD {
		decomp = norm.NFKD
	}
	var rc []runeChange
	for i := 0; i < len(seg.b); {
		r, n := utf8.DecodeRune(seg.b[i:])
		d := decomp.String(string(r))
		if r == utf8.RuneError && n == 1 {
			d = string(seg.b[i : i+1])
		}
		k := 0
		for _, x := range d {
			ch := 0
			if k > 0 {
				ch = 1
			}
			rc = append(rc, runeChange{x, ch})
			k++
		}
		i += n
	}
	ccc := func(r rune) uint8 { return norm.NFD.PropertiesString(string(r)).CCC() }
	// Canonical ordering: stable sort of each run of non-starters.
	for i := 0; i < len(rc); {
		if ccc(rc[i].r) == 0 {
			i++
			continue
		}
		j := i
		for j < len(rc) && ccc(rc[j].r) != 0 {
			j++
		}
		slices.SortStableFunc(rc[i:j], func(a, b runeChange) int { return int(ccc(a.r)) - int(ccc(b.r)) })
		i = j
	}
	if form == norm.NFC || form == norm.NFKC {
		rc = composeChanges(rc, ccc)
	}
	var got []byte
	for _, x := range rc {
		got = utf8.AppendRune(got, x.r)
	}
	if !bytes.Equal(got, want) { // not expected; keep the text right, align positionally
		rc = rc[:0]
		for _, r := range string(want) {
			rc = append(rc, runeChange{r, 0})
		}
	}
	// HF's transform: walk the old characters, consuming 1 - change of them
	// per new character.
	oldOff := 0
	for _, x := range rc {
		var a span
		if x.change > 0 {
			if oldOff > 0 {
				a = seg.al[oldOff-1]
			} else if len(al) > 0 {
				a = al[len(al)-1]
			}
		} else if oldOff < len(seg.al) {
			a = seg.al[oldOff]
		} else if len(seg.al) > 0 {
			a = seg.al[len(seg.al)-1]
		}
		for k := 0; k < 1-x.change && oldOff < len(seg.b); k++ {
			_, n := utf8.DecodeRune(seg.b[oldOff:])
			oldOff += n
		}
		k := len(b)
		b = utf8.AppendRune(b, x.r)
		for range len(b) - k {
			al = append(al, a)
		}
	}
	return b, al
}

// composeChanges is the canonical composition algorithm over rc; a composed
// character's change is starter + combining - 1.
func composeChanges(rc []runeChange, ccc func(rune) uint8) []runeChange {
	out := rc[:0:0]
	starter := -1
	for _, x := range rc {
		c := ccc(x.r)
		if starter >= 0 {
			blocked := false
			last := len(out) - 1
			if last != starter {
				lc := ccc(out[last].r)
				blocked = lc == 0 || lc >= c
			}
			if !blocked {
				if comp := norm.NFC.String(string(out[starter].r) + string(x.r)); utf8.RuneCountInString(comp) == 1 {
					r, _ := utf8.DecodeRuneInString(comp)
					if r != out[starter].r {
						out[starter] = runeChange{r, out[starter].change + x.change - 1}
						continue
					}
				}
			}
		}
		out = append(out, x)
		if c == 0 {
			starter = len(out) - 1
		}
	}
	return out
}
