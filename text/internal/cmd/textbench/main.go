// Command textbench encodes one file with a text.Tokenizer several times on a
// single goroutine and prints the median throughput as JSON. It is the Go half
// of scripts/bench_text.py; use `go test -bench` for everything else.
//
//	textbench -enc cl100k_base -n 5 FILE
//	textbench -tokenizer path/to/tokenizer.json -n 3 FILE
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/tokenfab/tokenfab/text"
)

func main() {
	enc := flag.String("enc", "cl100k_base", "encoding name or .tiktoken path")
	n := flag.Int("n", 5, "runs; the median is reported")
	tj := flag.String("tokenizer", "", "a Hugging Face tokenizer.json instead of -enc")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: textbench [-enc NAME] [-n RUNS] FILE")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(1) // single-threaded, like the Python comparison
	in, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg := text.Config{Encoding: *enc}
	if *tj != "" {
		cfg = text.Config{TokenizerJSON: *tj}
		*enc = *tj
	}
	tk, err := text.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ids := tk.Encode(nil, in) // warm-up: loads the vocab, sizes the buffer
	secs := make([]float64, 0, *n)
	for range *n {
		start := time.Now()
		ids = tk.Encode(ids[:0], in)
		secs = append(secs, time.Since(start).Seconds())
	}
	slices.Sort(secs)
	med := secs[len(secs)/2]
	out, _ := json.Marshal(map[string]any{
		"impl": "tokenfab-go", "encoding": *enc, "bytes": len(in), "tokens": len(ids),
		"median_s": med, "mb_per_s": float64(len(in)) / 1e6 / med,
	})
	fmt.Println(string(out))
}
