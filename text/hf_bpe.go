package text

import (
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// hfBPE is the BPE model of a tokenizer.json (Hugging Face tokenizers'
// models/bpe): the merge priority is the index in the merges list, and only
// listed pairs merge, so ranks need not follow ids (Mistral/SentencePiece)
// and a token reachable by an unlisted pair is not produced that way.
//
// In byte mode (a ByteLevel pre-tokenizer) the vocabulary strings are
// GPT-2's byte-to-unicode spelling and are stored as the bytes they stand
// for, so a pre-token's symbols are its bytes; otherwise symbols are the
// UTF-8 characters of the pre-token and tokens are stored as UTF-8.
type hfBPE struct {
	v            *vocab // id → internal bytes (blob/off) and bytes → id (tab)
	byteMode     bool
	symID        [256]int32 // byte mode: id of each 1-byte symbol, or -1
	allBytes     bool       // byte mode and every byte has a symbol
	pairs        pairTable
	ignoreMerges bool
	byteFallback bool
	fallbackID   [256]int32 // id of "<0xHH>", or -1
	unkID        int32      // -1: no unk_token (unknown symbols are dropped, as in HF)
	fuseUnk      bool
	caches       sync.Pool        // *hfCache
	strs         []string         // id → vocabulary string ("" = no such id)
	size         int32            // number of vocab entries
	odd          map[string]int32 // byte mode: vocab strings outside the byte-level alphabet
	small        []smallRes       // byte mode: tokens of every 1- and 2-byte piece
	self         []atomic.Int32   // per id: 0 unknown, 1 its bytes merge to itself, 2 they do not
	nMerges      int              // len(merges): ranks are below it
	inMerge      []bool           // per id: appears in some merge (nil when all do)
}

// smallRes is the tokenization of a 1- or 2-byte piece: a, or a then b
// (b < 0: one token); a == -2: not precomputed (take the general path).
type smallRes struct{ a, b int32 }

// prepare precomputes the fast paths once the vocab and merges are known.
func (m *hfBPE) prepare() {
	m.self = make([]atomic.Int32, len(m.v.off)-1)
	if !m.byteMode {
		return
	}
	m.small = make([]smallRes, 256+1<<16)
	w := &word{}
	set := func(i int, piece []byte) {
		m.tokenize(w, piece)
		switch len(w.ids) {
		case 1:
			m.small[i] = smallRes{w.ids[0], -1}
		case 2:
			m.small[i] = smallRes{w.ids[0], w.ids[1]}
		default:
			m.small[i] = smallRes{-2, -1}
		}
	}
	for b := range 256 {
		set(b, []byte{byte(b)})
	}
	for x := range 1 << 16 {
		set(256+x, []byte{byte(x >> 8), byte(x)})
	}
}

// pairTable maps a pair of ids to (merge rank, merged id): open addressing,
// at most half full.
type pairTable struct {
	slots []pairSlot
	shift uint
}

type pairSlot struct {
	key       uint64 // a<<32 | b, +1 so that 0 means empty
	rank, new int32
}

func newPairTable(n int) pairTable {
	bits := uint(4)
	for 1<<bits < 2*n {
		bits++
	}
	return pairTable{slots: make([]pairSlot, 1<<bits), shift: 64 - bits}
}

func pairKey(a, b int32) uint64 { return (uint64(uint32(a))<<32 | uint64(uint32(b))) + 1 }

func (p *pairTable) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> p.shift }

// put sets the pair's entry (a later merge of the same pair replaces the
// earlier one, as HF's HashMap collect does).
func (p *pairTable) put(a, b, rank, id int32) {
	k := pairKey(a, b)
	mask := uint64(len(p.slots) - 1)
	i := p.slot(k)
	for p.slots[i].key != 0 && p.slots[i].key != k {
		i = (i + 1) & mask
	}
	p.slots[i] = pairSlot{k, rank, id}
}

// get returns the rank and merged id of pair (a, b), or noRank.
func (p *pairTable) get(a, b int32) (int32, int32) {
	k := pairKey(a, b)
	mask := uint64(len(p.slots) - 1)
	for i := p.slot(k); ; i = (i + 1) & mask {
		s := &p.slots[i]
		if s.key == k {
			return s.rank, s.new
		}
		if s.key == 0 {
			return noRank, -1
		}
	}
}

// word is the symbol sequence of one pre-token: ids and byte ends within it.
type word struct {
	ids  []int32
	ends []int32
}

func (w *word) reset() { w.ids, w.ends = w.ids[:0], w.ends[:0] }

func (w *word) add(id int32, end int) {
	w.ids = append(w.ids, id)
	w.ends = append(w.ends, int32(end))
}

