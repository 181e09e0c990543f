package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// makeCorpus writes a tree of text files and a manifest with some bad lines,
// and returns the ids in the order the rows must come out.
func makeCorpus(t *testing.T, dir string, nFiles, nLines int) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	files := map[string]string{}
	var lines []string
	for i := 0; i < nLines; i++ {
		switch {
		case i%97 == 13:
			lines = append(lines, `{"id":"bad`) // bad JSON
		case i%89 == 5:
			lines = append(lines, fmt.Sprintf(`{"id":"m%04d","text":"FAIL here"}`, i))
		default:
			lines = append(lines, fmt.Sprintf(`{"id":"m%04d","text":%q}`, i, strings.Repeat("abc ", rng.IntN(200))))
		}
	}
	files["data/manifest.jsonl"] = strings.Join(lines, "\n") + "\n"
	for i := 0; i < nFiles; i++ {
		files[fmt.Sprintf("data/d%d/f%03d.txt", i%3, i)] = strings.Repeat("x", rng.IntN(5000))
	}
	writeTree(t, dir, files)
	var want []string
	for d := 0; d < 3; d++ {
		for i := d; i < nFiles; i += 3 {
			want = append(want, fmt.Sprintf("d%d/f%03d.txt", d, i))
		}
	}
	for i := 0; i < nLines; i++ {
		if i%97 == 13 {
			want = append(want, fmt.Sprintf("manifest.jsonl:%d", i+1))
		} else {
			want = append(want, fmt.Sprintf("m%04d", i))
		}
	}
	return want
}

func TestRunOrderAndDeterminismAcrossWorkers(t *testing.T) {
	src := t.TempDir()
	want := makeCorpus(t, src, 60, 400)
	var first map[string][]byte
	for _, workers := range []int{1, 2, 8} {
		out := t.TempDir()
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		sum, err := Run(context.Background(), Options{
			Inputs: []string{filepath.Join(src, "data")}, OutputDir: out,
			Modalities: []Modality{byteModality{jitter: true}}, Workers: workers,
			BatchBytes: 8 << 10, MaxFileBytes: 64 << 10, InFlightBytes: 16 << 10, Allocator: mem,
		})
		if err != nil {
			t.Fatal(err)
		}
		mem.AssertSize(t, 0)
		rows, _ := readParts(t, out)
		if len(rows) != len(want) {
			t.Fatalf("workers=%d: %d rows, want %d", workers, len(rows), len(want))
		}
		for i, r := range rows {
			if r.ID != want[i] {
				t.Fatalf("workers=%d: row %d is %q, want %q", workers, i, r.ID, want[i])
			}
		}
		if len(sum.Files) < 2 {
			t.Errorf("want several part files, got %d", len(sum.Files))
		}
		got := map[string][]byte{}
		parts, _ := filepath.Glob(filepath.Join(out, "part-*"))
		for _, p := range parts {
			b, _ := os.ReadFile(p)
			got[filepath.Base(p)] = b
		}
		if first == nil {
			first = got
			continue
		}
		if len(got) != len(first) {
			t.Fatalf("workers=%d: %d files, workers=1 gave %d", workers, len(got), len(first))
		}
		for name, b := range first {
			if !bytes.Equal(b, got[name]) {
				t.Errorf("workers=%d: %s differs from the workers=1 run", workers, name)
			}
		}
	}
}

