package text

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// hfNames are the tokenizer.json files the tests cover. The first five are
// committed (gzip) in fixtures/hf; llama3 and deepseek_v3 are under model
// licenses and read from ../shared only.
var hfNames = []string{"gpt2", "cl100k_hf", "o200k_hf", "mistral", "qwen3", "llama3", "deepseek_v3"}

func hfPath(t testing.TB, name string) string {
	t.Helper()
	switch name {
	case "llama3", "deepseek_v3":
		return testenv.Shared(t, filepath.Join("vocab", "hf", name, "tokenizer.json"))
	}
	return filepath.Join(testenv.Root(), "fixtures", "hf", name+".tokenizer.json.gz")
}

var hfTokCache = map[string]*Tokenizer{}

func hfTokenizer(t testing.TB, name string) *Tokenizer {
	t.Helper()
	p := hfPath(t, name)
	tokMu.Lock()
	defer tokMu.Unlock()
	if tk, ok := hfTokCache[name]; ok {
		return tk
	}
	tk, err := LoadHF(p)
	if err != nil {
		t.Fatalf("LoadHF(%s): %v", p, err)
	}
	hfTokCache[name] = tk
	return tk
}

type hfCase struct {
	Tokenizer          string   `json:"tokenizer"`
	Text               string   `json:"text"`
	IDs                []int32  `json:"ids"`
	Case               string   `json:"case"`
	AddSpecialTokens   bool     `json:"add_special_tokens"`
	Decoded            *string  `json:"decoded"`
	DecodedSkipSpecial *string  `json:"decoded_skip_special"`
	Tokens             []string `json:"tokens"`
}

// TestHFGolden checks every case of fixtures/golden/hf_cases.jsonl (made by
// HF tokenizers): ids, token strings, decode and decode without specials.
func TestHFGolden(t *testing.T) {
	counts := map[string]int{}
	readJSONL(t, "hf_cases.jsonl", func(line int, raw []byte) {
		var c hfCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		tk := hfTokenizer(t, c.Tokenizer)
		var got []int32
		if c.AddSpecialTokens {
			var err error
			if got, err = tk.Tokenize(t.Context(), []byte(c.Text)); err != nil {
				t.Fatal(err)
			}
		} else {
			got = tk.Encode(nil, []byte(c.Text))
		}
		if !slices.Equal(got, c.IDs) {
			t.Errorf("line %d %s %s %q: ids\n got %v\nwant %v", line, c.Tokenizer, c.Case, c.Text, got, c.IDs)
			return
		}
		ids2, offs := tk.EncodeWithOffsets([]byte(c.Text), c.AddSpecialTokens)
		if !slices.Equal(ids2, c.IDs) || len(offs) != len(ids2) {
			t.Errorf("line %d %s %s: EncodeWithOffsets ids %v, want %v", line, c.Tokenizer, c.Case, ids2, c.IDs)
		}
		if n := tk.Count([]byte(c.Text)); !c.AddSpecialTokens && n != len(c.IDs) {
			t.Errorf("line %d: Count %d, want %d", line, n, len(c.IDs))
		}
		if c.Tokens != nil {
			var toks []string
			for _, id := range got {
				toks = append(toks, tk.hf.tokStr[id])
			}
			if !slices.Equal(toks, c.Tokens) && !(len(toks) == 0 && len(c.Tokens) == 0) {
				t.Errorf("line %d %s %s: tokens %q, want %q", line, c.Tokenizer, c.Case, toks, c.Tokens)
			}
		}
		if c.Decoded != nil {
			s, err := tk.DecodeString(got)
			if err != nil || s != *c.Decoded {
				t.Errorf("line %d %s %s: decoded %q (%v), want %q", line, c.Tokenizer, c.Case, s, err, *c.Decoded)
			}
		}
		if c.DecodedSkipSpecial != nil {
			s, err := tk.hf.decodeString(got, true, "")
			if err != nil || s != *c.DecodedSkipSpecial {
				t.Errorf("line %d %s %s: decoded (skip special) %q (%v), want %q", line, c.Tokenizer, c.Case, s, err, *c.DecodedSkipSpecial)
			}
		}
		counts[c.Tokenizer]++
	})
	for _, n := range hfNames {
		if counts[n] < 90 {
			t.Errorf("%s: only %d golden cases ran", n, counts[n])
		}
	}
	t.Logf("cases per tokenizer: %v", counts)
}
