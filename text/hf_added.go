package text

import (
	"unicode/utf8"
)

// addedMatcher finds added tokens in text as HF's AddedVocabulary does:
// Aho-Corasick leftmost-longest, non-overlapping, then single_word, lstrip
// and rstrip applied to each match. It is a byte trie.
type addedMatcher struct {
	nodes []trieNode
	first [256]bool
	toks  []*addedTok
}

type trieNode struct {
	edges []trieEdge
	tok   int32 // index in toks, or -1
}

type trieEdge struct {
	b    byte
	next int32
}

func newAddedMatcher(toks []*addedTok) *addedMatcher {
	if len(toks) == 0 {
		return nil
	}
	m := &addedMatcher{nodes: []trieNode{{tok: -1}}, toks: toks}
	for i, t := range toks {
		n := int32(0)
		for k := 0; k < len(t.content); k++ {
			c := t.content[k]
			if k == 0 {
				m.first[c] = true
			}
			nx := m.child(n, c)
			if nx < 0 {
				nx = int32(len(m.nodes))
				m.nodes = append(m.nodes, trieNode{tok: -1})
				m.nodes[n].edges = append(m.nodes[n].edges, trieEdge{c, nx})
			}
			n = nx
		}
		m.nodes[n].tok = int32(i)
	}
	return m
}

func (m *addedMatcher) child(n int32, c byte) int32 {
	for _, e := range m.nodes[n].edges {
		if e.b == c {
			return e.next
		}
	}
	return -1
}

// longestAt returns the index and length of the longest token starting at
// s[0], or -1.
func (m *addedMatcher) longestAt(s []byte) (int32, int) {
	best, bestN := int32(-1), 0
	n := int32(0)
	for k := 0; k < len(s); k++ {
		n = m.child(n, s[k])
		if n < 0 {
			break
		}
		if t := m.nodes[n].tok; t >= 0 {
			best, bestN = t, k+1
		}
	}
	return best, bestN
}

// addedSeg is one piece of a split: [s, e) of the text and the added token
// id, or -1 for ordinary text.
type addedSeg struct {
	s, e int
	id   int32
}

// split appends the segments of s to dst (HF's find_matches; an empty s
// gives nothing).
func (m *addedMatcher) split(dst []addedSeg, s []byte) []addedSeg {
	if len(s) == 0 {
		return dst
	}
	if m == nil {
		return append(dst, addedSeg{0, len(s), -1})
	}
	startOff := 0
	for i := 0; i < len(s); {
		if !m.first[s[i]] {
			i++
			continue
		}
		ti, n := m.longestAt(s[i:])
		if ti < 0 {
			i++
			continue
		}
		t := m.toks[ti]
		start, stop := i, i+n
		i = stop
		if t.singleWord {
			startSpace := start == 0 || !endsWithWord(s[:start])
			stopSpace := stop == len(s) || !startsWithWord(s[stop:])
			if !startSpace || !stopSpace {
				continue
			}
		}
		if t.lstrip {
			ns := start
			for ns > 0 {
				r, k := utf8.DecodeLastRune(s[:ns])
				if !isWhite(r) {
					break
				}
				ns -= k
			}
			start = max(ns, startOff)
		}
		if t.rstrip {
			for stop < len(s) {
				r, k := utf8.DecodeRune(s[stop:])
				if !isWhite(r) {
					break
				}
				stop += k
			}
			i = stop
		}
		if startOff < start {
			dst = append(dst, addedSeg{startOff, start, -1})
		}
		dst = append(dst, addedSeg{start, stop, t.id})
		startOff = stop
	}
	if startOff != len(s) {
		dst = append(dst, addedSeg{startOff, len(s), -1})
	}
	return dst
}

func endsWithWord(s []byte) bool {
	r, _ := utf8.DecodeLastRune(s)
	return len(s) > 0 && isWordChar(r)
}

func startsWithWord(s []byte) bool {
	r, _ := utf8.DecodeRune(s)
	return len(s) > 0 && isWordChar(r)
}