func TestRunSummary(t *testing.T) {
	src := t.TempDir()
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 30)
	writeTree(t, src, map[string]string{
		"a.txt": "hello", "b.png": png, "c.jsonl": "{\"text\":\"hi\"}\n{oops\n\n{\"text\":\"FAIL\"}\n{\"text\":\"PANIC\"}\n",
		"d.bin": "\x00\xff\x00", ".hidden": "x",
	})
	out := t.TempDir()
	sum, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out,
		Modalities: []Modality{byteModality{}}, JobOptions: map[string]any{"encoding": "bytes"}})
	if err != nil {
		t.Fatal(err)
	}
	var disk Summary
	b, err := os.ReadFile(filepath.Join(out, SummaryName))
	if err != nil || json.Unmarshal(b, &disk) != nil {
		t.Fatalf("summary unreadable: %v", err)
	}
	if disk.Records != 7 || disk.Rows != 7 || disk.Segments != 7 || !disk.Completed || disk.Stopped != "" {
		t.Errorf("records/rows/segments = %d/%d/%d completed=%v", disk.Records, disk.Rows, disk.Segments, disk.Completed)
	}
	if disk.Tokens != 5+2 || disk.Modalities["text"].Tokens != 7 || disk.Modalities["text"].Segments != 5 ||
		disk.Modalities["image"].Errors != 1 || disk.Modalities["unknown"].Segments != 1 {
		t.Errorf("tokens %d, modalities %+v %+v", disk.Tokens, disk.Modalities["text"], disk.Modalities["image"])
	}
	kinds := map[string]int64{}
	for k, v := range disk.Errors.ByKind {
		kinds[k] = v.Count
	}
	wantKinds := map[string]int64{"no_tokenizer": 1, "bad_json": 1, "tokenize": 1, "internal": 1, "unknown_type": 1}
	if fmt.Sprint(kinds) != fmt.Sprint(wantKinds) || disk.Errors.Total != 5 {
		t.Errorf("errors = %v (total %d), want %v", kinds, disk.Errors.Total, wantKinds)
	}
	ex := disk.Errors.ByKind["bad_json"].Examples
	if len(ex) != 1 || ex[0].Source != filepath.Join(src, "c.jsonl")+":2" || ex[0].ID != "c.jsonl:2" {
		t.Errorf("bad_json example = %+v", ex)
	}
	if disk.Skipped["hidden"] != 1 || disk.Skipped["blank_lines"] != 1 {
		t.Errorf("skipped = %v", disk.Skipped)
	}
	// bytes in: a.txt 5, the PNG's header only (no tokenizer), 4 manifest lines, d.bin 3.
	manifestLines := int64(len("{\"text\":\"hi\"}") + len("{oops") + len("{\"text\":\"FAIL\"}") + len("{\"text\":\"PANIC\"}"))
	if disk.BytesIn != 5+int64(len(png))+manifestLines+3 {
		t.Errorf("bytes_in = %d", disk.BytesIn)
	}
	if len(disk.Files) != 1 || disk.BytesOut != disk.Files[0].Bytes || disk.Files[0].Rows != 7 {
		t.Errorf("files = %+v, bytes_out %d", disk.Files, disk.BytesOut)
	}
	if sum.WallSeconds <= 0 || sum.TokensPerSecond <= 0 || sum.MBPerSecond <= 0 {
		t.Errorf("throughput not measured: %+v", sum)
	}
	rows, schema := readParts(t, out)
	var meta struct {
		FormatVersion int                       `json:"format_version"`
		Tokenizers    map[string]map[string]any `json:"tokenizers"`
		Options       map[string]any            `json:"options"`
	}
	tf, _ := schema.Metadata().GetValue("tokenfab")
	if err := json.Unmarshal([]byte(tf), &meta); err != nil || meta.FormatVersion != 1 ||
		meta.Tokenizers["text"]["name"] != "bytes" || meta.Options["encoding"] != "bytes" || meta.Options["text_field"] != "text" {
		t.Errorf("tokenfab metadata = %s (%v)", tf, err)
	}
	if strings.Contains(tf, "workers") || strings.Contains(tf, "seconds") {
		t.Errorf("metadata holds run-dependent data: %s", tf)
	}
	byID := map[string]outRow{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	if r := byID["c.jsonl:5"]; !strings.HasPrefix(r.Error, "internal: text tokenizer panicked") || !r.IDsNull || r.HasTokens {
		t.Errorf("panic row = %+v", r)
	}
	if r := byID["b.png"]; r.Modality != "image" || r.Error != "no_tokenizer: no tokenizer for modality image (not built yet)" || !r.IDsNull {
		t.Errorf("png row = %+v", r)
	}
	if r := byID["a.txt"]; r.Field != "" || r.Error != "" || string(toBytes(r.IDs)) != "hello" || r.NumTokens != 5 {
		t.Errorf("a.txt row = %+v", r)
	}
}

