package text

import "encoding/binary"

// table is the rank lookup used on the hot path: open addressing with linear
// probing, at most half full, keys of up to 16 bytes stored inline so a hit
// costs one memory access (Go's map needs the control word, the key header
// and the key bytes; profiles showed 70% of Encode in mapaccess). Longer keys
// compare their tail against the vocab blob.
type table struct {
	slots []slot
	shift uint // 64 - log2(len(slots))
	blob  []byte
	off   []uint32
}

type slot struct {
	lo, hi uint64 // the first 16 key bytes, little-endian, zero padded
	id     int32
	n      int32 // key length; 0 = empty
}

// newTable indexes every rank of v. If two ranks have the same bytes it
// returns the later one as dup (else dup is -1).
func newTable(v *vocab) (t *table, dup int32) {
	count := 0
	for r := range len(v.off) - 1 {
		if v.off[r+1] > v.off[r] {
			count++
		}
	}
	bits := uint(1)
	for 1<<bits < 2*count {
		bits++
	}
	t = &table{slots: make([]slot, 1<<bits), shift: 64 - bits, blob: v.blob, off: v.off}
	mask := uint64(len(t.slots) - 1)
	for r := range len(v.off) - 1 {
		key := v.blob[v.off[r]:v.off[r+1]]
		if len(key) == 0 {
			continue
		}
		if t.get(key) != noRank {
			return nil, int32(r)
		}
		lo, hi := words(key)
		i := t.hash(lo, hi, len(key))
		for t.slots[i].n != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = slot{lo, hi, int32(r), int32(len(key))}
	}
	return t, -1
}

// words packs the first 16 bytes of p (len(p) >= 1) into two little-endian
// words, zero padded. It never reads past len(p) (the bytes beyond may belong
// to another goroutine): short keys use two overlapping loads.
func words(p []byte) (lo, hi uint64) {
	le := binary.LittleEndian
	switch n := len(p); {
	case n >= 16:
		return le.Uint64(p), le.Uint64(p[8:])
	case n > 8:
		return le.Uint64(p), le.Uint64(p[n-8:]) >> (8 * (16 - n))
	case n == 8:
		return le.Uint64(p), 0
	case n >= 4:
		return uint64(le.Uint32(p)) | uint64(le.Uint32(p[n-4:]))<<(8*(n-4)), 0
	case n >= 2:
		return uint64(le.Uint16(p)) | uint64(le.Uint16(p[n-2:]))<<(8*(n-2)), 0
	}
	return uint64(p[0]), 0
}

func (t *table) hash(lo, hi uint64, n int) uint64 {
	return ((lo ^ hi*0x9E3779B97F4A7C15 ^ uint64(n)) * 0xBF58476D1CE4E5B9) >> t.shift
}

// get returns the rank of p (len(p) >= 1), or noRank.
func (t *table) get(p []byte) int32 {
	lo, hi := words(p)
	n := len(p)
	mask := uint64(len(t.slots) - 1)
	for i := t.hash(lo, hi, n); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.n == 0 {
			return noRank
		}
		if s.lo == lo && s.hi == hi && int(s.n) == n {
			if n <= 16 || string(t.blob[t.off[s.id]+16:t.off[s.id+1]]) == string(p[16:]) {
				return s.id
			}
		}
	}
}
