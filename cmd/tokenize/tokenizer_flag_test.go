package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/pipeline"
	"github.com/tokenfab/tokenfab/text"
)

// TestTokenizerFlag: --tokenizer loads a Hugging Face tokenizer.json for
// `run` and `text`; ids equal the text package's (itself checked against HF
// tokenizers), the Arrow metadata records the file's sha256, and the flags a
// tokenizer.json replaces are refused.
func TestTokenizerFlag(t *testing.T) {
	path := filepath.Join(testenv.Root(), "fixtures", "hf", "mistral.tokenizer.json.gz")
	tk, err := text.LoadHF(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{"Hello world", "Ünïcödé and 数字 123", "  leading spaces\nand lines"}

	// text encode: the model's ids without the template (add_special_tokens=False).
	code, out, errb := tokenize(t, "", "text", "encode", "--tokenizer", path, docs[0])
	want, _ := json.Marshal(tk.Encode(nil, []byte(docs[0])))
	if code != 0 || strings.TrimSpace(out) != string(want) {
		t.Fatalf("text encode: code %d out %q (want %s) err %q", code, out, want, errb)
	}

	// run: Tokenize per document, which adds Mistral's <s> template.
	dir := t.TempDir()
	var b strings.Builder
	total := 0
	for i, d := range docs {
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprint(i), "text": d})
		b.Write(line)
		b.WriteByte('\n')
		ids, err := tk.Tokenize(t.Context(), []byte(d))
		if err != nil {
			t.Fatal(err)
		}
		if ids[0] != 1 {
			t.Fatalf("mistral template should start with <s> (1), got %v", ids)
		}
		total += len(ids)
	}
	in := filepath.Join(dir, "docs.jsonl")
	os.WriteFile(in, []byte(b.String()), 0o644)
	outDir := filepath.Join(dir, "out")
	if code, _, errb := tokenize(t, "", "run", in, "-o", outDir, "--tokenizer", path, "-q"); code != 0 {
		t.Fatalf("run: code %d: %s", code, errb)
	}
	rep, err := pipeline.Inspect(filepath.Join(outDir, "part-00000.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 3 || rep.Tokens.Total != int64(total) {
		t.Errorf("rows %d tokens %d, want 3 and %d", rep.Rows, rep.Tokens.Total, total)
	}
	if md := rep.Metadata["tokenfab"]; !strings.Contains(md, tk.SHA256()) {
		t.Errorf("tokenfab metadata lacks the tokenizer.json sha256 %s: %.300s", tk.SHA256(), md)
	}

	// Flags that a tokenizer.json replaces are usage errors.
	code, _, errb = tokenize(t, "", "run", in, "-o", filepath.Join(dir, "o2"), "--tokenizer", path, "--eos")
	if code != 1 || !strings.Contains(errb, "--eos does not apply with --tokenizer") {
		t.Errorf("--eos with --tokenizer: code %d, %q", code, errb)
	}
	code, _, errb = tokenize(t, "", "text", "encode", "--tokenizer", filepath.Join(dir, "missing.json"), "x")
	if code != 1 || !strings.Contains(errb, "--tokenizer") {
		t.Errorf("missing tokenizer.json: code %d, %q", code, errb)
	}
}
