package text

import "testing"

// BenchmarkEncodeHF: MB/s of Encode on the 6.4 MB file in one call for
// tokenizer.json models (llama3 is read from ../shared; skipped without it).
func BenchmarkEncodeHF(b *testing.B) {
	in := benchInput(b)
	for _, name := range []string{"llama3", "qwen3", "gpt2", "mistral", "deepseek_v3"} {
		b.Run(name, func(b *testing.B) {
			tk := hfTokenizer(b, name)
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
