package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestQuietShardDoneAndRefusedShardTrace: -q silences the "already done"
// line of a finished shard; a sharded run refused because -o holds an
// unsharded job leaves no _done/ behind; an input given twice is read once
// and the summary says so.
func TestQuietShardDoneAndRefusedShardTrace(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.txt")
	os.WriteFile(in, []byte("hello world"), 0o644)

	sharded := filepath.Join(dir, "sharded")
	mustTokenize(t, "run", in, "-o", sharded, "--num-shards", "1", "-q")
	code, stdout, stderr := tokenize(t, "", "run", in, "-o", sharded, "--num-shards", "1", "-q")
	if code != 0 || stdout != "" || stderr != "" {
		t.Errorf("-q rerun of a done shard: exit %d, stdout %q, stderr %q; want 0 and nothing", code, stdout, stderr)
	}
	if code, _, stderr = tokenize(t, "", "run", in, "-o", sharded, "--num-shards", "1"); code != 0 || !strings.Contains(stderr, "shard 0 of 1 is already done") {
		t.Errorf("rerun without -q: exit %d %q", code, stderr)
	}

	plain := filepath.Join(dir, "plain")
	mustTokenize(t, "run", in, "-o", plain, "-q")
	code, _, stderr = tokenize(t, "", "run", in, "-o", plain, "--num-shards", "2", "--shard-index", "0")
	if code != 1 || !strings.Contains(stderr, "holds the unsharded output") {
		t.Fatalf("sharded run into an unsharded -o: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(plain, "_done")); !os.IsNotExist(err) {
		t.Errorf("the refused run created %s/_done (stat: %v)", plain, err)
	}

	dup := filepath.Join(dir, "dup")
	code, _, stderr = tokenize(t, "", "run", in, filepath.Join(dir, ".", "a.txt"), "-o", dup)
	if code != 0 || !strings.Contains(stderr, "done: 1 record, 1 row,") ||
		!strings.Contains(stderr, `msg="1 input given more than once read once (skipped.duplicate_input 1)"`) {
		t.Errorf("duplicate input: exit %d %s", code, stderr)
	}
}

// TestGIFAsVideoHelpMatchesDocs: the flag help and docs/pipeline.md both
// say what the video package does with GIFs (video.Config.GIF "auto":
// ffmpeg when available, else the Go compositor); the help once said
// "decoded in Go without ffmpeg" only.
func TestGIFAsVideoHelpMatchesDocs(t *testing.T) {
	usage := newRunCmd().Flags().Lookup("gif-as-video").Usage
	doc, err := os.ReadFile(filepath.Join(testenv.Root(), "docs", "pipeline.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(usage, "GIFs go through ffmpeg when it is on PATH, else the Go compositor") ||
		!strings.Contains(string(doc), "decodes GIFs with ffmpeg when present, else its Go compositor") {
		t.Errorf("--gif-as-video help %q and docs/pipeline.md disagree with video.Config.GIF auto", usage)
	}
}
