// Command loadgen sends a bounded HTTP load to a running `tokenize serve`
// on loopback and reports status codes, transport errors, p50/p99
// latency and throughput of the 200 answers, and the server's peak RSS
// (scraped from its /metrics). Scenarios: count-text (1 KB of text to
// /v1/count), tokenize-text, tokenize-image (a 660×480 JPEG to
// /v1/tokenize). See docs/benchmarks.md.
//
//	go run ./cmd/tokenize serve --addr 127.0.0.1:8080 --max-concurrent 4 &
//	go run ./cmd/loadgen -url http://127.0.0.1:8080 -scenario count-text -c 4 -d 10s
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	var (
		base     = flag.String("url", "http://127.0.0.1:8080", "server base URL (loopback only)")
		names    = flag.String("scenario", "count-text", "comma-separated scenarios: count-text, tokenize-text, tokenize-image")
		conc     = flag.Int("c", 4, "concurrent workers (each keeps one request outstanding)")
		dur      = flag.Duration("d", 10*time.Second, "duration of each scenario (at most 5m)")
		maxReq   = flag.Int("n", 0, "stop a scenario after this many requests (0: no cap)")
		wait429  = flag.Duration("wait429", 10*time.Millisecond, "pause of a worker after a 429")
		root     = flag.String("root", ".", "repository root (for the fixtures)")
		failOn5x = flag.Bool("strict", true, "exit 1 if any 5xx or transport error occurred")
	)
	flag.Parse()
	u, err := url.Parse(*base)
	if err != nil || u.Hostname() == "" {
		fail("bad -url %q", *base)
	}
	if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		fail("-url %s: loadgen only targets loopback addresses", *base)
	}
	if *conc < 1 || *conc > 1024 || *dur <= 0 || *dur > 5*time.Minute {
		fail("-c must be 1..1024 and -d in (0, 5m]")
	}
	scs, err := scenarios(*root)
	if err != nil {
		fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc + 1}, Timeout: time.Minute}
	bad := false
	for _, name := range strings.Split(*names, ",") {
		sc, ok := scs[name]
		if !ok {
			fail("unknown scenario %q", name)
		}
		r := run(ctx, client, loadConfig{url: strings.TrimSuffix(*base, "/"), sc: sc, concurrency: *conc,
			duration: *dur, maxRequests: *maxReq, wait429: *wait429})
		fmt.Println(r)
		for c, n := range r.Codes {
			if c >= 500 && n > 0 {
				bad = true
			}
		}
		bad = bad || r.TransportErrors > 0
	}
	if bad && *failOn5x {
		fmt.Fprintln(os.Stderr, "loadgen: 5xx answers or transport errors")
		os.Exit(1)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	os.Exit(2)
}
