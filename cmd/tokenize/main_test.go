package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/pipeline"
)

// tokenize runs the CLI in-process and returns exit code, stdout, stderr.
func tokenize(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

var sample = filepath.Join(testenv.Root(), "fixtures", "sample")

// openArrow opens an Arrow IPC file; it is closed when the test ends.
func openArrow(t *testing.T, path string) *ipc.FileReader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.NewGoAllocator()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestTextCommands(t *testing.T) {
	cases := []struct {
		stdin string
		args  []string
		want  string
	}{
		// Expected ids from tiktoken 0.14.0 (encode_ordinary / encode with allowed_special="all").
		{"", []string{"text", "encode", "hello world"}, "[24912,2375]\n"},
		{"", []string{"text", "encode", "hello", "world"}, "[24912,2375]\n"},
		{"", []string{"text", "encode", "--encoding", "cl100k_base", "hello world"}, "[15339,1917]\n"},
		{"", []string{"text", "encode", "<|endoftext|>"}, "[27,91,419,1440,919,91,29]\n"},
		{"", []string{"text", "encode", "--allow-special", "all", "<|endoftext|>"}, "[199999]\n"},
		{"hello world", []string{"text", "encode"}, "[24912,2375]\n"},
		{"", []string{"text", "encode", ""}, "[]\n"},
		{"", []string{"text", "count", "hello world"}, "2\n"},
		{"", []string{"text", "decode", "[24912,2375]"}, "hello world"},
		{"[15339,1917]", []string{"text", "decode", "--encoding", "cl100k_base"}, "hello world"},
		// ARGS are joined by spaces, as for encode and count (docs/pipeline.md).
		{"", []string{"text", "decode", "--encoding", "cl100k_base", "15339", "1917"}, "hello world"},
		{"", []string{"text", "decode", "--encoding", "cl100k_base", "15339,1917"}, "hello world"},
		{"15339 1917\n", []string{"text", "decode", "--encoding", "cl100k_base"}, "hello world"},
	}
	for _, c := range cases {
		code, out, errs := tokenize(t, c.stdin, c.args...)
		if code != 0 || out != c.want {
			t.Errorf("tokenize %q (stdin %q) = %d %q %s; want %q", c.args, c.stdin, code, out, errs, c.want)
		}
	}
	// decode(encode(x)) == x for bytes that are not UTF-8.
	in := "caf\xe9 \xff\xfe ok\n"
	_, ids, _ := tokenize(t, in, "text", "encode")
	if code, out, _ := tokenize(t, ids, "text", "decode"); code != 0 || out != in {
		t.Errorf("round trip = %d %q, want %q", code, out, in)
	}
	for _, bad := range [][]string{
		{"text", "decode", "[1, 2"},
		{"text", "decode", "15339", "x"},
		{"text", "decode", "[999999999]"},
		{"text", "encode", "--encoding", "nope_base", "x"},
		{"text", "frobnicate"},
	} {
		if code, _, errs := tokenize(t, "", bad...); code != exitUsage || errs == "" {
			t.Errorf("tokenize %q = %d %q, want exit 1 with a message", bad, code, errs)
		}
	}
}

func TestRunExitCodesAndOverwrite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, errs := tokenize(t, "", "run", sample, "-o", out)
	if code != exitOK || !strings.Contains(errs, "done: 39 records, 39 rows") || !strings.Contains(errs, "bad_json: 1") {
		t.Fatalf("run = %d, stderr %q", code, errs)
	}
	rep, err := pipeline.Inspect(filepath.Join(out, "part-00000.arrow"))
	if err != nil || rep.Rows != 39 || rep.Errors != 1 || rep.ErrorsByKind["bad_json"] != 1 || rep.Tokens.Rows != 38 {
		t.Fatalf("inspect = %+v, %v", rep, err)
	}
	code, _, errs = tokenize(t, "", "run", sample, "-o", out)
	if code != exitUsage || !strings.Contains(errs, "--overwrite") {
		t.Errorf("second run = %d %q, want exit 1 asking for --overwrite", code, errs)
	}
	if code, _, errs = tokenize(t, "", "run", sample, "-o", out, "--overwrite", "-q"); code != exitOK || errs != "" {
		t.Errorf("--overwrite -q = %d %q", code, errs)
	}

	for _, args := range [][]string{
		{"run", sample},
		{"run", "-o", out},
		{"run", filepath.Join(sample, "missing.jsonl"), "-o", t.TempDir()},
		{"run", sample, "-o", t.TempDir(), "--format", "orc"},
		{"run", sample, "-o", t.TempDir(), "--compression", "gzip"},
		{"run", sample, "-o", t.TempDir(), "--batch-size", "8"},
		{"run", sample, "-o", t.TempDir(), "--max-file-size", "lots"},
		{"run", sample, "-o", t.TempDir(), "--bos"},
		{"run", sample, "-o", t.TempDir(), "--no-such-flag"},
	} {
		if code, _, errs := tokenize(t, "", args...); code != exitUsage || errs == "" {
			t.Errorf("tokenize %q = %d %q, want exit 1", args, code, errs)
		}
	}
}