// symbols fills w with the initial symbols of piece, as HF's merge_word:
// each character (byte in byte mode) that is a token; otherwise its
// <0xHH> byte tokens (byte_fallback, when all exist), else unk_token (fused
// with a pending unk when fuse_unk), else nothing. A pending unk is emitted
// before the next known symbol or at the end, exactly as HF orders it.
func (m *hfBPE) symbols(w *word, piece []byte) {
	w.reset()
	unk, unkEnd := int32(-1), 0
	for i := 0; i < len(piece); {
		var n int
		var id int32 = noRank
		if m.byteMode {
			n = 1
			if s := m.symID[piece[i]]; s >= 0 {
				id = s
			}
		} else {
			_, n = utf8.DecodeRune(piece[i:])
			if r := m.v.tab.get(piece[i : i+n]); r != noRank {
				id = r
			}
		}
		end := i + n
		if id != noRank {
			if unk >= 0 {
				w.add(unk, unkEnd)
				unk = -1
			}
			w.add(id, end)
			i = end
			continue
		}
		if m.byteFallback && m.fallbackOK(piece[i:end]) {
			for k := i; k < end; k++ {
				w.add(m.fallbackID[m.fallbackByte(piece, k)], k+1)
			}
			i = end
			continue
		}
		if m.unkID >= 0 {
			if unk >= 0 && !m.fuseUnk {
				w.add(unk, unkEnd)
			}
			unk, unkEnd = m.unkID, end
		}
		i = end
	}
	if unk >= 0 {
		w.add(unk, unkEnd)
	}
}

// fallbackByte is the byte whose <0xHH> token stands for byte k of piece. In
// byte mode HF looks up the UTF-8 bytes of the mapped character; that edge
// (a byte-level vocab without some byte) is handled by fallbackOK refusing.
func (m *hfBPE) fallbackByte(piece []byte, k int) byte { return piece[k] }

func (m *hfBPE) fallbackOK(b []byte) bool {
	if m.byteMode {
		return false // HF would look up <0xHH> of the mapped character's UTF-8; no real file needs it
	}
	for _, c := range b {
		if m.fallbackID[c] < 0 {
			return false
		}
	}
	return true
}

// merge runs HF's merge_all on w: repeatedly merge the adjacent pair with the
// lowest merge rank (leftmost on ties) until no adjacent pair is a merge.
func (m *hfBPE) merge(w *word) {
	if len(w.ids) < 2 {
		return
	}
	if len(w.ids) < largePiece {
		m.mergeSmall(w)
		return
	}
	if m.inMerge != nil && m.mergeRuns(w) {
		return
	}
	m.mergeRun(w)
}

// mergeRuns merges a long word run by run, cutting at symbols that occur in
// no merge (they can never join a neighbour, so the runs between them evolve
// independently: Mistral's newline byte tokens cut a whole text into lines).
// It reports false when there is no such symbol.
func (m *hfBPE) mergeRuns(w *word) bool {
	cut := false
	for _, id := range w.ids {
		if int(id) < len(m.inMerge) && !m.inMerge[id] {
			cut = true
			break
		}
	}
	if !cut {
		return false
	}
	run := &word{}
	out, start := 0, 0
	flush := func(end int) {
		if end > start {
			run.ids = append(run.ids[:0], w.ids[start:end]...)
			run.ends = append(run.ends[:0], w.ends[start:end]...)
			if len(run.ids) > 1 {
				m.mergeRun(run)
			}
			out += copy(w.ids[out:], run.ids)
			copy(w.ends[out-len(run.ids):], run.ends)
		}
	}
	for k, id := range w.ids {
		if int(id) < len(m.inMerge) && !m.inMerge[id] {
			flush(k)
			w.ids[out], w.ends[out] = id, w.ends[k]
			out++
			start = k + 1
		}
	}
	flush(len(w.ids))
	w.ids, w.ends = w.ids[:out], w.ends[:out]
	return true
}

// mergeRun merges one run of symbols.
func (m *hfBPE) mergeRun(w *word) {
	if len(w.ids) < smallRun {
		m.mergeSmall(w)
		return
	}
	if len(w.ids) >= bucketWord && len(w.ids) >= m.nMerges/4 {
		m.mergeBucket(w)
		return
	}
	m.mergeLarge(w)
}

// smallRun is where mergeRun switches from the quadratic scan to the heap.
const smallRun = 32

// bucketWord is the word length from which mergeBucket replaces the heap
// (SentencePiece-style models with no pre-tokenizer make a whole text one
// word, and a heap of millions of entries is slow).
const bucketWord = 1 << 14

