package train

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/text"
	"github.com/tokenfab/tokenfab/text/internal/pretok"
)

// liveScript loads the trained tokenizer.json with HF tokenizers and the
// .tiktoken file with tiktoken (pattern = the Split regex's pretok text)
// and, for each input (a JSON list of hex strings on stdin), prints one line:
// {"hf": ids, "tt": ids or null, "dec": HF decode == text}. tiktoken gets
// the ordinary ids; HF splits added (special) tokens, so for inputs holding
// special-token text only "hf" is compared with tokenfab's AllowedSpecial
// "all" ids.
const liveScript = `
import sys, json, base64, tiktoken
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
ranks = {}
for line in open(sys.argv[2], "rb"):
    b, r = line.split()
    ranks[base64.b64decode(b)] = int(r)
enc = tiktoken.Encoding("trained", pat_str=sys.argv[3], mergeable_ranks=ranks, special_tokens=json.loads(sys.argv[4]))
for h in json.load(sys.stdin):
    s = bytes.fromhex(h).decode("utf-8")
    ids = tok.encode(s, add_special_tokens=False).ids
    tt = enc.encode(s, allowed_special="all")
    print(json.dumps({"hf": ids, "tt": tt, "dec": tok.decode(ids, skip_special_tokens=False) == s}))
`

type liveOut struct {
	HF  []int32 `json:"hf"`
	TT  []int32 `json:"tt"`
	Dec bool    `json:"dec"`
}

func runLive(t *testing.T, dir string, r *Result, inputs [][]byte) []liveOut {
	t.Helper()
	py := testenv.Python(t)
	hexes := make([]string, len(inputs))
	for i, b := range inputs {
		hexes[i] = hex.EncodeToString(b)
	}
	in, _ := json.Marshal(hexes)
	sp, _ := json.Marshal(r.Special)
	cmd := exec.Command(py, "-c", liveScript, filepath.Join(dir, "tokenizer.json"), filepath.Join(dir, "tokenizer.tiktoken"), pretok.Pattern(r.Pattern), string(sp))
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var res []liveOut
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<28)
	for sc.Scan() {
		var o liveOut
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		res = append(res, o)
	}
	if len(res) != len(inputs) {
		t.Fatalf("python printed %d results for %d inputs", len(res), len(inputs))
	}
	return res
}

