package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutine and ours.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe: `tokenize serve --addr 127.0.0.1:0` answers, and cancelling
// its context (what SIGINT/SIGTERM do) drains and exits 0.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, nil, io.Discard, &stderr) }()
	re := regexp.MustCompile(`serving on (http://\S+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("no address in %q", stderr.String())
	}
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Post(url+"/v1/count", "text/plain", strings.NewReader("hello world"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"num_tokens":2`) {
		t.Errorf("count: %d %s", resp.StatusCode, b)
	}
	client.CloseIdleConnections()
	cancel()
	if c := <-code; c != exitOK {
		t.Errorf("exit %d, stderr %s", c, stderr.String())
	}
	if !strings.Contains(stderr.String(), "drained") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestServeBadFlags: negative limits and a bad address are usage errors.
func TestServeBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--max-body-bytes", "-1"},
		{"serve", "--addr", "256.0.0.1:99999"},
		{"serve", "extra"},
	} {
		var stderr bytes.Buffer
		if c := run(context.Background(), args, nil, io.Discard, &stderr); c != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, c, exitUsage, stderr.String())
		}
	}
}
