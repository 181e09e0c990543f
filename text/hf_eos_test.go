package text

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestHFAddEOS: a tokenizer.json with AddEOS appends the named added token
// after the post-processor's ids (Qwen3's adds none), and says so in
// Options; an unknown token or a missing name is an error.
func TestHFAddEOS(t *testing.T) {
	path := filepath.Join(testenv.Root(), "fixtures", "hf", "qwen3.tokenizer.json.gz")
	plain, err := LoadHF(path)
	if err != nil {
		t.Fatal(err)
	}
	withEOS, err := New(Config{TokenizerJSON: path, AddEOS: true, EOS: "<|endoftext|>"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := plain.Tokenize(context.Background(), []byte("Hello world"))
	b, _ := withEOS.Tokenize(context.Background(), []byte("Hello world"))
	if len(a) == 0 || !slices.Equal(append(a, 151643), b) {
		t.Fatalf("plain %v, with EOS %v: want plain + 151643", a, b)
	}
	if o := withEOS.Options(); o["add_eos"] != true || o["eos"] != "<|endoftext|>" {
		t.Errorf("Options %v", o)
	}
	if _, ok := plain.Options()["add_eos"]; ok {
		t.Error("a plain tokenizer.json's Options changed (config hashes of existing outputs would too)")
	}
	var se *SpecialTokenError
	if _, err := New(Config{TokenizerJSON: path, AddEOS: true, EOS: "</s>"}); !errors.As(err, &se) || se.Role != "EOS" {
		t.Errorf("unknown EOS: %v", err)
	}
	if _, err := New(Config{TokenizerJSON: path, AddBOS: true, BOS: "<|im_start|>"}); err == nil {
		t.Error("AddBOS with a tokenizer.json accepted")
	}
}