func TestRunMaxErrorsStopsCleanly(t *testing.T) {
	src := t.TempDir()
	var lines []string
	for i := 0; i < 50; i++ {
		if i%10 == 3 {
			lines = append(lines, "{broken")
		} else {
			lines = append(lines, fmt.Sprintf(`{"id":"%d","text":"row %d"}`, i, i))
		}
	}
	writeTree(t, src, map[string]string{"m.jsonl": strings.Join(lines, "\n")})
	for _, f := range []Format{FormatArrow, FormatArrowStream} {
		out := t.TempDir()
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		sum, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Format: f,
			Modalities: []Modality{byteModality{jitter: true}}, Workers: 2, LimitErrors: true, MaxErrors: 2,
			BatchRows: 4, MaxFileBytes: 1, Allocator: mem})
		if !errors.Is(err, ErrStopped) {
			t.Fatalf("%s: err = %v, want ErrStopped", f, err)
		}
		mem.AssertSize(t, 0)
		if sum.Completed || !strings.Contains(sum.Stopped, "more than 2 error rows") || !strings.Contains(sum.Stopped, "m.jsonl:24") {
			t.Errorf("%s: summary completed=%v stopped=%q", f, sum.Completed, sum.Stopped)
		}
		// Rows up to and including the third error (line 24) are written, in order.
		rows, _ := readParts(t, out)
		if len(rows) != 24 || rows[23].ID != "m.jsonl:24" || !strings.HasPrefix(rows[23].Error, "bad_json") || rows[22].ID != "22" {
			t.Fatalf("%s: %d rows, last %+v", f, len(rows), rows[len(rows)-1])
		}
		var disk Summary
		b, _ := os.ReadFile(filepath.Join(out, SummaryName))
		if json.Unmarshal(b, &disk) != nil || disk.Stopped != sum.Stopped || disk.Rows != 24 || len(disk.Files) != len(sum.Files) {
			t.Errorf("%s: summary on disk = %+v", f, disk)
		}
		if tmp, _ := filepath.Glob(filepath.Join(out, ".*")); len(tmp) != 0 {
			t.Errorf("%s: temp files left: %v", f, tmp)
		}
	}
}

// blockingModality blocks until its context ends.
type blockingModality struct{ started chan struct{} }

func (blockingModality) Name() string { return ModText }
func (m blockingModality) Tokenize(ctx context.Context, _ []byte) (Payload, error) {
	select {
	case m.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return Payload{}, ctx.Err()
}
func (blockingModality) Describe() map[string]any { return map[string]any{} }

func TestRunCancelNoLeaks(t *testing.T) {
	src := t.TempDir()
	makeCorpus(t, src, 30, 100)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 1)
	go func() { <-started; cancel() }()
	out := t.TempDir()
	sum, err := Run(ctx, Options{Inputs: []string{src}, OutputDir: out, Workers: 4,
		Modalities: []Modality{blockingModality{started}}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if sum == nil || sum.Completed || !strings.HasPrefix(sum.Stopped, "interrupted") {
		t.Fatalf("summary = %+v", sum)
	}
	rows, _ := readParts(t, out) // the (empty) file is valid
	if len(rows) != 0 {
		t.Errorf("%d rows written after cancel", len(rows))
	}
	// The messages say what was left and what to do, without "context canceled".
	if want := "interrupted (SIGINT/SIGTERM) after 0 records; the 1 file written is complete, but the output is incomplete: rerun with --overwrite"; !strings.HasPrefix(err.Error(), want) ||
		strings.Contains(err.Error(), "context canceled") {
		t.Errorf("err = %q, want it to start %q", err, want)
	}
	if strings.Contains(sum.Stopped, "context canceled") {
		t.Errorf("stopped = %q", sum.Stopped)
	}
	_, err = Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Modalities: []Modality{blockingModality{started}}})
	if want := "output directory " + out + " holds an incomplete job (_SUMMARY.json: stopped: interrupted (SIGINT/SIGTERM, or the caller cancelled) before every input was read; 2 output files, the summary included); pass --overwrite to redo it from the start (an unsharded run does not resume) or choose another -o"; err == nil || err.Error() != want {
		t.Errorf("rerun: %v\nwant %s", err, want)
	}
	os.Remove(filepath.Join(out, SummaryName)) // as after a SIGKILL
	_, err = Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Modalities: []Modality{blockingModality{started}}})
	if err == nil || !strings.Contains(err.Error(), "holds the output file part-00000.arrow but no _SUMMARY.json: a job that crashed, or is still running; pass --overwrite") {
		t.Errorf("rerun without a summary: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Run, %d before", n, before)
	}
}

func TestRunRefusesExistingOutput(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.txt": "a"})
	out := t.TempDir()
	opts := Options{Inputs: []string{src}, OutputDir: out, Modalities: []Modality{byteModality{}}}
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	writeTree(t, out, map[string]string{"part-00007.arrow": "stale", "notes.txt": "mine"})
	_, err := Run(context.Background(), opts)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("err = %v, want a ConfigError mentioning --overwrite", err)
	}
	opts.Overwrite = true
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(out)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if fmt.Sprint(names) != "[_SUMMARY.json notes.txt part-00000.arrow]" {
		t.Errorf("after --overwrite: %v", names)
	}
}

func TestRunSkipsItsOwnOutputDir(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.txt": "a"})
	out := filepath.Join(src, "out")
	opts := Options{Inputs: []string{src}, OutputDir: out, Modalities: []Modality{byteModality{}}}
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	opts.Overwrite = true
	sum, err := Run(context.Background(), opts) // out/ now holds files: they must not become input
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 1 || sum.Skipped["output_dir"] != 1 {
		t.Fatalf("records %d, skipped %v", sum.Records, sum.Skipped)
	}
}

