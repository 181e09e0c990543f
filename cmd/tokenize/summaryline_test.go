package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/pipeline"
)

// multiLineSummary is the tester's case: an ffmpeg message of several
// lines (sorted first) followed by another error kind.
func multiLineSummary() *pipeline.Summary {
	return &pipeline.Summary{Completed: true, Records: 2, Rows: 2, Tokens: 0, Output: "out",
		BytesIn: 180072, BytesOut: 2646298, WallSeconds: 0.63, MBPerSecond: 0.29,
		Modalities: map[string]*pipeline.ModalityStats{"video": {Segments: 1, Errors: 1}, "unknown": {Segments: 1, Errors: 1}},
		Errors: pipeline.ErrorStats{Total: 2, ByKind: map[string]*pipeline.KindStats{
			"tokenize":     {Count: 1, Examples: []pipeline.ErrorExample{{Source: "a.mp4", ID: "a.mp4", Message: "video: ffprobe: exit 1\n[mov] moov atom not found\nfile:/tmp/x.mp4: Invalid data found)"}}},
			"unknown_type": {Count: 1, Examples: []pipeline.ErrorExample{{Source: "b.bin", ID: "b.bin", Message: "not text, image, audio or video"}}},
		}}}
}

// TestSummaryOneLinePerRecord: a multi-line error message neither splits
// its own line nor shifts the next kind's message (the text log once
// printed the unknown_type record with the ffmpeg message's tail).
func TestSummaryOneLinePerRecord(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "text")
	p.summary(multiLineSummary(), nil)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (done, 2 kinds):\n%s", len(lines), b.String())
	}
	if !strings.Contains(lines[1], `msg="tokenize: 1 (first: a.mp4: video: ffprobe: exit 1\n[mov] moov atom not found\nfile:/tmp/x.mp4: Invalid data found))" kind=tokenize`) {
		t.Errorf("tokenize line: %s", lines[1])
	}
	if !strings.Contains(lines[2], `msg="unknown_type: 1 (first: b.bin: not text, image, audio or video)" kind=unknown_type`) {
		t.Errorf("unknown_type line: %s", lines[2])
	}
	b.Reset()
	report(&b, multiLineSummary(), nil)
	lines = strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "  unknown_type: 1 (first: b.bin: not text") ||
		!strings.HasSuffix(lines[1], `\nfile:/tmp/x.mp4: Invalid data found))`) {
		t.Errorf("plain report:\n%s", b.String())
	}
}

// TestSummaryBytesAndUnits: the summary names bytes in and out (the rate is
// of bytes in) and splits the token total by modality with its unit.
func TestSummaryBytesAndUnits(t *testing.T) {
	s := multiLineSummary()
	s.Tokens = 6679
	s.Modalities = map[string]*pipeline.ModalityStats{"text": {Tokens: 2999}, "image": {Tokens: 392}, "audio": {Tokens: 3000}, "video": {Tokens: 288}}
	var b bytes.Buffer
	report(&b, s, map[string]string{"text": "ids", "image": "patches", "audio": "mel frames", "video": "LLM tokens"})
	want := "tokenize: done: 2 records, 2 rows, 6679 tokens (text 2999 ids, image 392 patches, audio 3000 mel frames, video 288 LLM tokens), 2 errors; 0 files, 0.18 MB in -> 2.65 MB out in 0.63 s (0.3 MB/s in, 0 tokens/s) -> out\n"
	if first, _, _ := strings.Cut(b.String(), "\n"); first+"\n" != want {
		t.Errorf("got  %q\nwant %q", first+"\n", want)
	}
	s.Warnings = 3 // rows with a warning are named next to the errors
	b.Reset()
	report(&b, s, nil)
	if !strings.Contains(b.String(), ", 2 errors, 3 warnings (column warning); 0 files,") {
		t.Errorf("warnings not in the summary line: %q", b.String())
	}
	for desc, want := range map[string]string{"frames": "mel frames", "patches": "patches", "patches / merge_size^2 (LLM tokens)": "LLM tokens",
		"image pixels (len(input_ids))": "pixels", "": "tokens"} {
		if got := unitOf("image", desc); got != want {
			t.Errorf("unitOf(%q) = %q, want %q", desc, got, want)
		}
	}
}
