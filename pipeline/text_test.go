package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/text"
)

// TestRealTextDeterministicAcrossWorkers runs the real o200k_base tokenizer
// over the shipped sample and the shared 763-record corpus with 1, 2 and 4
// workers (small batches and files, so there are many of both) and requires
// byte-identical part files. Only text is registered: the sample's two
// images, its WAV and its video clip are no_tokenizer rows and the schema is the base one.
func TestRealTextDeterministicAcrossWorkers(t *testing.T) {
	tok, err := text.New(text.Config{Encoding: "o200k_base", AddEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	inputs := []string{
		filepath.Join(testenv.Root(), "fixtures", "sample"),
		testenv.Shared(t, "corpus/text/records.jsonl"),
	}
	var ref map[string][]byte
	var refSum *Summary
	for _, workers := range []int{1, 2, 4} {
		out := t.TempDir()
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		sum, err := Run(context.Background(), Options{Inputs: inputs, OutputDir: out, Workers: workers,
			Modalities: []Modality{NewText(tok)}, BatchBytes: 64 << 10, MaxFileBytes: 256 << 10, Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		mem.AssertSize(t, 0)
		files := map[string][]byte{}
		for _, f := range sum.Files {
			b, err := os.ReadFile(filepath.Join(out, f.Name))
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name] = b
		}
		if ref == nil {
			ref, refSum = files, sum
			if sum.Records != 39+763 || sum.Errors.Total != 5 || sum.Errors.ByKind["no_tokenizer"].Count != 4 || len(sum.Files) < 3 {
				t.Fatalf("records %d, errors %d (%v), files %d", sum.Records, sum.Errors.Total, sum.Errors.ByKind, len(sum.Files))
			}
			rows, schema := readParts(t, out)
			if schema.NumFields() != len(baseColumns) {
				t.Fatalf("text-only job has %d columns, want the %d base ones: %v", schema.NumFields(), len(baseColumns), schema)
			}
			eos := int32(tok.SpecialTokens()["<|endoftext|>"])
			for _, r := range rows {
				if r.Modality == ModImage && !strings.HasPrefix(r.Error, "no_tokenizer: ") {
					t.Fatalf("image row %s: error %q, want no_tokenizer", r.ID, r.Error)
				}
				if r.Error == "" && (len(r.IDs) == 0 || r.IDs[len(r.IDs)-1] != eos || int(r.NumTokens) != len(r.IDs)) {
					t.Fatalf("row %s: %d ids, num_tokens %d, want EOS %d last", r.ID, len(r.IDs), r.NumTokens, eos)
				}
			}
			continue
		}
		if len(files) != len(ref) || sum.Tokens != refSum.Tokens {
			t.Fatalf("workers=%d: %d files, %d tokens; workers=1: %d, %d", workers, len(files), sum.Tokens, len(ref), refSum.Tokens)
		}
		for name, b := range ref {
			if !bytes.Equal(b, files[name]) {
				t.Errorf("workers=%d: %s differs from the workers=1 run", workers, name)
			}
		}
	}
	t.Logf("%d records, %d tokens, %d files, identical for 1, 2 and 4 workers", refSum.Records, refSum.Tokens, len(ref))
}

func TestTextModalityEmptyIsEmptyList(t *testing.T) {
	tok, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		t.Fatal(err)
	}
	m := NewText(tok)
	p, err := m.Tokenize(context.Background(), nil)
	if err != nil || p.InputIDs == nil || len(p.InputIDs) != 0 || p.NumTokens != 0 {
		t.Fatalf("empty text = %+v, %v; want an empty, non-nil list", p, err)
	}
	p, err = m.Tokenize(context.Background(), []byte("hello world"))
	if err != nil || len(p.InputIDs) != 2 || p.InputIDs[0] != 15339 || p.InputIDs[1] != 1917 {
		t.Fatalf("hello world = %+v, %v; want [15339 1917] (tiktoken cl100k_base)", p, err)
	}
	d := m.Describe()
	if d["name"] != "cl100k_base" || len(d["sha256"].(string)) != 64 {
		t.Errorf("describe = %v", d)
	}
}