// mergeBucket is mergeLarge with a bucket queue indexed by rank instead of
// the heap: ranks are popped in increasing order (a new pair of lower rank
// moves the cursor back). Within one rank the order only matters for
// overlapping pairs (a pair (x, x) repeated); for those the leftmost of the
// chain is merged first, as HF's (rank, position) order does.
func (m *hfBPE) mergeBucket(w *word) {
	n := len(w.ids)
	ids, ends := w.ids, w.ends
	next, prev, rank, nid := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	head := make([]int32, m.nMerges)
	for i := range head {
		head[i] = -1
	}
	type node struct{ pos, next int32 }
	nodes := make([]node, 0, 2*n)
	cur := int32(m.nMerges)
	push := func(r, pos int32) {
		nodes = append(nodes, node{pos, head[r]})
		head[r] = int32(len(nodes) - 1)
		cur = min(cur, r)
	}
	for k := n - 1; k >= 0; k-- { // pushed right to left: popped left to right
		next[k], prev[k] = int32(k+1), int32(k-1)
		rank[k] = noRank
		if k+1 < n {
			r, id := m.pairs.get(ids[k], ids[k+1])
			rank[k], nid[k] = r, id
			if r != noRank {
				push(r, int32(k))
			}
		}
	}
	mergeAt := func(k int32) {
		j := next[k]
		ids[k] = nid[k]
		ends[k] = ends[j]
		next[k] = next[j]
		rank[j] = noRank
		if next[k] < int32(n) {
			prev[next[k]] = k
		}
		rank[k] = noRank
		if e := next[k]; e < int32(n) {
			if r2, id := m.pairs.get(ids[k], ids[e]); r2 != noRank {
				rank[k], nid[k] = r2, id
				push(r2, k)
			}
		}
		if p := prev[k]; p >= 0 {
			rank[p] = noRank
			if r2, id := m.pairs.get(ids[p], ids[k]); r2 != noRank {
				rank[p], nid[p] = r2, id
				push(r2, p)
			}
		}
	}
	for cur < int32(m.nMerges) {
		h := head[cur]
		if h < 0 {
			cur++
			continue
		}
		r := cur
		head[r] = nodes[h].next
		k := nodes[h].pos
		if rank[k] != r {
			continue // stale
		}
		j := k
		for prev[j] >= 0 && rank[prev[j]] == r {
			j = prev[j]
		}
		if j != k {
			push(r, k) // still pending, after the chain's leftmost
		}
		mergeAt(j)
	}
	out := 0
	for k := int32(0); k < int32(n); k = next[k] {
		ids[out], ends[out] = ids[k], ends[k]
		out++
	}
	w.ids, w.ends = ids[:out], ends[:out]
}

func (m *hfBPE) mergeSmall(w *word) {
	n := len(w.ids)
	ids, ends := w.ids, w.ends
	var rank, nid [largePiece]int32
	for k := 0; k+1 < n; k++ {
		rank[k], nid[k] = m.pairs.get(ids[k], ids[k+1])
	}
	for n > 1 {
		best, at := noRank, -1
		for k, r := range rank[:n-1] {
			if r < best {
				best, at = r, k
			}
		}
		if at < 0 {
			break
		}
		ids[at] = nid[at]
		ends[at] = ends[at+1]
		copy(ids[at+1:n-1], ids[at+2:n])
		copy(ends[at+1:n-1], ends[at+2:n])
		if at+1 < n-2 {
			copy(rank[at+1:n-2], rank[at+2:n-1])
			copy(nid[at+1:n-2], nid[at+2:n-1])
		}
		n--
		if at+1 < n {
			rank[at], nid[at] = m.pairs.get(ids[at], ids[at+1])
		}
		if at > 0 {
			rank[at-1], nid[at-1] = m.pairs.get(ids[at-1], ids[at])
		}
	}
	w.ids, w.ends = ids[:n], ends[:n]
}

// hfScratch is mergeLarge's reusable state.
type hfScratch struct {
	next, prev, rank, nid []int32
	heap                  []uint64
}

var hfScratchPool = sync.Pool{New: func() any { return new(hfScratch) }}

