package text

import (
	"bytes"
	"cmp"
	"slices"
)

// specialMatcher finds the leftmost allowed special token in text. tiktoken
// searches with an alternation of all special tokens and skips matches that
// are not allowed; since it restarts one byte after a skipped match, that is
// the leftmost allowed occurrence. At one position we take the longest
// (tiktoken's alternation order there is its hash-map order, i.e. undefined).
type specialMatcher struct {
	byFirst  [256][]specialTok // by first byte, longest first
	oneFirst int               // the only first byte, or -1 when there are several
}

type specialTok struct {
	text string
	id   int32
}

func newSpecialMatcher(allowed map[string]int32) *specialMatcher {
	m := &specialMatcher{oneFirst: -1}
	firsts := 0
	for text, id := range allowed {
		b := text[0]
		if len(m.byFirst[b]) == 0 {
			firsts++
			m.oneFirst = int(b)
		}
		m.byFirst[b] = append(m.byFirst[b], specialTok{text, id})
	}
	if firsts > 1 {
		m.oneFirst = -1
	}
	for i := range m.byFirst {
		slices.SortFunc(m.byFirst[i], func(a, b specialTok) int {
			return cmp.Or(cmp.Compare(len(b.text), len(a.text)), cmp.Compare(a.text, b.text))
		})
	}
	return m
}

// find returns the position, length and id of the leftmost allowed special
// token in s; n == 0 when there is none.
func (m *specialMatcher) find(s []byte) (pos, n int, id int32) {
	for i := 0; i < len(s); i++ {
		if m.oneFirst >= 0 {
			j := bytes.IndexByte(s[i:], byte(m.oneFirst))
			if j < 0 {
				return 0, 0, 0
			}
			i += j
		}
		for _, sp := range m.byFirst[s[i]] {
			if len(s)-i >= len(sp.text) && string(s[i:i+len(sp.text)]) == sp.text {
				return i, len(sp.text), sp.id
			}
		}
	}
	return 0, 0, 0
}
