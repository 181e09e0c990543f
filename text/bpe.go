package text

import "sync"

// largePiece is where the merge switches from the quadratic linear scan to the
// heap: below it the scan over a small stack array is faster (tiktoken 0.13+
// switches at the same length).
const largePiece = 100

const noRank = int32(1<<31 - 1)

// rank returns the rank of b, or noRank. string(b) in a map index does not
// allocate.
func (v *vocab) rank(b []byte) int32 {
	return v.tab.get(b)
}

// lookup returns the rank of a whole pre-token, or noRank; 1- and 2-byte
// pieces (a quarter of all pieces in English) need no hashing.
func (v *vocab) lookup(p []byte) int32 {
	switch len(p) {
	case 1:
		return v.byteRank[p[0]]
	case 2:
		return v.pairRank[int(p[0])<<8|int(p[1])]
	}
	return v.rank(p)
}

// appendPiece appends the ids of one pre-token: the whole piece if it is a
// token, else the result of tiktoken's merge rule. *mc is the caller's merge
// cache, taken from the pool on first need (the caller puts it back).
func (v *vocab) appendPiece(dst []int32, piece []byte, mc **mergeCache) []int32 {
	if r := v.lookup(piece); r != noRank {
		return append(dst, r)
	}
	if len(piece) <= cacheKeyMax {
		if *mc == nil {
			*mc = v.getCache()
		}
		dst, _ = (*mc).merge(dst, piece, v)
		return dst
	}
	if len(piece) < largePiece {
		var out [largePiece]int32
		n := v.mergeSmall(piece, &out)
		return append(dst, out[:n]...)
	}
	s := getScratch()
	dst = append(dst, v.mergeLarge(piece, s)...)
	scratchPool.Put(s)
	return dst
}

// countPiece returns len(appendPiece(nil, piece, mc)) without building ids.
func (v *vocab) countPiece(piece []byte, mc **mergeCache) int {
	if v.lookup(piece) != noRank {
		return 1
	}
	if len(piece) <= cacheKeyMax {
		if *mc == nil {
			*mc = v.getCache()
		}
		var buf [cacheKeyMax]int32
		_, n := (*mc).merge(buf[:0], piece, v)
		return n
	}
	if len(piece) < largePiece {
		var out [largePiece]int32
		return v.mergeSmall(piece, &out)
	}
	s := getScratch()
	n := len(v.mergeLarge(piece, s))
	scratchPool.Put(s)
	return n
}

// mergeCache remembers the merge results of recent short pieces that are not
// tokens themselves (7% of English pieces, but a third of the time: each
// needs ~10 rank lookups). Direct-mapped, 80 KB, one per goroutine at a time
// through a pool, so Encode stays lock-free. Results of more than cacheIDs
// ids are not stored.
type mergeCache [1 << cacheBits]cacheEntry

const (
	cacheBits   = 11
	cacheKeyMax = 16
	cacheIDs    = 5
)

type cacheEntry struct {
	lo, hi uint64 // key bytes as in table
	n, cnt int32  // key length (0 = empty) and number of ids
	ids    [cacheIDs]int32
}

func (v *vocab) getCache() *mergeCache {
	if c, ok := v.caches.Get().(*mergeCache); ok {
		return c
	}
	return new(mergeCache)
}

// merge appends the merge of piece (2..cacheKeyMax bytes, not a token) to
// dst, from the cache when it is there, and returns dst and the id count.
func (c *mergeCache) merge(dst []int32, piece []byte, v *vocab) ([]int32, int) {
	lo, hi := words(piece)
	n := int32(len(piece))
	e := &c[((lo^hi*0x9E3779B97F4A7C15^uint64(n))*0xBF58476D1CE4E5B9)>>(64-cacheBits)]
	if e.n == n && e.lo == lo && e.hi == hi {
		return append(dst, e.ids[:e.cnt]...), int(e.cnt)
	}
	var out [largePiece]int32
	m := v.mergeSmall(piece, &out)
	if m <= cacheIDs {
		*e = cacheEntry{lo: lo, hi: hi, n: n, cnt: int32(m)}
		copy(e.ids[:], out[:m])
	}
	return append(dst, out[:m]...), m
}

