package text

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestHFMergeBucket: the bucket queue merges exactly like the heap on long
// words (real text, runs of one character, random characters), for mistral
// (ranks ≠ ids, no pre-tokenizer) and gpt2.
func TestHFMergeBucket(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"mistral", "gpt2"} {
		m := hfTokenizer(t, name).hf.m
		alpha := []rune("aaaaab ▁▁▁▁\n的xyzé0<")
		var inputs [][]byte
		for range 30 {
			var b []byte
			n := 2000 + r.IntN(20000)
			for len(b) < n {
				if r.IntN(3) == 0 {
					c := alpha[r.IntN(len(alpha))]
					for range r.IntN(40) {
						b = utf8.AppendRune(b, c)
					}
				}
				b = utf8.AppendRune(b, alpha[r.IntN(len(alpha))])
			}
			inputs = append(inputs, b)
		}
		for i, in := range inputs {
			w1, w2 := &word{}, &word{}
			m.symbols(w1, in)
			m.symbols(w2, in)
			m.mergeLarge(w1)
			m.mergeBucket(w2)
			if !slices.Equal(w1.ids, w2.ids) || !slices.Equal(w1.ends, w2.ends) {
				t.Fatalf("%s input %d: bucket merge differs from heap merge", name, i)
			}
		}
	}
}

// TestHFConcurrent: one tokenizer.json Tokenizer shared by goroutines gives
// the sequential ids (run with -race: the merge caches, the pooled words and
// the lazily filled self-merge flags are shared).
func TestHFConcurrent(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.Root(), "fixtures", "text", "*.txt"))
	for _, name := range []string{"qwen3", "mistral"} {
		tk := hfTokenizer(t, name)
		var inputs [][]byte
		var want [][]int32
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, b)
		}
		fresh, err := LoadHF(hfPath(t, name)) // empty caches and flags
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			want = append(want, tk.Encode(nil, in))
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range inputs {
					k := (i + g) % len(inputs)
					if got := fresh.Encode(nil, inputs[k]); !slices.Equal(got, want[k]) {
						t.Errorf("%s goroutine %d input %d: ids differ", name, g, k)
					}
				}
			}()
		}
		wg.Wait()
	}
}

// TestHFDeepSeekRunMatchers: DeepSeek-V3's first two Split regexes run on
// runMatcher, not regexp2 (parity is in TestHFGolden/TestHFCorpusParity).
func TestHFDeepSeekRunMatchers(t *testing.T) {
	st := hfTokenizer(t, "deepseek_v3").hf.stages
	for i := range 2 {
		s, ok := st[i].(*splitStage)
		if !ok {
			t.Fatalf("stage %d is %T", i, st[i])
		}
		if _, ok := s.m.(runMatcher); !ok {
			t.Errorf("stage %d matcher is %T, want runMatcher", i, s.m)
		}
	}
}
