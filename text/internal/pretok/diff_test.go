package pretok

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// refLens runs testdata/ref_split.py once: Python regex with pattern over
// every text. It returns one line per text in charLens's format (with
// args "--gaps", matcherLens's).
func refLens(t *testing.T, py, pattern string, texts [][]byte, args ...string) []string {
	t.Helper()
	dir := t.TempDir()
	patFile := filepath.Join(dir, "pattern.txt")
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.txt")
	if err := os.WriteFile(patFile, []byte(pattern), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, s := range texts {
		if err := enc.Encode(pythonText(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cmd := exec.Command(py, append([]string{filepath.Join("testdata", "ref_split.py"), patFile, in, out}, args...)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ref_split.py: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("ref_split.py answered %d lines for %d texts", len(lines), len(texts))
	}
	return lines
}

// refPatterns reads the patterns from the references themselves (installed
// tiktoken; HF tokenizer.json files in ../shared when present).
func refPatterns(t *testing.T, py string) (tiktoken map[string]string, hf map[string][]string) {
	t.Helper()
	args := []string{filepath.Join("testdata", "ref_patterns.py")}
	if hfDir := filepath.Join(testenv.Root(), "..", "shared", "vocab", "hf"); dirExists(hfDir) {
		args = append(args, hfDir)
	}
	out, err := exec.Command(py, args...).Output()
	if err != nil {
		t.Fatalf("ref_patterns.py: %v", err)
	}
	var res struct {
		Version  string              `json:"tiktoken_version"`
		Tiktoken map[string]string   `json:"tiktoken"`
		HF       map[string][]string `json:"hf"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.Version != "0.14.0" {
		t.Errorf("the venv has tiktoken %s; these patterns were checked against 0.14.0", res.Version)
	}
	return res.Tiktoken, res.HF
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// TestPatternsAreTheReferences checks that Pattern returns the strings the
// references really use.
func TestPatternsAreTheReferences(t *testing.T) {
	tk, hf := refPatterns(t, testenv.Python(t))
	want := map[string]string{
		"r50k_base": r50kTiktokenPattern, "p50k_base": r50kTiktokenPattern, "p50k_edit": r50kTiktokenPattern,
		"gpt2": r50kTiktokenPattern, "cl100k_base": Pattern("cl100k_base"),
		"o200k_base": Pattern("o200k"), "o200k_harmony": Pattern("o200k_harmony"),
	}
	for enc, p := range want {
		if tk[enc] != p {
			t.Errorf("tiktoken %s pattern:\n%s\nours:\n%s", enc, tk[enc], p)
		}
	}
	if hf == nil {
		t.Log("no ../shared/vocab/hf: HF patterns not checked")
		return
	}
	for dir, name := range map[string]string{"llama3": "llama3", "cl100k_hf": "llama3", "qwen3": "qwen2", "o200k_hf": "o200k"} {
		if got := hf[dir]; len(got) != 1 || got[0] != Pattern(name) {
			t.Errorf("HF %s Split regex %q, Pattern(%q) = %q", dir, got, name, Pattern(name))
		}
	}
	if got := hf["deepseek_v3"]; len(got) != 3 || got[2] != Pattern("deepseek3") {
		t.Errorf("HF deepseek_v3 Split regexes %q, third should be Pattern(\"deepseek3\") = %q", got, Pattern("deepseek3"))
	}
}

// TestDiffPython compares every scanner with Python regex running its
// pattern on the text corpus, the fixtures and 100,000 random strings
// (with -short, corpus files are cut to 256 KB).
func TestDiffPython(t *testing.T) {
	py := testenv.Python(t)
	var texts [][]byte
	var labels []string
	add := func(dir, glob string) {
		files, err := filepath.Glob(filepath.Join(dir, glob))
		if err != nil || len(files) == 0 {
			t.Fatalf("no files in %s", dir)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if testing.Short() && len(b) > 256<<10 {
				b = b[:256<<10] // may cut a character: one invalid byte or more, also a test
			}
			texts, labels = append(texts, b), append(labels, p)
		}
	}
	add(filepath.Join(testenv.Root(), "fixtures", "pretok"), "*.txt")
	for i, s := range randomStrings(1, 100_000, 16) {
		texts, labels = append(texts, s), append(labels, fmt.Sprintf("random #%d %q", i, s))
	}
	noCorpus := len(texts)
	add(testenv.Shared(t, "corpus/text"), "*")
	type run struct {
		name, pattern string
		texts         [][]byte
		m             Matcher // a pattern with gaps
	}
	runs := []run{
		// tiktoken's own spelling of the gpt2 pattern; the corpus is left
		// out to save time, as the registry spelling's run covers it.
		{"gpt2", r50kTiktokenPattern, texts[:noCorpus], nil},
	}
	for _, name := range names {
		runs = append(runs, run{name, Pattern(name), texts, nil})
	}
	for _, name := range matcherNames {
		runs = append(runs, run{name, Pattern(name), texts, mustLookupMatcher(t, name)})
	}
	for _, r := range runs {
		pat, texts := r.pattern, r.texts
		var lens func(s []byte) string
		var args []string
		if r.m != nil {
			lens = func(s []byte) string { return matcherLens(t, r.m, s) }
			args = []string{"--gaps"}
		} else {
			f := mustLookup(t, r.name)
			lens = func(s []byte) string { return charLens(t, f, s) }
		}
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			want := refLens(t, py, pat, texts, args...)
			bad := 0
			for i, s := range texts {
				got := lens(s)
				if got == want[i] {
					continue
				}
				if bad++; bad <= 5 {
					t.Errorf("%s: %s\n%s", pat, clip(labels[i]), firstDiff(got, want[i], s))
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d texts split differently", bad, len(texts))
			}
		})
	}
}

// clip shortens long labels in failure messages.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// firstDiff describes where two piece-length lists first differ: the
// pieces there and the text around it.
func firstDiff(got, want string, s []byte) string {
	g, w := strings.Fields(got), strings.Fields(want)
	k, chars := 0, 0
	for k < len(g) && k < len(w) && g[k] == w[k] {
		n, _ := strconv.Atoi(g[k])
		chars += n
		k++
	}
	rs := []rune(pythonText(s))
	lo, hi := max(chars-20, 0), min(chars+40, len(rs))
	return fmt.Sprintf("at character %d (piece %d): got %v, want %v; text there: %q",
		chars, k, g[k:min(k+4, len(g))], w[k:min(k+4, len(w))], string(rs[lo:hi]))
}
