package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/pipeline"
)

const usageHint = "Run 'tokenize --help'"

// TestErrorsNameFlags: configuration mistakes are reported in flag names
// (never Go field names), with one "text:" prefix at most, and only usage
// errors end with the usage hint.
func TestErrorsNameFlags(t *testing.T) {
	ranks := filepath.Join(t.TempDir(), "mine.tiktoken")
	var b strings.Builder
	for i := range 256 {
		fmt.Fprintf(&b, "%s %d\n", base64.StdEncoding.EncodeToString([]byte{byte(i)}), i)
	}
	if err := os.WriteFile(ranks, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	corpus := filepath.Join(t.TempDir(), "c.txt")
	os.WriteFile(corpus, []byte("hello hello world"), 0o644)
	for _, c := range []struct {
		args []string
		want string // the whole first line of stderr
		hint bool
	}{
		{[]string{"run", sample, "-o", out, "--bos"},
			"tokenize: --bos needs a BOS token: pass --bos-token NAME (o200k_base has none by default)", true},
		{[]string{"run", sample, "-o", out, "--eos", "--eos-token", "<|bogus|>"},
			`tokenize: --eos-token "<|bogus|>" is not a special token of o200k_base (it has: <|endofprompt|> <|endoftext|>); pick one of those, or add it with --special-token NAME=ID`, true},
		{[]string{"run", sample, "-o", out, "--eos", "--encoding", "r50k_base", "--eos-token", "</s>"},
			`tokenize: --eos-token "</s>" is not a special token of r50k_base (it has: <|endoftext|>); pick one of those, or add it with --special-token NAME=ID`, true},
		{[]string{"text", "encode", "--encoding", ranks, "hi"},
			"tokenize: --pattern is required for a .tiktoken file (" + ranks + " is no known encoding): one of gpt2, cl100k, o200k, llama3, qwen2", true},
		{[]string{"text", "encode", "--encoding", ranks, "--pattern", "gpt5", "hi"},
			`tokenize: --pattern "gpt5": want one of gpt2, cl100k, o200k, llama3, qwen2`, true},
		{[]string{"text", "encode", "--allow-special", "<|im_start|>", "hi"},
			`tokenize: --allow-special "<|im_start|>" is not a special token of o200k_base (it has: <|endofprompt|> <|endoftext|>); pick one of those, or add it with --special-token NAME=ID`, true},
		{[]string{"text", "encode", "--encoding", "cl200k", "hi"},
			`tokenize: text: unknown encoding "cl200k"; use one of `, true},
		{[]string{"train-bpe", "--vocab-size", "100", corpus, "-o", out},
			"tokenize: --vocab-size 100 is too small: the 256 byte tokens and 0 --special tokens alone take 256 ids", true},
		{[]string{"run", sample, "-o", out, "--max-image-pixels", "0"},
			"tokenize: --max-image-pixels 0: want a positive pixel count, or -1 for no limit", true},
		{[]string{"run", corpus, "-o", out, "--pack", "512", "--format", "megatron"},
			"tokenize: --pack does not apply to --format megatron: Megatron packs documents into --seq-length samples itself", false},
		{[]string{"run", corpus, "-o", out, "--pack", "512", "--format", "megatron", "--token-dtype", "int32"},
			"tokenize: --pack does not apply to --format megatron: Megatron packs documents into --seq-length samples itself", false},
		{[]string{"run", corpus, "-o", out, "--special-token", "foo=-1"},
			"tokenize: --special-token foo=-1: the id must be >= 0 and at most 2147483647 (int32)", true},
		{[]string{"run", corpus, "-o", out, "--token-dtype", "int8"},
			`tokenize: --token-dtype "int8": want int32 or uint16 (with --pack L or --format megatron)`, false},
		{[]string{"run", corpus, "-o", out, "--pack", "0"},
			"tokenize: --pack 0: want a sequence length of 1 or more (leave --pack out for one row per segment)", true},
		{[]string{"run", corpus, "-o", out, "--pack", "-4"},
			"tokenize: --pack -4: want a sequence length of 1 or more", true},
		// Runtime errors: exit 1, no usage hint.
		{[]string{"text", "decode", "[99999999]"},
			"tokenize: text: unknown token id 99999999: not a rank or special token of o200k_base (ids are below 200019, with gaps)", false},
	} {
		code, _, stderr := tokenize(t, "", c.args...)
		first, _, _ := strings.Cut(stderr, "\n")
		if code != 1 || !strings.HasPrefix(first, c.want) || strings.Contains(stderr, usageHint) != c.hint {
			t.Errorf("tokenize %q = %d\n%s\nwant exit 1, first line %q, usage hint %v", c.args, code, stderr, c.want, c.hint)
		}
		for _, bad := range []string{"Config.", "AddBOS", "VocabSize", "MaxPixels", "text tokenizer:", "text: text:"} {
			if strings.Contains(stderr, bad) {
				t.Errorf("tokenize %q: message names %q: %s", c.args, bad, stderr)
			}
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused command created %s", out)
	}
}

// TestMaxImagePixels: the decompression-bomb limit is a run flag, and the
// too_large row says which flag raises it.
func TestMaxImagePixels(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := tokenize(t, "", "run", filepath.Join(sample, "images"), "-o", out, "-q", "--max-image-pixels", "1000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum pipeline.Summary
	data, _ := os.ReadFile(filepath.Join(out, pipeline.SummaryName))
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	tl := sum.Errors.ByKind["too_large"]
	if tl == nil || tl.Count != sum.Rows || sum.Rows < 2 {
		t.Fatalf("rows %d, errors %+v: want every image too_large", sum.Rows, sum.Errors.ByKind)
	}
	if msg := tl.Examples[0].Message; !strings.Contains(msg, "over the limit of 1000; if the image is genuine, raise the limit (tokenize run --max-image-pixels N") {
		t.Errorf("message %q does not name the flag", msg)
	}
	// The default lets the sample's images through.
	out2 := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := tokenize(t, "", "run", filepath.Join(sample, "images"), "-o", out2, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, _ = os.ReadFile(filepath.Join(out2, pipeline.SummaryName))
	sum = pipeline.Summary{}
	if err := json.Unmarshal(data, &sum); err != nil || sum.Errors.Total != 0 || sum.Rows < 2 {
		t.Errorf("default limit: %v, %d errors of %d rows", err, sum.Errors.Total, sum.Rows)
	}
}

// TestEmptyFieldNamesAndPlurals: an empty --text-field/--id-field is a
// usage error, not a silent fallback; one file is "1 file".
func TestEmptyFieldNamesAndPlurals(t *testing.T) {
	in := filepath.Join(t.TempDir(), "a.jsonl")
	os.WriteFile(in, []byte(`{"text":"hi"}`+"\n"), 0o644)
	out := filepath.Join(t.TempDir(), "out")
	for _, flag := range []string{"--text-field", "--id-field"} {
		code, _, stderr := tokenize(t, "", "run", in, "-o", out, flag, "")
		if code != 1 || !strings.Contains(stderr, "--text-field and --id-field need a JSONL field name") || !strings.Contains(stderr, usageHint) {
			t.Errorf("%s '': exit %d, %s", flag, code, stderr)
		}
	}
	code, _, stderr := tokenize(t, "", "run", in, "-o", out)
	if code != 0 || !strings.Contains(stderr, "done: 1 record, 1 row, 1 token (text 1 id), 0 errors; 1 file,") {
		t.Errorf("run: exit %d, %s", code, stderr)
	}
	os.Remove(filepath.Join(out, "_SUMMARY.json"))
	code, _, stderr = tokenize(t, "", "run", in, "-o", out)
	if code != 1 || !strings.Contains(stderr, "holds the output file part-00000.arrow but no _SUMMARY.json: a job that crashed, or is still running; pass --overwrite to redo it or choose another -o") {
		t.Errorf("rerun: exit %d, %s", code, stderr)
	}
}

// TestInspectExitCodes: a missing, non-Arrow or truncated file is exit 1
// without the usage hint; with several files the good ones are reported.
func TestInspectExitCodes(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if code, _, stderr := tokenize(t, "", "run", filepath.Join(sample, "records.jsonl"), "-o", out, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	good := filepath.Join(out, "part-00000.arrow")
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o644)
	data, _ := os.ReadFile(good)
	trunc := filepath.Join(dir, "trunc.arrow")
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	for _, bad := range []string{text, trunc, filepath.Join(dir, "missing.arrow"), dir} {
		code, _, stderr := tokenize(t, "", "inspect", bad)
		if code != 1 || !strings.Contains(stderr, bad) || strings.Contains(stderr, usageHint) {
			t.Errorf("inspect %s: exit %d, %s", bad, code, stderr)
		}
	}
	code, stdout, stderr := tokenize(t, "", "inspect", text, good)
	if code != 1 || !strings.Contains(stdout, good+": Arrow IPC file") || !strings.Contains(stderr, "1 of 2 files could not be read as Arrow: "+text) {
		t.Errorf("inspect bad good: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := tokenize(t, "", "inspect", good); code != 0 {
		t.Errorf("inspect good: exit %d %s", code, stderr)
	}
}