func firstDiff(a, b []int32) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestLiveHF trains on the large corpus file with every pattern and checks
// that tokenfab (text.New on the .tiktoken file), HF tokenizers (the
// tokenizer.json) and Python tiktoken (the .tiktoken file) give the same ids
// on every corpus file and on random strings, that HF decodes them back to
// the text, and that special-token text maps to the special ids. To keep the
// test near 30 s, gpt2, llama3 and qwen2 skip the 6.4 MB training file
// itself (cl100k and o200k encode it: 1.5 M tokens each).
func TestLiveHF(t *testing.T) {
	corpusDir := testenv.Shared(t, "corpus/text")
	testenv.Python(t)
	files, err := filepath.Glob(filepath.Join(corpusDir, "*"))
	if err != nil || len(files) < 10 {
		t.Fatalf("corpus: %v, %d files", err, len(files))
	}
	slices.Sort(files)
	var inputs [][]byte
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b) {
			t.Fatalf("%s is not UTF-8 (Python needs str)", f)
		}
		inputs = append(inputs, b)
		names = append(names, filepath.Base(f))
	}
	// Random strings from pieces that stress pre-tokenizer corners.
	rng := rand.New(rand.NewPCG(7, 8))
	parts := []string{" ", "  ", "\n", "\r\n", "\t", "\n\n ", "12", "12345", "'s", "'LL", "don't", "!", "!\n/", "...", "a", "The", "ÉCOLE", "naïve", "日本語", "한국어", "😀", "\u00a0", "\u3000", "x̃", "ǅ", "<|endoftext|>", "<|fim_middle|>"}
	for i := range 300 {
		var sb strings.Builder
		for range 1 + rng.IntN(30) {
			sb.WriteString(parts[rng.IntN(len(parts))])
		}
		inputs = append(inputs, []byte(sb.String()))
		names = append(names, fmt.Sprintf("random %d", i))
	}

	big := filepath.Join(corpusDir, "en_large_pd_shard_kjv_jargon_devil.txt")
	specials := []string{"<|endoftext|>", "<|fim_middle|>"}
	for _, pattern := range []string{"cl100k", "o200k", "gpt2", "llama3", "qwen2"} {
		t.Run(pattern, func(t *testing.T) {
			r := mustTrain(t, Config{VocabSize: 30000, Pattern: pattern, SpecialTokens: specials}, big)
			if len(r.Tokens) != 30000-len(specials) {
				t.Fatalf("%d tokens", len(r.Tokens))
			}
			dir := t.TempDir()
			for name, write := range map[string]func(*os.File) error{
				"tokenizer.tiktoken": func(f *os.File) error { return r.WriteTiktoken(f) },
				"tokenizer.json":     func(f *os.File) error { return r.WriteTokenizerJSON(f) },
			} {
				f, err := os.Create(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if err := write(f); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			tk, err := text.New(text.Config{Encoding: filepath.Join(dir, "tokenizer.tiktoken"), Pattern: pattern, SpecialTokens: r.Special, AllowedSpecial: []string{"all"}})
			if err != nil {
				t.Fatal(err)
			}
			if tk.VocabSize() != 30000 {
				t.Fatalf("tokenfab vocab size %d", tk.VocabSize())
			}
			inputs, names := inputs, names
			if pattern != "cl100k" && pattern != "o200k" {
				k := slices.Index(names, filepath.Base(big))
				inputs = slices.Delete(slices.Clone(inputs), k, k+1)
				names = slices.Delete(slices.Clone(names), k, k+1)
			}
			got := runLive(t, dir, r, inputs)
			nTok := 0
			for i, in := range inputs {
				ids := tk.Encode(nil, in)
				nTok += len(ids)
				if !slices.Equal(ids, got[i].HF) {
					k := firstDiff(ids, got[i].HF)
					t.Fatalf("%s: tokenfab and HF differ at token %d of %d/%d: %v vs %v", names[i], k, len(ids), len(got[i].HF), ids[k:min(k+5, len(ids))], got[i].HF[k:min(k+5, len(got[i].HF))])
				}
				if !slices.Equal(ids, got[i].TT) {
					t.Fatalf("%s: tokenfab and tiktoken differ at token %d", names[i], firstDiff(ids, got[i].TT))
				}
				if !got[i].Dec {
					t.Fatalf("%s: HF decode is not the text", names[i])
				}
				if strings.Contains(string(in), "<|endoftext|>") && !slices.Contains(ids, r.Special["<|endoftext|>"]) {
					t.Fatalf("%s: no special id", names[i])
				}
			}
			t.Logf("%s: %d inputs, %d tokens identical (tokenfab, HF, tiktoken); %d merges into existing tokens", pattern, len(inputs), nTok, len(r.Merges)-(len(r.Tokens)-256))
		})
	}
}

// TestLiveBpeTrainer: with the same pieces (the file as one text, same
// regex) HF tokenizers' BpeTrainer makes the same merges in the same order.
// Its alphabet ids (ByteLevel.alphabet() sorted by character) are the GPT-2
// byte order used here and new ids follow merge order, so its tie-break
// (ascending pair of ids) is this package's.
func TestLiveBpeTrainer(t *testing.T) {
	py := testenv.Python(t)
	data, err := os.ReadFile(testenv.Shared(t, "corpus/text/en_large_pd_shard_kjv_jargon_devil.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pattern string
		off     int
	}{{"o200k", 0}, {"gpt2", 3 << 20}} {
		chunk := data[c.off : c.off+1<<20]
		for !utf8.Valid(chunk) {
			chunk = chunk[:len(chunk)-1]
		}
		p := writeFile(t, string(chunk))
		r := mustTrain(t, Config{VocabSize: 6000, Pattern: c.pattern}, p)
		script := `
import sys, json
from tokenizers import Tokenizer, Regex, models, pre_tokenizers, trainers
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(sys.argv[1]), behavior="isolated"),
    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
tr = trainers.BpeTrainer(vocab_size=6000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
tok.train_from_iterator([open(sys.argv[2], encoding="utf-8").read()], trainer=tr)
m = json.loads(tok.to_str())["model"]
print(json.dumps([[m["vocab"][a], m["vocab"][b]] for a, b in m["merges"]]))
`
		out, err := exec.Command(py, "-c", script, hfPattern(c.pattern), p).Output()
		if err != nil {
			t.Fatal(err)
		}
		var hf [][2]int32
		if err := json.Unmarshal(out, &hf); err != nil {
			t.Fatal(err)
		}
		if len(hf) != len(r.Merges) {
			t.Fatalf("%s: HF made %d merges, we made %d", c.pattern, len(hf), len(r.Merges))
		}
		for i, m := range r.Merges {
			if hf[i] != [2]int32{m.Left, m.Right} {
				t.Fatalf("%s: merge %d is %q+%q, HF's %q+%q", c.pattern, i, r.Tokens[m.Left], r.Tokens[m.Right], r.Tokens[hf[i][0]], r.Tokens[hf[i][1]])
			}
		}
	}
}