// TestRunRefusesOutputThatIsInput: -o equal to an input directory (or
// holding an input) would read the run's own output: exit 1 before
// anything is written or deleted.
func TestRunRefusesOutputThatIsInput(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.txt": "a", "sub/b.txt": "b"})
	for _, c := range []struct {
		inputs []string
		out    string
		want   string
	}{
		{[]string{src}, src, "-o " + src + " is also an input: the run would read its own output files as data"},
		{[]string{src + "/."}, src, "is also an input"},
		{[]string{filepath.Join(src, "sub", "b.txt")}, src, "input " + filepath.Join(src, "sub", "b.txt") + " is inside the output directory -o " + src},
		{[]string{filepath.Join(src, "sub")}, src, "is inside the output directory"},
	} {
		_, err := Run(context.Background(), Options{Inputs: c.inputs, OutputDir: c.out, Overwrite: true, Modalities: []Modality{byteModality{}}})
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("inputs %v -o %s: %v, want a ConfigError with %q", c.inputs, c.out, err, c.want)
		}
	}
	ents, _ := os.ReadDir(src)
	if len(ents) != 2 {
		t.Errorf("the refused runs changed the input: %d entries", len(ents))
	}
}

func TestBudget(t *testing.T) {
	b := newBudget(10)
	ctx := context.Background()
	if err := b.acquire(ctx, 6); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.acquire(ctx, 100) }() // clamped to the whole budget: waits for the 6
	select {
	case <-got:
		t.Fatal("acquired past the budget")
	case <-time.After(20 * time.Millisecond):
	}
	b.release(6)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.acquire(cctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire on a cancelled context = %v", err)
	}
}

// sabotage removes the output directory when it tokenizes its first segment.
type sabotage struct {
	byteModality
	dir  string
	once *sync.Once
}

func (s sabotage) Tokenize(ctx context.Context, data []byte) (Payload, error) {
	s.once.Do(func() { os.RemoveAll(s.dir) })
	return s.byteModality.Tokenize(ctx, data)
}

func TestRunWriteErrorIsReported(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.txt": "a", "b.txt": "b"})
	out := filepath.Join(t.TempDir(), "out")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	sum, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Allocator: mem,
		Modalities: []Modality{sabotage{dir: out, once: new(sync.Once)}}})
	var ce *ConfigError
	if err == nil || errors.Is(err, ErrStopped) || errors.As(err, &ce) || errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want an I/O error", err)
	}
	if sum == nil || sum.Completed || !strings.HasPrefix(sum.Stopped, "write error") {
		t.Fatalf("summary = %+v", sum)
	}
	mem.AssertSize(t, 0)
}

// TestInvalidUTF8FileName: a file name that is not UTF-8 (legal on Linux)
// must not make the part file invalid Arrow: the id and source columns
// write its bad bytes as \xNN, and the record is tokenized.
func TestInvalidUTF8FileName(t *testing.T) {
	in := t.TempDir()
	for _, name := range []string{"bad\xffname.txt", "bad\xfename.txt", "ok.txt"} {
		if err := os.WriteFile(filepath.Join(in, name), []byte("hello"), 0o644); err != nil {
			t.Fatal(err) // Linux file systems take any bytes but NUL and /
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Run(context.Background(), Options{Inputs: []string{in}, OutputDir: out, Modalities: []Modality{byteModality{}}}); err != nil {
		t.Fatal(err)
	}
	rows, _ := readParts(t, out)
	var ids []string
	for _, r := range rows {
		if !utf8.ValidString(r.ID) || !utf8.ValidString(r.Source) || r.Error != "" || len(r.IDs) != 5 {
			t.Errorf("row %+v", r)
		}
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, " "); got != `bad\xfename.txt bad\xffname.txt ok.txt` {
		t.Errorf("ids %s", got)
	}
}

// TestRunCancelShardedSaysRerun: an interrupted shard is told to rerun the
// same command (shards resume), not to pass --overwrite.
func TestRunCancelShardedSaysRerun(t *testing.T) {
	src := t.TempDir()
	makeCorpus(t, src, 5, 100)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 1)
	go func() { <-started; cancel() }()
	_, err := Run(ctx, Options{Inputs: []string{src}, OutputDir: t.TempDir(), Workers: 2, NumShards: 1,
		Modalities: []Modality{blockingModality{started}}})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "shard 0 is not done: rerun the same command to redo it (finished shards are kept)") ||
		strings.Contains(err.Error(), "--overwrite") {
		t.Errorf("err = %v", err)
	}
}
