package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

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

	// Flags that a tokenizer.json replaces are usage errors; --eos and
	// --pack need --eos-token naming one of its tokens.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--bos"}, "--bos does not apply with --tokenizer"},
		{[]string{"--eos"}, "--eos with --tokenizer needs --eos-token"},
		{[]string{"--pack", "8"}, "--eos with --tokenizer needs --eos-token"},
		{[]string{"--eos-token", "</s>"}, "does nothing without --eos"},
		{[]string{"--pack", "8", "--eos-token", "<|nope|>"}, `--eos-token "<|nope|>" is not a special token`},
	} {
		code, _, errb = tokenize(t, "", append([]string{"run", in, "-o", filepath.Join(dir, "o2"), "--tokenizer", path}, c.args...)...)
		if code != 1 || !strings.Contains(errb, c.want) {
			t.Errorf("%v with --tokenizer: code %d, %q, want %q", c.args, code, errb, c.want)
		}
	}
	// --pack with --eos-token: every document ends in </s> (2), in order,
	// no token lost.
	packed := filepath.Join(dir, "packed")
	if code, _, errb := tokenize(t, "", "run", in, "-o", packed, "--tokenizer", path, "--pack", "8", "--eos-token", "</s>", "-q"); code != 0 {
		t.Fatalf("--pack --eos-token: code %d: %s", code, errb)
	}
	var stream []int32
	for _, d := range docs {
		ids, _ := tk.Tokenize(t.Context(), []byte(d))
		stream = append(append(stream, ids...), 2)
	}
	if got := packedIDs(t, filepath.Join(packed, "part-00000.arrow")); fmt.Sprint(got) != fmt.Sprint(stream) {
		t.Errorf("packed ids %v, want %v", got, stream)
	}
	code, _, errb = tokenize(t, "", "text", "encode", "--tokenizer", filepath.Join(dir, "missing.json"), "x")
	if code != 1 || !strings.Contains(errb, "--tokenizer") {
		t.Errorf("missing tokenizer.json: code %d, %q", code, errb)
	}
}

// packedIDs reads a --pack file's input_ids rows, each cut to its length,
// as one stream.
func packedIDs(t *testing.T, path string) []int32 {
	t.Helper()
	r := openArrow(t, path)
	var out []int32
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatch(i)
		if err != nil {
			t.Fatal(err)
		}
		s := rec.Schema()
		ids := rec.Column(s.FieldIndices("input_ids")[0]).(*array.FixedSizeList)
		n := rec.Column(s.FieldIndices("length")[0]).(*array.Int32)
		vals := ids.ListValues().(*array.Int32).Int32Values()
		l := int(ids.DataType().(*arrow.FixedSizeListType).Len())
		for row := 0; row < int(rec.NumRows()); row++ {
			out = append(out, vals[row*l:row*l+int(n.Value(row))]...)
		}
	}
	return out
}