// mergeSmall runs the merge rule on a piece of 2..largePiece-1 bytes: repeatedly
// merge the adjacent pair of parts whose concatenation has the lowest rank,
// leftmost on ties, until no pair is a token. It writes the ids of the final
// parts to out and returns how many there are.
func (v *vocab) mergeSmall(piece []byte, out *[largePiece]int32) int {
	n := len(piece)
	// Part k spans piece[start[k]:start[k+1]] and has id out[k]; pair[k] is
	// the rank of parts k and k+1 together.
	var start [largePiece + 1]uint8
	var pair [largePiece]int32
	for k := 0; k < n; k++ {
		start[k] = uint8(k)
		out[k] = v.byteRank[piece[k]]
	}
	start[n] = uint8(n)
	for k := 0; k+1 < n; k++ {
		pair[k] = v.pairRank[int(piece[k])<<8|int(piece[k+1])]
	}
	m := n // number of parts
	for m > 1 {
		best, at := noRank, -1
		for k, r := range pair[:m-1] {
			if r < best {
				best, at = r, k
			}
		}
		if at < 0 {
			break
		}
		// Merge parts at and at+1 into part at.
		out[at] = best
		copy(start[at+1:m], start[at+2:m+1])
		copy(out[at+1:m-1], out[at+2:m])
		if at+1 < m-2 {
			copy(pair[at+1:m-2], pair[at+2:m-1])
		}
		m--
		if at+1 < m {
			pair[at] = v.rank(piece[start[at]:start[at+2]])
		}
		if at > 0 {
			pair[at-1] = v.rank(piece[start[at-1]:start[at+1]])
		}
	}
	return m
}

// scratch is the reusable state of mergeLarge; pooled so that steady-state
// encoding does not allocate.
type scratch struct {
	next, prev, pair, id []int32
	heap                 []uint64 // rank<<32 | start: ordered by rank, then leftmost
	out                  []int32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func grow(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// mergeLarge is mergeSmall in O(n log n) for long pieces: parts form a linked
// list indexed by their start byte, and candidate pairs sit in a min-heap keyed
// by (rank, start). Entries are invalidated lazily: one whose pair rank no
// longer matches the part's current pair rank is skipped (a rank names unique
// bytes, so an equal rank means the same pair). It returns s.out.
func (v *vocab) mergeLarge(piece []byte, s *scratch) []int32 {
	n := len(piece)
	s.next, s.prev, s.pair, s.id = grow(s.next, n), grow(s.prev, n), grow(s.pair, n), grow(s.id, n)
	next, prev, pair, id := s.next, s.prev, s.pair, s.id
	h := s.heap[:0]
	for k := 0; k < n; k++ {
		next[k], prev[k], id[k] = int32(k+1), int32(k-1), v.byteRank[piece[k]]
		pair[k] = noRank
		if k+1 < n {
			if r := v.pairRank[int(piece[k])<<8|int(piece[k+1])]; r != noRank {
				pair[k] = r
				h = append(h, uint64(r)<<32|uint64(k))
			}
		}
	}
	heapify(h)
	for len(h) > 0 {
		top := h[0]
		h = heapPop(h)
		r, k := int32(top>>32), int32(uint32(top))
		if pair[k] != r {
			continue // stale
		}
		j := next[k]
		id[k] = r
		next[k] = next[j]
		pair[j] = noRank // part j is gone
		if next[k] < int32(n) {
			prev[next[k]] = k
		}
		pair[k] = noRank
		if e := next[k]; e < int32(n) {
			if r2 := v.rank(piece[k:next[e]]); r2 != noRank {
				pair[k] = r2
				h = heapPush(h, uint64(r2)<<32|uint64(k))
			}
		}
		if p := prev[k]; p >= 0 {
			pair[p] = noRank
			if r2 := v.rank(piece[p:next[k]]); r2 != noRank {
				pair[p] = r2
				h = heapPush(h, uint64(r2)<<32|uint64(p))
			}
		}
	}
	s.heap = h
	out := s.out[:0]
	for k := int32(0); k < int32(n); k = next[k] {
		out = append(out, id[k])
	}
	s.out = out
	return out
}

func heapify(h []uint64) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
}

func heapPush(h []uint64, x uint64) []uint64 {
	h = append(h, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p] <= x {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
	return h
}

func heapPop(h []uint64) []uint64 {
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	if last > 0 {
		siftDown(h, 0)
	}
	return h
}

func siftDown(h []uint64, i int) {
	x := h[i]
	n := len(h)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1] < h[c] {
			c++
		}
		if x <= h[c] {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}
