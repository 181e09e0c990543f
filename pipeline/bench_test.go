package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/text"
)

// BenchmarkRunRecords runs the o200k_base job on the shared 763-record
// manifest; b.SetBytes makes `go test -bench` report input MB/s.
func BenchmarkRunRecords(b *testing.B) {
	in := testenv.Shared(b, "corpus/text/records.jsonl")
	if p := os.Getenv("TOKENFAB_BENCH_INPUT"); p != "" {
		in = p
	}
	st, err := os.Stat(in)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := text.New(text.Config{Encoding: "o200k_base"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for i := 0; b.Loop(); i++ {
		out := filepath.Join(b.TempDir(), "out")
		if _, err := Run(context.Background(), Options{Inputs: []string{in}, OutputDir: out,
			Modalities: []Modality{NewText(tok)}}); err != nil {
			b.Fatal(err)
		}
	}
}
