package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// scenario is one kind of request, sent over and over.
type scenario struct {
	name, path, contentType string
	body                    []byte
}

// scenarios builds the named scenarios from the repository's fixtures
// under root.
func scenarios(root string) (map[string]scenario, error) {
	txt, err := os.ReadFile(filepath.Join(root, "fixtures", "text", "en_jargon_glyphs.txt"))
	if err != nil {
		return nil, fmt.Errorf("reading the text fixture (run from the repository root or pass -root): %w", err)
	}
	n := min(1024, len(txt))
	for n > 0 && !utf8.Valid(txt[:n]) {
		n--
	}
	jpg, err := os.ReadFile(filepath.Join(root, "fixtures", "sample", "images", "elephant-660-480.jpg"))
	if err != nil {
		return nil, fmt.Errorf("reading the image fixture: %w", err)
	}
	return map[string]scenario{
		// 1 KiB of English text (fixtures/text/en_jargon_glyphs.txt), counted with the default o200k_base.
		"count-text": {name: "count-text", path: "/v1/count", contentType: "text/plain; charset=utf-8", body: txt[:n]},
		// The same text, ids as JSON.
		"tokenize-text": {name: "tokenize-text", path: "/v1/tokenize", contentType: "text/plain; charset=utf-8", body: txt[:n]},
		// A 660×480 JPEG with the default preset (vit-base-patch16-224, 196 patches), JSON answer.
		"tokenize-image": {name: "tokenize-image", path: "/v1/tokenize?modality=image", contentType: "image/jpeg", body: jpg},
	}, nil
}

// loadConfig is one load run.
type loadConfig struct {
	url         string // base URL, http://127.0.0.1:PORT
	sc          scenario
	concurrency int           // workers, each with one request outstanding
	duration    time.Duration // how long to send
	maxRequests int           // stop after this many requests (0: no cap)
	wait429     time.Duration // pause of a worker after a 429 before its next request
}

// result counts what came back.
type result struct {
	Scenario        string
	Concurrency     int
	Elapsed         time.Duration
	Requests        int
	Codes           map[int]int
	TransportErrors int
	FirstError      string
	Warmup          string // what went wrong with the warm-up request, if anything
	// Latency of the 200 answers.
	P50, P99, Max time.Duration
	// OKPerSec is 200 answers per second.
	OKPerSec float64
	// MaxRSS is the largest process_resident_memory_bytes the server's
	// /metrics reported during the run (0 if not scraped).
	MaxRSS, StartRSS float64
}

// run sends cfg.sc from cfg.concurrency workers until the duration or the
// request cap is reached, and scrapes the server's RSS every 100 ms.
func run(ctx context.Context, client *http.Client, cfg loadConfig) result {
	res := result{Scenario: cfg.sc.name, Concurrency: cfg.concurrency, Codes: map[int]int{}}
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	// One request before the clock starts builds the server's tokenizer
	// (they are built lazily), so the run measures the steady state.
	// A 429 (the server still busy with an earlier run) is retried.
	for {
		code, err := send(wctx, client, cfg.url, cfg.sc)
		if err == nil && code == http.StatusTooManyRequests && wctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil || code != http.StatusOK {
			res.Warmup = fmt.Sprintf("warm-up request: status %d, error %v", code, err)
		}
		break
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	res.StartRSS = scrapeRSS(client, cfg.url)
	res.MaxRSS = res.StartRSS
	var (
		mu   sync.Mutex
		lats []time.Duration
		sent int
		wg   sync.WaitGroup
	)
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if cfg.maxRequests > 0 && sent >= cfg.maxRequests {
			return false
		}
		sent++
		return true
	}
	start := time.Now()
	for range cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && take() {
				t0 := time.Now()
				code, err := send(ctx, client, cfg.url, cfg.sc)
				lat := time.Since(t0)
				if err != nil && ctx.Err() != nil {
					return // cut by the end of the run: not counted
				}
				mu.Lock()
				res.Requests++
				if err != nil {
					res.TransportErrors++
					if res.FirstError == "" {
						res.FirstError = err.Error()
					}
				} else {
					res.Codes[code]++
					if code == http.StatusOK {
						lats = append(lats, lat)
					}
				}
				mu.Unlock()
				if code == http.StatusTooManyRequests && cfg.wait429 > 0 {
					select {
					case <-time.After(cfg.wait429):
					case <-ctx.Done():
					}
				}
			}
		}()
	}
	done := make(chan struct{})
	var rssWG sync.WaitGroup
	rssWG.Add(1)
	go func() {
		defer rssWG.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if v := scrapeRSS(client, cfg.url); v > 0 {
					mu.Lock()
					res.MaxRSS = max(res.MaxRSS, v)
					mu.Unlock()
				}
			}
		}
	}()
	wg.Wait()
	res.Elapsed = time.Since(start)
	close(done)
	rssWG.Wait()
	if v := scrapeRSS(client, cfg.url); v > res.MaxRSS {
		res.MaxRSS = v
	}
	slices.Sort(lats)
	if len(lats) > 0 {
		res.P50 = lats[len(lats)*50/100]
		res.P99 = lats[min(len(lats)-1, len(lats)*99/100)]
		res.Max = lats[len(lats)-1]
	}
	res.OKPerSec = float64(len(lats)) / res.Elapsed.Seconds()
	return res
}

// send does one request and reads the whole answer.
func send(ctx context.Context, client *http.Client, base string, sc scenario) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+sc.path, bytes.NewReader(sc.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", sc.contentType)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// scrapeRSS reads process_resident_memory_bytes from base/metrics (0 on
// any failure).
func scrapeRSS(client *http.Client, base string) float64 {
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// String is one report line set.
func (r result) String() string {
	var codes []string
	for _, c := range slices.Sorted(mapsKeys(r.Codes)) {
		codes = append(codes, fmt.Sprintf("%d:%d", c, r.Codes[c]))
	}
	s := fmt.Sprintf("%s c=%d: %d requests in %.1fs, codes {%s}, transport errors %d; 200s: %.0f req/s, p50 %s, p99 %s, max %s; server RSS %.0f MiB at start, max %.0f MiB",
		r.Scenario, r.Concurrency, r.Requests, r.Elapsed.Seconds(), strings.Join(codes, " "), r.TransportErrors,
		r.OKPerSec, ms(r.P50), ms(r.P99), ms(r.Max), r.StartRSS/(1<<20), r.MaxRSS/(1<<20))
	if r.Warmup != "" {
		s += "; " + r.Warmup
	}
	if r.FirstError != "" {
		s += "; first transport error: " + r.FirstError
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func mapsKeys(m map[int]int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
