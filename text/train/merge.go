package train

import (
	"context"
)

// pairStat is the corpus count of one adjacent pair of ids and the words it
// may occur in (a superset: entries go stale when a merge removes the pair
// from a word, and the list is dropped when the count reaches 0).
type pairStat struct {
	key   uint64 // left<<32 | right
	count int64
	words []int32
	stamp int32 // step in which the count last went up
}

// heapEntry is a pair and its count when pushed. Counts only go down
// between pushes, so an entry whose count no longer matches is re-pushed
// with the current count when it reaches the top (lazy deletion).
type heapEntry struct {
	count int64
	key   uint64
}

// before orders the heap: higher count first, then the lower key (lower
// left id, then lower right id).
func (a heapEntry) before(b heapEntry) bool {
	return a.count > b.count || a.count == b.count && a.key < b.key
}

type pairHeap []heapEntry

func (h *pairHeap) push(e heapEntry) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].before(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *pairHeap) pop() heapEntry {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].before(s[l]) {
			m = r
		}
		if !s[m].before(s[i]) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

func pairKey(a, b int32) uint64 { return uint64(a)<<32 | uint64(uint32(b)) }

// merger holds the words (distinct pre-tokens as id sequences, in one
// arena) and the pair index during the merge loop.
type merger struct {
	arena   []int32 // symbols of all words
	off     []int32 // word w is arena[off[w] : off[w]+n[w]]
	n       []int32
	wcount  []int64
	seen    []int32 // step that last processed word w
	index   map[uint64]int32
	pairs   []pairStat
	touched []int32 // pairs whose count went up in this step
	step    int32
	merged  uint64 // key being merged; its own count is not maintained
}

func (m *merger) inc(key uint64, c int64, w int32) {
	if key == m.merged {
		return
	}
	i, ok := m.index[key]
	if !ok {
		i = int32(len(m.pairs))
		m.pairs = append(m.pairs, pairStat{key: key})
		m.index[key] = i
	}
	p := &m.pairs[i]
	p.count += c
	if k := len(p.words); k == 0 || p.words[k-1] != w {
		p.words = append(p.words, w)
	}
	if p.stamp != m.step {
		p.stamp = m.step
		m.touched = append(m.touched, i)
	}
}

func (m *merger) dec(key uint64, c int64) {
	if key == m.merged {
		return
	}
	p := &m.pairs[m.index[key]]
	if p.count -= c; p.count == 0 {
		p.words = nil // no word holds the pair any more
	}
}

// apply replaces every occurrence of (a, b) in word w, left to right, by
// c and updates the counts of the neighbouring pairs.
func (m *merger) apply(w int32, a, b, c int32) {
	s := m.arena[m.off[w] : m.off[w]+m.n[w]]
	cnt := m.wcount[w]
	n := len(s)
	j := 0
	for i := 0; i < n; {
		if i+1 < n && s[i] == a && s[i+1] == b {
			if j > 0 {
				prev := s[j-1]
				m.dec(pairKey(prev, a), cnt)
				m.inc(pairKey(prev, c), cnt, w)
			}
			if i+2 < n {
				next := s[i+2]
				m.dec(pairKey(b, next), cnt)
				m.inc(pairKey(c, next), cnt, w)
			}
			s[j] = c
			j++
			i += 2
			continue
		}
		s[j] = s[i]
		j++
		i++
	}
	m.n[w] = int32(j)
}

// merge runs the BPE loop on the piece counts until there are maxTokens
// tokens or no pair is left, filling r.Tokens and r.Merges.
func (r *Result) merge(ctx context.Context, counts map[string]int64, maxTokens int) error {
	var rankOf [256]int32
	r.Tokens = make([][]byte, 256, min(maxTokens, 1<<17)) // a huge VocabSize on a small corpus allocates little
	tokID := make(map[string]int32, min(maxTokens, 1<<17))
	for rank, b := range byteOrder {
		r.Tokens[rank] = []byte{b}
		rankOf[b] = int32(rank)
		tokID[string([]byte{b})] = int32(rank)
	}
	r.Stats.DistinctPieces = len(counts)

	m := &merger{index: make(map[uint64]int32, len(counts))}
	for piece, c := range counts {
		if len(piece) < 2 {
			continue
		}
		m.off = append(m.off, int32(len(m.arena)))
		m.n = append(m.n, int32(len(piece)))
		m.wcount = append(m.wcount, c)
		for i := 0; i < len(piece); i++ {
			m.arena = append(m.arena, rankOf[piece[i]])
		}
	}
	m.seen = make([]int32, len(m.off))
	m.merged = ^uint64(0)
	for w := range m.off {
		s := m.arena[m.off[w] : m.off[w]+m.n[w]]
		for i := 0; i+1 < len(s); i++ {
			m.inc(pairKey(s[i], s[i+1]), m.wcount[w], int32(w))
		}
	}
	h := make(pairHeap, 0, len(m.pairs))
	for _, p := range m.pairs {
		h.push(heapEntry{p.count, p.key})
	}
	m.touched = m.touched[:0]

	for len(r.Tokens) < maxTokens && len(h) > 0 {
		top := h.pop()
		pi := m.index[top.key]
		p := &m.pairs[pi]
		if p.count != top.count {
			if p.count > 0 {
				h.push(heapEntry{p.count, p.key})
			}
			continue
		}
		if m.step&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		a, b := int32(top.key>>32), int32(uint32(top.key))
		tok := make([]byte, 0, len(r.Tokens[a])+len(r.Tokens[b]))
		tok = append(append(tok, r.Tokens[a]...), r.Tokens[b]...)
		c, exists := tokID[string(tok)]
		if !exists {
			c = int32(len(r.Tokens))
			r.Tokens = append(r.Tokens, tok)
			tokID[string(tok)] = c
		}
		r.Merges = append(r.Merges, Merge{Left: a, Right: b, Result: c, Count: p.count})

		words := p.words
		p.words, p.count = nil, 0
		m.step++
		m.merged = top.key
		m.touched = m.touched[:0]
		for _, w := range words {
			if m.seen[w] == m.step {
				continue
			}
			m.seen[w] = m.step
			m.apply(w, a, b, c)
		}
		for _, i := range m.touched {
			if q := &m.pairs[i]; q.count > 0 {
				h.push(heapEntry{q.count, q.key})
			}
		}
	}
	return nil
}
