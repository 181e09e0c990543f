package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/text/internal/pretok"
)

func writeFile(t *testing.T, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "corpus.txt")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustTrain(t *testing.T, cfg Config, paths ...string) *Result {
	t.Helper()
	r, err := Train(context.Background(), cfg, paths)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestByteOrder: GPT-2 bytes_to_unicode (the values of r50k/cl100k ranks
// 0..255 and of HF ByteLevel's alphabet).
func TestByteOrder(t *testing.T) {
	for _, c := range []struct {
		rank int
		b    byte
	}{{0, '!'}, {93, '~'}, {94, 0xA1}, {105, 0xAC}, {106, 0xAE}, {187, 0xFF}, {188, 0x00}, {220, ' '}, {198, '\n'}, {255, 0xAD}} {
		if byteOrder[c.rank] != c.b {
			t.Errorf("byteOrder[%d] = %#x, want %#x", c.rank, byteOrder[c.rank], c.b)
		}
	}
	for b, want := range map[byte]rune{' ': 'Ġ', '\n': 'Ċ', 'a': 'a', 0: 'Ā', 0xAD: 'Ń', 0xFF: 'ÿ', 0x7F: 'ġ'} {
		if byteRune[b] != want {
			t.Errorf("byteRune[%#x] = %q, want %q", b, byteRune[b], want)
		}
	}
}

// TestTiny: "abcd" is one gpt2 piece; every pair occurs once, so the ties
// go to the lower ids: a=64, b=65, c=66, d=67 ('!' is 0).
func TestTiny(t *testing.T) {
	r := mustTrain(t, Config{VocabSize: 260, Pattern: "gpt2", SpecialTokens: []string{"<s>"}}, writeFile(t, "abcd"))
	want := []Merge{{64, 65, 256, 1}, {66, 67, 257, 1}, {256, 257, 258, 1}}
	if !reflect.DeepEqual(r.Merges, want) {
		t.Fatalf("merges %v, want %v", r.Merges, want)
	}
	if got := string(r.Tokens[258]); got != "abcd" || len(r.Tokens) != 259 {
		t.Fatalf("tokens: %d, last %q", len(r.Tokens), got)
	}
	if r.Special["<s>"] != 259 {
		t.Fatalf("special id %d, want 259", r.Special["<s>"])
	}
}

// TestCounts: the most frequent pair goes first, counts weighted by piece
// frequency. "ab ab ab cd cd" (gpt2): pieces "ab"×1, " ab"×2, " cd"×2. After
// a+b (3), the pairs ' '+ab, ' '+c and c+d all occur twice: c+d has the
// lowest ids (66, 67 < ' ' = 220).
func TestCounts(t *testing.T) {
	r := mustTrain(t, Config{VocabSize: 300, Pattern: "gpt2"}, writeFile(t, "ab ab ab cd cd"))
	sp := int32(220) // ' '
	want := []Merge{
		{64, 65, 256, 3},  // a b
		{66, 67, 257, 2},  // c d
		{sp, 256, 258, 2}, // ' ' ab
		{sp, 257, 259, 2}, // ' ' cd
	}
	if !reflect.DeepEqual(r.Merges, want) {
		t.Fatalf("merges %v, want %v", r.Merges, want)
	}
}

// naiveTrain is the textbook loop: recount every pair of every word at each
// step, merge the best (highest count, then lowest (left, right)) left to
// right in every word.
func naiveTrain(pieces map[string]int64, maxTokens int) ([][]byte, []Merge) {
	var rankOf [256]int32
	toks := make([][]byte, 256)
	ids := map[string]int32{}
	for r, b := range byteOrder {
		rankOf[b] = int32(r)
		toks[r] = []byte{b}
		ids[string([]byte{b})] = int32(r)
	}
	type word struct {
		s []int32
		c int64
	}
	var words []word
	for p, c := range pieces {
		var s []int32
		for i := 0; i < len(p); i++ {
			s = append(s, rankOf[p[i]])
		}
		words = append(words, word{s, c})
	}
	var merges []Merge
	for len(toks) < maxTokens {
		cnt := map[[2]int32]int64{}
		for _, w := range words {
			for i := 0; i+1 < len(w.s); i++ {
				cnt[[2]int32{w.s[i], w.s[i+1]}] += w.c
			}
		}
		best, bc := [2]int32{}, int64(0)
		for p, c := range cnt {
			if c > bc || c == bc && (p[0] < best[0] || p[0] == best[0] && p[1] < best[1]) {
				best, bc = p, c
			}
		}
		if bc == 0 {
			break
		}
		tok := append(slices.Clone(toks[best[0]]), toks[best[1]]...)
		id, ok := ids[string(tok)]
		if !ok {
			id = int32(len(toks))
			toks = append(toks, tok)
			ids[string(tok)] = id
		}
		merges = append(merges, Merge{best[0], best[1], id, bc})
		for k, w := range words {
			var out []int32
			for i := 0; i < len(w.s); i++ {
				if i+1 < len(w.s) && w.s[i] == best[0] && w.s[i+1] == best[1] {
					out = append(out, id)
					i++
				} else {
					out = append(out, w.s[i])
				}
			}
			words[k].s = out
		}
	}
	return toks, merges
}

func splitCounts(f pretok.Func, data []byte) map[string]int64 {
	m := map[string]int64{}
	pretok.Split(f, data, func(p []byte) { m[string(p)]++ })
	return m
}

// TestAgainstNaive: the incremental loop (heap, pair→word index) gives the
// merges of the textbook loop on random corpora over small alphabets, where
// long runs and overlapping pairs (aaa) are common.
func TestAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabets := []string{"ab", "ab ", "aab b\n", "abc d'é\n\t", "xy z日本\n"}
	for trial := range 40 {
		alpha := []rune(alphabets[trial%len(alphabets)])
		var sb strings.Builder
		for range 300 + rng.IntN(3000) {
			sb.WriteRune(alpha[rng.IntN(len(alpha))])
		}
		pattern := []string{"gpt2", "cl100k", "o200k", "llama3", "qwen2"}[trial%5]
		vocab := 256 + 5 + rng.IntN(150)
		r := mustTrain(t, Config{VocabSize: vocab, Pattern: pattern, Workers: 1 + trial%3}, writeFile(t, sb.String()))
		f, _ := pretok.Lookup(pattern)
		toks, merges := naiveTrain(splitCounts(f, []byte(sb.String())), vocab)
		if !reflect.DeepEqual(r.Tokens, toks) || !reflect.DeepEqual(r.Merges, merges) {
			for i := range min(len(merges), len(r.Merges)) {
				if merges[i] != r.Merges[i] {
					t.Fatalf("trial %d (%s, vocab %d): merge %d is %v, naive %v", trial, pattern, vocab, i, r.Merges[i], merges[i])
				}
			}
			t.Fatalf("trial %d: %d merges / %d tokens, naive %d / %d", trial, len(r.Merges), len(r.Tokens), len(merges), len(toks))
		}
	}
}

// TestChunking: counts from small chunks and several workers equal the
// counts of a split of the whole file, for each pattern; the result is the
// same for any worker count.
func TestChunking(t *testing.T) {
	data, err := os.ReadFile(testenv.Shared(t, "corpus/text/en_devils_dictionary_bierce.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Adversarial: newline runs, spaces before newlines, "!\n/" (o200k keeps
	// it together), contractions and digits around newlines, CRLF.
	rng := rand.New(rand.NewPCG(3, 4))
	parts := []string{"\n", "\n\n", " \n", "\r\n", "!\n/", "/", "'s", "'ll", "12345", " ", "  ", "\t", "a", "Ab", "x!", "\n'", "é", "日本"}
	var adv []byte
	for range 20000 {
		adv = append(adv, parts[rng.IntN(len(parts))]...)
	}
	for _, pattern := range []string{"gpt2", "cl100k", "llama3", "qwen2", "o200k"} {
		f, _ := pretok.Lookup(pattern)
		for _, in := range [][]byte{data[:200000], adv} {
			p := writeFile(t, string(in))
			want := splitCounts(f, in)
			for _, w := range []int{1, 3} {
				var st Stats
				got, err := count(context.Background(), Config{Workers: w, MaxPieces: 1 << 20, chunkSize: 1000}, f, []string{p}, &st)
				if err != nil {
					t.Fatal(err)
				}
				if st.LooseCuts != 0 || st.InputBytes != int64(len(in)) {
					t.Fatalf("%s: stats %+v", pattern, st)
				}
				if !maps_equal(got, want) {
					t.Fatalf("%s, %d workers: chunked counts differ from the whole-file split (%d vs %d distinct)", pattern, w, len(got), len(want))
				}
			}
		}
	}
	p := writeFile(t, string(data[:300000]))
	a := mustTrain(t, Config{VocabSize: 2000, Pattern: "o200k", Workers: 1}, p)
	b := mustTrain(t, Config{VocabSize: 2000, Pattern: "o200k", Workers: 3, chunkSize: 777}, p)
	if !reflect.DeepEqual(a.Merges, b.Merges) {
		t.Fatal("the merges depend on workers/chunking")
	}
}

func maps_equal(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestLooseCutAndPrune: a text without a safe cut point is still counted in
// full (LooseCuts reports it); MaxPieces drops rare pieces and says so.
func TestLooseCutAndPrune(t *testing.T) {
	var sb strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&sb, "w%d ", i) // 5000 distinct pieces, no newline
	}
	p := writeFile(t, sb.String())
	f, _ := pretok.Lookup("cl100k")
	var st Stats
	got, err := count(context.Background(), Config{Workers: 2, MaxPieces: 1 << 20, chunkSize: 512}, f, []string{p}, &st)
	if err != nil {
		t.Fatal(err)
	}
	if st.LooseCuts == 0 || st.InputBytes != int64(sb.Len()) {
		t.Fatalf("stats %+v", st)
	}
	var n int64
	for _, c := range got {
		n += c
	}
	if n != st.Pieces || n < 10000 {
		t.Fatalf("%d pieces counted, stats say %d", n, st.Pieces)
	}

	r := mustTrain(t, Config{VocabSize: 300, Pattern: "cl100k", MaxPieces: 100, Workers: 2, chunkSize: 512}, p)
	if r.Stats.PrunedDistinct == 0 || r.Stats.DistinctPieces > 100 {
		t.Fatalf("no pruning: %+v", r.Stats)
	}
}

func TestConfigErrors(t *testing.T) {
	p := writeFile(t, "x")
	for _, cfg := range []Config{
		{VocabSize: 300, Pattern: "nope"},
		{VocabSize: 255, Pattern: "gpt2"},
		{VocabSize: 257, Pattern: "gpt2", SpecialTokens: []string{"a", "b"}},
		{VocabSize: 300, Pattern: "gpt2", SpecialTokens: []string{"a", "a"}},
		{VocabSize: 300, Pattern: "gpt2", SpecialTokens: []string{""}},
	} {
		if _, err := Train(context.Background(), cfg, []string{p}); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := Train(context.Background(), Config{VocabSize: 300, Pattern: "gpt2"}, []string{p + ".missing"}); err == nil || errors.Is(err, ErrConfig) {
		t.Errorf("missing file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, Config{VocabSize: 300, Pattern: "gpt2"}, []string{p}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestWriteTiktoken: the file text.New parses (checked in live_test.go);
// here the exact first lines.
func TestWriteTiktoken(t *testing.T) {
	r := mustTrain(t, Config{VocabSize: 260, Pattern: "gpt2"}, writeFile(t, "abcd"))
	var b bytes.Buffer
	if err := r.WriteTiktoken(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if lines[0] != "IQ== 0" || lines[188] != "AA== 188" || lines[258] != "YWJjZA== 258" || len(lines) != 260 {
		t.Fatalf("lines %q %q %q (%d)", lines[0], lines[188], lines[258], len(lines))
	}
}
