package text

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// benchInput is the throughput text (6.4 MB: KJV + Jargon File +
// Devil's Dictionary); benchmarks skip without it.
func benchInput(b *testing.B) []byte {
	p := filepath.Join(testenv.Root(), "..", "shared", "corpus", "text", "en_large_pd_shard_kjv_jargon_devil.txt")
	if d := os.Getenv("TOKENFAB_BENCH_FILE"); d != "" {
		p = d
	}
	in, err := os.ReadFile(p)
	if err != nil {
		b.Skipf("benchmark input missing: %v", err)
	}
	return in
}

// BenchmarkEncode: MB/s of Encode on the whole file in one call, reusing dst.
func BenchmarkEncode(b *testing.B) {
	in := benchInput(b)
	for _, enc := range []string{"cl100k_base", "o200k_base", "r50k_base", "p50k_base"} {
		b.Run(enc, func(b *testing.B) {
			tk := tok(b, enc, false)
			dst := tk.Encode(nil, in)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				dst = tk.Encode(dst[:0], in)
			}
			b.ReportMetric(float64(len(in))/float64(len(dst)), "bytes/token")
		})
	}
}

// BenchmarkCount: MB/s of Count (no id slice).
func BenchmarkCount(b *testing.B) {
	in := benchInput(b)
	tk := tok(b, "cl100k_base", false)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		tk.Count(in)
	}
}

// BenchmarkEncodeDocs: the pipeline's shape, ~8 KB documents through
// Tokenize (a new slice per document).
func BenchmarkTokenizeDocs(b *testing.B) {
	in := benchInput(b)[:4<<20]
	tk := tok(b, "cl100k_base", false)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		for s := in; len(s) > 0; {
			n := min(8192, len(s))
			if _, err := tk.Tokenize(b.Context(), s[:n]); err != nil {
				b.Fatal(err)
			}
			s = s[n:]
		}
	}
}

// BenchmarkLoad: parsing and checking one embedded rank file (done once per
// process per file).
func BenchmarkLoad(b *testing.B) {
	data, err := encodingFiles.ReadFile("encodings/cl100k_base.tiktoken")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseTiktoken("cl100k_base", data); err != nil {
			b.Fatal(err)
		}
	}
}