func TestRunMaxErrorsExitsTwo(t *testing.T) {
	out := t.TempDir()
	code, _, errs := tokenize(t, "", "run", sample, "-o", out, "--max-errors", "0", "--workers", "1")
	if code != exitStopped || !strings.Contains(errs, "stopped") {
		t.Fatalf("run = %d %q, want exit 2", code, errs)
	}
	var sum pipeline.Summary
	b, err := os.ReadFile(filepath.Join(out, pipeline.SummaryName))
	if err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary: %v", err)
	}
	if sum.Completed || !strings.Contains(sum.Stopped, "more than 0 error rows") {
		t.Errorf("summary stopped = %q", sum.Stopped)
	}
	// Row order: audio/librivox_0930.wav, devils_dictionary_a.txt, the two
	// images/, then records.jsonl lines 1…; the bad line 13 is row 17, the
	// last one written.
	rep, err := pipeline.Inspect(filepath.Join(out, "part-00000.arrow"))
	if err != nil || rep.Rows != 17 || rep.Errors != 1 {
		t.Fatalf("inspect = %+v, %v", rep, err)
	}
}

func TestRunEOSAndStreamFormat(t *testing.T) {
	out := t.TempDir()
	if code, _, errs := tokenize(t, "", "run", filepath.Join(sample, "devils_dictionary_a.txt"), "-o", out, "--eos", "--format", "arrow-stream", "--compression", "zstd", "-q"); code != 0 {
		t.Fatalf("run: %s", errs)
	}
	rep, err := pipeline.Inspect(filepath.Join(out, "part-00000.arrows"))
	if err != nil || rep.Format != pipeline.FormatArrowStream || rep.Rows != 1 {
		t.Fatalf("inspect = %+v, %v", rep, err)
	}
	text, _ := os.ReadFile(filepath.Join(sample, "devils_dictionary_a.txt"))
	_, n, _ := tokenize(t, string(text), "text", "count")
	if want := strings.TrimSpace(n); want == "" || rep.Tokens.Total != mustAtoi(t, want)+1 {
		t.Errorf("tokens = %d, want count(text)+1 (EOS) = %s+1", rep.Tokens.Total, want)
	}
	if !strings.Contains(rep.Metadata["tokenfab"], `"add_eos":true`) || !strings.Contains(rep.Metadata["tokenfab"], `"compression":"zstd"`) {
		t.Errorf("metadata = %s", rep.Metadata["tokenfab"])
	}
	code, stdout, _ := tokenize(t, "", "inspect", filepath.Join(out, "part-00000.arrows"))
	if code != 0 || !strings.Contains(stdout, "Arrow IPC stream") || !strings.Contains(stdout, "p99") {
		t.Errorf("inspect output = %q", stdout)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "512MiB": 512 << 20, "100MB": 100e6, "2000000": 2e6, "1.5GiB": 3 << 29} {
		if got, err := parseSize("--x", in, 1); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "1XB", "-5MiB"} {
		if _, err := parseSize("--x", bad, 1); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

func TestExitCodes(t *testing.T) {
	cases := map[error]int{
		fmt.Errorf("%w: more than 3 error rows", pipeline.ErrStopped): exitStopped,
		fmt.Errorf("interrupted: %w", context.Canceled):               exitInterrupted,
		&pipeline.ConfigError{Msg: "output exists"}:                   exitUsage,
		usagef("bad flag"): exitUsage,
		fmt.Errorf("finishing part-00000.arrow: %w", os.ErrPermission): exitFailed,
	}
	for err, want := range cases {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestRunImageFlags(t *testing.T) {
	images := filepath.Join(sample, "images")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--patch-dtype", "int8"}, "use uint8, float32, float16 or bfloat16"}, // half types: imageflags_test.go
		{[]string{"--image-preset", "nope"}, "unknown preset"},
		{[]string{"--max-pixels", "1003520"}, "has no pixel budget"},
		{[]string{"--image-preset", "qwen2-vl", "--max-pixels", "100"}, "MinPixels <= MaxPixels"},
		{[]string{"--image-background", "pink"}, "want none, white, black or R,G,B"},
		{[]string{"--image-background", "1,2"}, "want none, white, black or R,G,B"},
		{[]string{"--image-background", "1,2,300"}, "want none, white, black or R,G,B"},
	} {
		args := append([]string{"run", images, "-o", t.TempDir()}, c.args...)
		if code, _, errs := tokenize(t, "", args...); code != exitUsage || !strings.Contains(errs, c.msg) {
			t.Errorf("tokenize %q = %d %q, want exit 1 saying %q", args, code, errs, c.msg)
		}
	}

	out := t.TempDir()
	code, _, errs := tokenize(t, "", "run", images, "-o", out, "-q", "--image-preset", "qwen2-vl", "--patch-dtype", "float32",
		"--max-pixels", "50000", "--image-background", "10,20,30", "--no-exif")
	if code != 0 {
		t.Fatalf("run: %d %s", code, errs)
	}
	rep, err := pipeline.Inspect(filepath.Join(out, "part-00000.arrow"))
	if err != nil || rep.Rows != 2 || rep.Errors != 0 {
		t.Fatalf("inspect = %+v, %v", rep, err)
	}
	if c := columnNamed(rep, "patches"); c.Name != "patches" || c.Type != "list<item: fixed_size_list<item: float32, nullable>[1176], nullable>" {
		t.Errorf("patches column %+v", c)
	}
	for _, want := range []string{`"preset":"qwen2-vl"`, `"patch_dtype":"float32"`, `"max_pixels":50000`, `"background":[10,20,30]`, `"apply_exif":false`, `"patch_dim":1176`} {
		if !strings.Contains(rep.Metadata["tokenfab"], want) {
			t.Errorf("tokenfab metadata lacks %s: %s", want, rep.Metadata["tokenfab"])
		}
	}
	// The CLI's tokenizer is the image package's with the same settings.
	tok, err := image.New(image.Config{Preset: "qwen2-vl", PatchDType: "float32", MaxPixels: 50000, Background: &[3]uint8{10, 20, 30}, DisableEXIF: true})
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, name := range []string{"elephant-660-480.jpg", "hopper.gif"} {
		data, err := os.ReadFile(filepath.Join(images, name))
		if err != nil {
			t.Fatal(err)
		}
		tk, err := tok.Tokenize(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		want += int64(tk.NumTokens)
	}
	if rep.Tokens.Total != want || want == 0 {
		t.Errorf("tokens = %d, want %d", rep.Tokens.Total, want)
	}

	// --image-field: text and image of one line are two rows with one id.
	dir := t.TempDir()
	gif, err := os.ReadFile(filepath.Join(images, "hopper.gif"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hopper.gif"), gif, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pairs.jsonl"), []byte(`{"id":"p1","text":"Grace Hopper","img":"hopper.gif"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = t.TempDir()
	if code, _, errs := tokenize(t, "", "run", filepath.Join(dir, "pairs.jsonl"), "-o", out, "-q", "--image-field", "img"); code != 0 {
		t.Fatalf("run --image-field: %d %s", code, errs)
	}
	rep, err = pipeline.Inspect(filepath.Join(out, "part-00000.arrow"))
	if err != nil || rep.Rows != 2 || rep.Errors != 0 || rep.Tokens.Max != 196 || !strings.Contains(rep.Metadata["tokenfab"], `"image_field":"img"`) {
		t.Fatalf("inspect = %+v, %v", rep, err)
	}
}

func TestRunAudioFlags(t *testing.T) {
	clips := filepath.Join(sample, "audio")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--audio-preset", "wav2vec"}, `--audio-preset "wav2vec": want whisper-80, whisper-128, ast, log-mel`},
		{[]string{"--sample-rate", "8000"}, "--sample-rate configures the log-mel preset only; whisper-80 fixes 16000 Hz"},
		{[]string{"--audio-preset", "ast", "--n-mels", "64"}, "--n-mels configures the log-mel preset only; ast fixes"},
		// Given is what counts: 0 is refused as -1 is (it was silently ignored).
		{[]string{"--n-mels", "0"}, "--n-mels configures the log-mel preset only; whisper-80 fixes"},
		{[]string{"--sample-rate", "-1"}, "--sample-rate configures the log-mel preset only; whisper-80 fixes"},
		{[]string{"--audio-preset", "log-mel", "--n-mels", "-3"}, "--n-mels -3: want a positive number"},
		{[]string{"--audio-preset", "log-mel", "--n-mels", "0"}, "--n-mels 0: want a positive number"},
		{[]string{"--audio-preset", "log-mel", "--sample-rate", "-1"}, "--sample-rate -1: want a positive number"},
		{[]string{"--audio-preset", "log-mel", "--sample-rate", "100"}, "LogMel.SampleRate"},
		{[]string{"--max-duration", "0s"}, "want a positive duration"},
		{[]string{"--max-duration", "ten"}, "invalid argument"},
		{[]string{"--long-audio", "drop"}, "LongAudio"},
		{[]string{"--audio-decoder", "sox"}, `--audio-decoder "sox": want builtin or ffmpeg`},
	} {
		args := append([]string{"run", clips, "-o", t.TempDir()}, c.args...)
		if code, _, errs := tokenize(t, "", args...); code != exitUsage || !strings.Contains(errs, c.msg) {
			t.Errorf("tokenize %q = %d %q, want exit 1 saying %q", args, code, errs, c.msg)
		}
	}

	// log-mel overrides reach the tokenizer: 64 mels at 16 kHz, librosa's
	// n_fft 2048 / hop 512, so 1 + 52640/512 = 103 centred frames.
	out := t.TempDir()
	if code, _, errs := tokenize(t, "", "run", clips, "-o", out, "-q", "--audio-preset", "log-mel", "--sample-rate", "16000", "--n-mels", "64"); code != 0 {
		t.Fatalf("run: %d %s", code, errs)
	}
	rep, err := pipeline.Inspect(filepath.Join(out, "part-00000.arrow"))
	if err != nil || rep.Rows != 1 || rep.Errors != 0 || rep.Tokens.Total != 103 {
		t.Fatalf("inspect = %+v, %v", rep, err)
	}
	if c := columnNamed(rep, "mel"); c.Name != "mel" || c.Type != "list<item: fixed_size_list<item: float32, nullable>[64], nullable>" {
		t.Errorf("mel column %+v", c)
	}
	for _, want := range []string{`"preset":"log-mel"`, `"n_mels":64`, `"sample_rate":16000`, `"n_fft":2048`, `"hop_length":512`, `"max_duration_seconds":3600`, `"decoder":"builtin"`} {
		if !strings.Contains(rep.Metadata["tokenfab"], want) {
			t.Errorf("tokenfab metadata lacks %s: %s", want, rep.Metadata["tokenfab"])
		}
	}

	// --max-duration: the 3.29-s clip over a 2-s limit is a too_large row.
	out = t.TempDir()
	if code, _, errs := tokenize(t, "", "run", clips, "-o", out, "-q", "--max-duration", "2s"); code != 0 {
		t.Fatalf("run: %d %s", code, errs)
	}
	if rep, err = pipeline.Inspect(filepath.Join(out, "part-00000.arrow")); err != nil || rep.Rows != 1 || rep.ErrorsByKind["too_large"] != 1 {
		t.Fatalf("--max-duration 2s: inspect = %+v, %v", rep, err)
	}

	// --audio-field: a line's audio path, relative to the manifest.
	dir := t.TempDir()
	wav, err := os.ReadFile(filepath.Join(clips, "librivox_0930.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "clip.wav"), wav, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pairs.jsonl"), []byte(`{"id":"p1","text":"he might even have been made amiable himself","wav":"clip.wav"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = t.TempDir()
	if code, _, errs := tokenize(t, "", "run", filepath.Join(dir, "pairs.jsonl"), "-o", out, "-q", "--audio-field", "wav", "--audio-preset", "whisper-128"); code != 0 {
		t.Fatalf("run --audio-field: %d %s", code, errs)
	}
	rep, err = pipeline.Inspect(filepath.Join(out, "part-00000.arrow"))
	if err != nil || rep.Rows != 2 || rep.Errors != 0 || rep.Tokens.Max != 3000 || !strings.Contains(rep.Metadata["tokenfab"], `"audio_field":"wav"`) ||
		columnNamed(rep, "mel").Type != "list<item: fixed_size_list<item: float32, nullable>[128], nullable>" {
		t.Fatalf("inspect = %+v, %v", rep, err)
	}

	// --audio-decoder ffmpeg reaches the tokenizer and the metadata (so the
	// config hash too). Last: it needs ffmpeg.
	testenv.Tool(t, "ffmpeg")
	out = t.TempDir()
	if code, _, errs := tokenize(t, "", "run", clips, "-o", out, "-q", "--audio-decoder", "ffmpeg"); code != 0 {
		t.Fatalf("run --audio-decoder ffmpeg: %d %s", code, errs)
	}
	if rep, err = pipeline.Inspect(filepath.Join(out, "part-00000.arrow")); err != nil || rep.Rows != 1 || rep.Errors != 0 || rep.Tokens.Total != 3000 ||
		!strings.Contains(rep.Metadata["tokenfab"], `"decoder":"ffmpeg"`) || !strings.Contains(rep.Metadata["tokenfab"], `"decoder_params":"ffmpeg`) {
		t.Fatalf("--audio-decoder ffmpeg: inspect = %+v, %v", rep, err)
	}
}
