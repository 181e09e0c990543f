package text

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
)

// maxRank bounds the ranks a .tiktoken file may use: the decode table is
// indexed by id, so an absurd rank would otherwise allocate gigabytes.
const maxRank = 1 << 24

// vocab is an immutable rank table (token bytes → rank, rank = id = merge
// priority), shared by every Tokenizer built on the same file.
type vocab struct {
	tab      *table     // token bytes → rank
	byteRank [256]int32 // rank of every single byte
	pairRank []int32    // rank of every 2-byte string (index b0<<8|b1), or noRank
	blob     []byte     // token bytes in rank order
	off      []uint32   // rank r is blob[off[r]:off[r+1]]; empty means no such rank
	sha256   string     // hex sha256 of the file bytes
	caches   sync.Pool  // *mergeCache
	maxRank  int32
}

// parseTiktoken parses a tiktoken rank file: one `base64(token bytes) SP rank`
// per line, blank lines skipped (tiktoken.load.load_tiktoken_bpe). name is used
// in error messages only.
func parseTiktoken(name string, data []byte) (*vocab, error) {
	sum := sha256.Sum256(data)
	type entry struct{ lo, hi, rank int32 }
	entries := make([]entry, 0, bytes.Count(data, []byte{'\n'})+1)
	raw := make([]byte, 0, len(data)*3/4)
	var dec [256]byte
	maxR := int32(-1)
	for lineNo := 1; len(data) > 0; lineNo++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			continue
		}
		sp := bytes.IndexByte(line, ' ')
		if sp <= 0 || sp == len(line)-1 || bytes.IndexByte(line[sp+1:], ' ') >= 0 {
			return nil, fmt.Errorf("text: %s line %d: want `base64-token rank`, got %q", name, lineNo, clip(line))
		}
		b64, num := line[:sp], line[sp+1:]
		if base64.StdEncoding.DecodedLen(len(b64)) > len(dec) {
			return nil, fmt.Errorf("text: %s line %d: token longer than %d bytes", name, lineNo, len(dec))
		}
		n, err := base64.StdEncoding.Decode(dec[:], b64)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("text: %s line %d: token %q is not non-empty standard base64", name, lineNo, clip(b64))
		}
		r, err := strconv.ParseUint(string(num), 10, 32)
		if err != nil || r >= maxRank {
			return nil, fmt.Errorf("text: %s line %d: rank %q is not an integer in [0, %d)", name, lineNo, clip(num), maxRank)
		}
		lo := int32(len(raw))
		raw = append(raw, dec[:n]...)
		entries = append(entries, entry{lo, int32(len(raw)), int32(r)})
		maxR = max(maxR, int32(r))
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("text: %s has no ranks; want lines of `base64-token rank`", name)
	}
	v := &vocab{
		sha256:  hex.EncodeToString(sum[:]),
		maxRank: maxR,
		off:     make([]uint32, int(maxR)+2),
	}
	// Lay tokens out in rank order so Decode reads blob[off[r]:off[r+1]].
	byRank := make([]int32, int(maxR)+1)
	for i := range byRank {
		byRank[i] = -1
	}
	for i, e := range entries {
		if byRank[e.rank] >= 0 {
			return nil, fmt.Errorf("text: %s: rank %d appears twice; every rank must name one token", name, e.rank)
		}
		byRank[e.rank] = int32(i)
	}
	v.blob = make([]byte, 0, len(raw))
	for r, i := range byRank {
		v.off[r] = uint32(len(v.blob))
		if i >= 0 {
			v.blob = append(v.blob, raw[entries[i].lo:entries[i].hi]...)
		}
	}
	v.off[len(byRank)] = uint32(len(v.blob))
	tab, dup := newTable(v)
	if dup >= 0 {
		return nil, fmt.Errorf("text: %s: token %q has two ranks; every token must appear once", name, clip(v.token(dup)))
	}
	v.tab = tab
	for b := range 256 {
		r := tab.get([]byte{byte(b)})
		if r == noRank {
			return nil, fmt.Errorf("text: %s lacks the single-byte token 0x%02x; byte-level BPE needs all 256 bytes so any input can be encoded", name, b)
		}
		v.byteRank[b] = r
	}
	v.pairRank = make([]int32, 1<<16)
	for i := range v.pairRank {
		v.pairRank[i] = tab.get([]byte{byte(i >> 8), byte(i)})
	}
	return v, nil
}

// token returns the bytes of rank r, or nil when r is not a rank.
func (v *vocab) token(r int32) []byte {
	if r < 0 || int(r) >= len(v.off)-1 {
		return nil
	}
	lo, hi := v.off[r], v.off[r+1]
	if lo == hi {
		return nil
	}
	return v.blob[lo:hi:hi]
}

func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
