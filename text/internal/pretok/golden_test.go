package pretok

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestGolden checks the scanners against fixtures/pretok/golden.jsonl:
// splits made by Python regex with the reference patterns
// (testdata/gen_golden.py), so it runs without Python.
func TestGolden(t *testing.T) {
	dir := filepath.Join(testenv.Root(), "fixtures", "pretok")
	data, err := os.ReadFile(filepath.Join(dir, "golden.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	var head struct {
		Patterns map[string]string `json:"patterns"`
	}
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &head) != nil || len(head.Patterns) != len(names) {
		t.Fatal("golden.jsonl: bad first line")
	}
	for name, p := range head.Patterns {
		want := Pattern(name)
		if name == "gpt2" {
			want = r50kTiktokenPattern
		}
		if p != want {
			t.Errorf("golden.jsonl was made with %s pattern %q, ours is %q", name, p, want)
		}
	}
	cases := map[string]int{}
	for sc.Scan() {
		var c struct {
			Name   string   `json:"name"`
			Text   string   `json:"text"`
			Pieces []string `json:"pieces"`
			File   string   `json:"file"`
			Lens   []int    `json:"lens"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		f := mustLookup(t, c.Name)
		cases[c.Name]++
		if c.File == "" {
			var got []string
			Split(f, []byte(c.Text), func(p []byte) { got = append(got, string(p)) })
			if !slices.Equal(got, c.Pieces) {
				t.Errorf("%s %q:\n got  %q\n want %q", c.Name, c.Text, got, c.Pieces)
			}
			continue
		}
		text, err := os.ReadFile(filepath.Join(dir, c.File))
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		Split(f, text, func(p []byte) { got = append(got, len(p)) })
		if !slices.Equal(got, c.Lens) {
			t.Errorf("%s %s: %d pieces, want %d (first difference at piece %d)",
				c.Name, c.File, len(got), len(c.Lens), firstIndexDiff(got, c.Lens))
		}
	}
	for _, n := range names {
		if cases[n] < 50 {
			t.Errorf("golden.jsonl has %d cases for %s", cases[n], n)
		}
	}
}

func firstIndexDiff(a, b []int) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// TestInvalidBytesAreReplacementChars checks, without Python, that an
// invalid byte splits exactly like U+FFFD in its place.
func TestInvalidBytesAreReplacementChars(t *testing.T) {
	strs := randomStrings(2, 20_000, 12)
	for _, name := range names {
		f := mustLookup(t, name)
		checked := 0
		for _, s := range strs {
			if utf8.Valid(s) {
				continue
			}
			checked++
			if got, want := charLens(t, f, s), charLens(t, f, []byte(pythonText(s))); got != want {
				t.Fatalf("%s %q: %s, with U+FFFD: %s", name, s, got, want)
			}
		}
		if checked < 1000 {
			t.Fatalf("only %d strings with invalid UTF-8", checked)
		}
	}
}

// TestLookup checks the names and aliases and that unknown names fail.
func TestLookup(t *testing.T) {
	same := map[string]string{
		"r50k_base": "gpt2", "p50k_base": "gpt2", "p50k_edit": "gpt2", "cl100k_base": "cl100k",
		"o200k_base": "o200k", "o200k_harmony": "o200k",
	}
	for alias, name := range same {
		if Pattern(alias) != Pattern(name) || Pattern(alias) == "" {
			t.Errorf("Pattern(%q) differs from Pattern(%q)", alias, name)
		}
		if _, ok := Lookup(alias); !ok {
			t.Errorf("Lookup(%q) failed", alias)
		}
	}
	for _, bad := range []string{"", "GPT2", "cl100k_base ", "llama2", "deepseek_v3"} {
		if f, ok := Lookup(bad); ok || f != nil || Pattern(bad) != "" {
			t.Errorf("Lookup(%q) succeeded", bad)
		}
	}
	// cl100k_base and llama3 differ at the end of a text (see Lookup; the
	// exact splits are in golden.jsonl).
	var a, b []string
	Split(mustLookup(t, "cl100k"), []byte("a\n  "), func(p []byte) { a = append(a, string(p)) })
	Split(mustLookup(t, "llama3"), []byte("a\n  "), func(p []byte) { b = append(b, string(p)) })
	if slices.Equal(a, b) {
		t.Errorf("cl100k and llama3 both split %q as %q", "a\n  ", a)
	}
	for _, n := range names {
		if got := mustLookup(t, n)(nil); got != 0 {
			t.Errorf("%s(nil) = %d", n, got)
		}
	}
}