// mergeLarge is mergeSmall in O(n log n): a linked list of parts indexed by
// their first symbol and a min-heap of (rank, position); an entry is stale
// when the part's current pair rank differs (ranks name unique pairs).
func (m *hfBPE) mergeLarge(w *word) {
	n := len(w.ids)
	s := hfScratchPool.Get().(*hfScratch)
	s.next, s.prev, s.rank, s.nid = grow(s.next, n), grow(s.prev, n), grow(s.rank, n), grow(s.nid, n)
	next, prev, rank, nid := s.next, s.prev, s.rank, s.nid
	ids, ends := w.ids, w.ends
	h := s.heap[:0]
	for k := 0; k < n; k++ {
		next[k], prev[k] = int32(k+1), int32(k-1)
		rank[k] = noRank
		if k+1 < n {
			r, id := m.pairs.get(ids[k], ids[k+1])
			rank[k], nid[k] = r, id
			if r != noRank {
				h = append(h, uint64(r)<<32|uint64(k))
			}
		}
	}
	heapify(h)
	for len(h) > 0 {
		top := h[0]
		h = heapPop(h)
		r, k := int32(top>>32), int32(uint32(top))
		if rank[k] != r {
			continue
		}
		j := next[k]
		ids[k] = nid[k]
		ends[k] = ends[j]
		next[k] = next[j]
		rank[j] = noRank
		if next[k] < int32(n) {
			prev[next[k]] = k
		}
		rank[k] = noRank
		if e := next[k]; e < int32(n) {
			if r2, id := m.pairs.get(ids[k], ids[e]); r2 != noRank {
				rank[k], nid[k] = r2, id
				h = heapPush(h, uint64(r2)<<32|uint64(k))
			}
		}
		if p := prev[k]; p >= 0 {
			rank[p] = noRank
			if r2, id := m.pairs.get(ids[p], ids[k]); r2 != noRank {
				rank[p], nid[p] = r2, id
				h = heapPush(h, uint64(r2)<<32|uint64(p))
			}
		}
	}
	s.heap = h
	out := 0
	for k := int32(0); k < int32(n); k = next[k] {
		ids[out], ends[out] = ids[k], ends[k]
		out++
	}
	w.ids, w.ends = ids[:out], ends[:out]
	hfScratchPool.Put(s)
}

// wordPool holds words for encoding.
var wordPool = sync.Pool{New: func() any { return &word{ids: make([]int32, 0, 64), ends: make([]int32, 0, 64)} }}

// tokenize returns the tokens of one pre-token in w (ids and byte ends),
// as HF's BPE::tokenize: the whole piece when ignore_merges and it is a
// token, else merge_word.
func (m *hfBPE) tokenize(w *word, piece []byte) {
	w.reset()
	if len(piece) == 0 {
		return
	}
	if m.ignoreMerges {
		if id := m.v.tab.get(piece); id != noRank {
			w.add(id, len(piece))
			return
		}
	}
	m.symbols(w, piece)
	m.merge(w)
}

// hfCache remembers the ids of recent short pieces (direct-mapped, one per
// goroutine at a time through the pool), like mergeCache for tiktoken.
type hfCache [1 << cacheBits]cacheEntry

// appendPiece appends the ids of one pre-token to dst. w is scratch.
func (m *hfBPE) appendPiece(dst []int32, piece []byte, w *word, mc **hfCache) []int32 {
	switch len(piece) {
	case 0:
		return dst
	case 1, 2:
		if m.small != nil {
			i := int(piece[0])
			if len(piece) == 2 {
				i = 256 + int(piece[0])<<8 | int(piece[1])
			}
			if r := m.small[i]; r.a != -2 {
				if r.b < 0 {
					return append(dst, r.a)
				}
				return append(dst, r.a, r.b)
			}
		}
	default:
		if id := m.v.tab.get(piece); id != noRank {
			if m.ignoreMerges {
				return append(dst, id)
			}
			// A token whose own bytes merge back to it needs no merge.
			switch m.self[id].Load() {
			case 1:
				return append(dst, id)
			case 0:
				m.tokenize(w, piece)
				st := int32(2)
				if len(w.ids) == 1 && w.ids[0] == id {
					st = 1
				}
				m.self[id].Store(st)
				return append(dst, w.ids...)
			}
		}
	}
	if len(piece) <= cacheKeyMax {
		if *mc == nil {
			if c, ok := m.caches.Get().(*hfCache); ok {
				*mc = c
			} else {
				*mc = new(hfCache)
			}
		}
		c := *mc
		lo, hi := words(piece)
		n := int32(len(piece))
		e := &c[((lo^hi*0x9E3779B97F4A7C15^uint64(n))*0xBF58476D1CE4E5B9)>>(64-cacheBits)]
		if e.n == n && e.lo == lo && e.hi == hi {
			return append(dst, e.ids[:e.cnt]...)
		}
		m.tokenize(w, piece)
		if len(w.ids) <= cacheIDs {
			*e = cacheEntry{lo: lo, hi: hi, n: n, cnt: int32(len(w.ids))}
			copy(e.ids[:], w.ids)
		}
		return append(dst, w.ids...)
	}
	m.tokenize(w, piece)
	return append(dst, w.ids...)
}
