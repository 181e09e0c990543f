package pretok

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// BenchmarkSplit measures each scanner over whole texts (MB/s is input
// bytes): the 6.4 MB English shard, and a multilingual mix of the UDHR
// texts, Russian and Chinese fortunes, code and emoji from the corpus.
func BenchmarkSplit(b *testing.B) {
	dir := testenv.Shared(b, "corpus/text")
	read := func(files ...string) []byte {
		var out []byte
		for _, f := range files {
			d, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, d...)
		}
		return out
	}
	inputs := []struct {
		name string
		text []byte
	}{
		{"en", read("en_large_pd_shard_kjv_jargon_devil.txt")},
		{"multi", read("udhr_ar.txt", "udhr_he.txt", "udhr_hi.txt", "udhr_ja.txt", "udhr_ko.txt", "udhr_ru.txt",
			"udhr_th.txt", "udhr_zh_hans.txt", "ru_fortunes_murphy.txt", "zh_hans_fortunes_excerpt.txt",
			"code_go_strings.go", "emoji_gitmoji_commit_subjects.txt")},
	}
	for _, in := range inputs {
		for _, name := range names {
			f := mustLookup(b, name)
			b.Run(in.name+"/"+name, func(b *testing.B) {
				b.SetBytes(int64(len(in.text)))
				pieces := 0
				for b.Loop() {
					for s := in.text; len(s) > 0; pieces++ {
						s = s[f(s):]
					}
				}
				b.ReportMetric(float64(len(in.text))*float64(b.N)/float64(pieces), "B/piece")
			})
		}
	}
}

// BenchmarkTables measures building the class table, which the first Lookup
// does once.
func BenchmarkTables(b *testing.B) {
	var idx [len(index)]uint16
	rows := 0
	for b.Loop() {
		rows = len(buildTables(&idx)) / 256
	}
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(float64(len(idx)*2+rows*256), "table-bytes")
}
