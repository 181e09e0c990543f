package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainBPE: the command writes the three files, the .tiktoken file
// works with `tokenize text`, and bad usage exits 1.
func TestTrainBPE(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "c.txt")
	if err := os.WriteFile(corpus, []byte(strings.Repeat("hello world, hello there; the quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!\n", 50)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tok")
	code, _, stderr := tokenize(t, "", "train-bpe", "--vocab-size", "300", "--pattern", "gpt2", "--special", "<|endoftext|>,<pad>", corpus, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var meta struct {
		Special   map[string]int32 `json:"special_tokens"`
		VocabSize int              `json:"vocab_size"`
	}
	b, err := os.ReadFile(filepath.Join(out, "train.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Special["<|endoftext|>"] != 298 || meta.Special["<pad>"] != 299 || meta.VocabSize != 300 {
		t.Fatalf("train.json: %+v", meta)
	}
	if _, err := os.Stat(filepath.Join(out, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	// The special ids are only in train.json: train-bpe prints the flags,
	// run --eos without them names them, and with them works.
	ranks := filepath.Join(out, "tokenizer.tiktoken")
	flags := "--special-token '<|endoftext|>=298' --special-token '<pad>=299'"
	if want := "train-bpe: tokenizer.tiktoken holds no special tokens; pass them when you use it: --encoding " + ranks + " --pattern gpt2 " + flags + "\n"; !strings.Contains(stderr, want) {
		t.Errorf("train-bpe stderr %q lacks %q", stderr, want)
	}
	code, _, stderr = tokenize(t, "", "run", corpus, "-o", filepath.Join(dir, "x"), "--encoding", ranks, "--pattern", "gpt2", "--eos")
	if want := "(it has: none); pick one of those, or add it with --special-token NAME=ID; " + filepath.Join(out, "train.json") + " lists this vocabulary's special tokens: " + flags + "\n"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("run --eos: exit %d: %s\nwant %q", code, stderr, want)
	}
	code, _, stderr = tokenize(t, "", "run", corpus, "-o", filepath.Join(dir, "x"), "--encoding", ranks, "--pattern", "gpt2", "--eos", "-q",
		"--special-token", "<|endoftext|>=298", "--special-token", "<pad>=299")
	if code != 0 {
		t.Errorf("run --eos --special-token: exit %d: %s", code, stderr)
	}
	// " hello" is one token after training on this text.
	code, stdout, stderr := tokenize(t, "", "text", "encode", "--encoding", filepath.Join(out, "tokenizer.tiktoken"), "--pattern", "gpt2", "hello hello")
	if code != 0 {
		t.Fatalf("encode: exit %d: %s", code, stderr)
	}
	var ids []int32
	if err := json.Unmarshal([]byte(stdout), &ids); err != nil || len(ids) != 2 || ids[0] < 256 || ids[1] < 256 {
		t.Fatalf("encode: %q", stdout)
	}

	// An existing tokenizer is kept unless --overwrite, as run keeps its output.
	before, _ := os.ReadFile(filepath.Join(out, "train.json"))
	code, _, stderr = tokenize(t, "", "train-bpe", "--vocab-size", "290", corpus, "-o", out)
	after, _ := os.ReadFile(filepath.Join(out, "train.json"))
	if code != 1 || stderr != "tokenize: "+out+" already holds a trained tokenizer (tokenizer.tiktoken); pass --overwrite to replace it or choose another -o\n" || string(after) != string(before) {
		t.Errorf("rerun: exit %d %q; train.json changed: %v", code, stderr, string(after) != string(before))
	}
	if code, _, stderr = tokenize(t, "", "train-bpe", "--vocab-size", "290", corpus, "-o", out, "--overwrite"); code != 0 {
		t.Fatalf("--overwrite: exit %d %s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "train.json")); !strings.Contains(string(b), `"vocab_size": 290`) {
		t.Errorf("--overwrite did not replace train.json: %s", b)
	}

	out = filepath.Join(dir, "fresh") // the refusals below are about their flags, not an existing output
	for _, args := range [][]string{
		{"train-bpe", corpus, "-o", out},                                             // no --vocab-size
		{"train-bpe", "--vocab-size", "300", corpus},                                 // no -o
		{"train-bpe", "--vocab-size", "300", "--pattern", "nope", corpus, "-o", out}, // bad pattern
		{"train-bpe", "--vocab-size", "100", corpus, "-o", out},                      // below 256
		{"train-bpe", "--vocab-size", "300", corpus + ".missing", "-o", out},         // no such file
		{"train-bpe", "--vocab-size", "300", "-o", out},                              // no corpus
	} {
		if code, _, _ := tokenize(t, "", args...); code != 1 {
			t.Errorf("%q: exit %d, want 1", args, code)
		}
	}
}
