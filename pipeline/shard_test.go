package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// shardCorpus is fixtures/sample plus a tree of small text files, so that
// shards get several files each.
func shardCorpus(t *testing.T) []string {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("d%d/f%03d.txt", i%3, i)] = strings.Repeat(fmt.Sprintf("line %d of file %d\n", i, i), 1+i%7)
	}
	files["d1/bad.txt"] = "this one says FAIL"
	writeTree(t, dir, files)
	return []string{filepath.Join(testenv.Root(), "fixtures", "sample"), dir}
}

func shardOpts(inputs []string, out string, n, i int) Options {
	return Options{Inputs: inputs, OutputDir: out, Modalities: []Modality{byteModality{jitter: true}},
		Workers: 3, BatchRows: 7, MaxFileBytes: 64 << 10, NumShards: n, ShardIndex: i}
}

func TestShardsConcatenateToTheUnshardedRows(t *testing.T) {
	in := shardCorpus(t)
	ctx := context.Background()
	plain := t.TempDir()
	o := shardOpts(in, plain, 0, 0)
	if _, err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	want, _ := readParts(t, plain)
	for _, n := range []int{1, 3} {
		out := t.TempDir()
		for i := n - 1; i >= 0; i-- { // any order
			sum, err := Run(ctx, shardOpts(in, out, n, i))
			if err != nil {
				t.Fatalf("shard %d/%d: %v", i, n, err)
			}
			if sum.Shard == nil || sum.Shard.AlreadyDone || sum.Shard.Entries == 0 {
				t.Fatalf("shard %d/%d: %+v", i, n, sum.Shard)
			}
		}
		if _, err := os.Stat(filepath.Join(out, SuccessName)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("_SUCCESS before finalize: %v", err)
		}
		man, err := Finalize(out, LayoutPlain)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := readParts(t, out)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%d shards: %d rows differ from the unsharded %d", n, len(got), len(want))
		}
		errs := 0
		for _, r := range want {
			if r.Error != "" {
				errs++
			}
		}
		if man.Rows != int64(len(want)) || man.NumShards != n || man.Errors != int64(errs) || errs < 2 {
			t.Fatalf("manifest: rows %d shards %d errors %d", man.Rows, man.NumShards, man.Errors)
		}
		if _, err := os.Stat(filepath.Join(out, SuccessName)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestShardResumeSkipsDoneAndRedoesDamaged(t *testing.T) {
	in := shardCorpus(t)
	ctx := context.Background()
	out := t.TempDir()
	for i := range 2 {
		if _, err := Run(ctx, shardOpts(in, out, 2, i)); err != nil {
			t.Fatal(err)
		}
	}
	m1, err := readMarker(localDir(out), 1)
	if err != nil {
		t.Fatal(err)
	}
	// A done shard is skipped, files untouched.
	sum, err := Run(ctx, shardOpts(in, out, 2, 0))
	if err != nil || !sum.Shard.AlreadyDone {
		t.Fatalf("rerun of a done shard: %v %+v", err, sum.Shard)
	}
	// Damage shard 1's file, leave a stale temp: finalize refuses, a
	// rerun redoes the shard and gives the same bytes.
	p := filepath.Join(out, m1.Files[0].Name)
	if err := os.WriteFile(p, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, ".part-00001-of-00002-0003.arrow.abc.tmp"), []byte("x"), 0o644)
	if _, err := Finalize(out, LayoutPlain); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("finalize with a damaged file: %v", err)
	}
	sum, err = Run(ctx, shardOpts(in, out, 2, 1))
	if err != nil || sum.Shard.AlreadyDone {
		t.Fatalf("rerun of a damaged shard: %v %+v", err, sum.Shard)
	}
	m1b, _ := readMarker(localDir(out), 1)
	if !reflect.DeepEqual(m1b.Files, m1.Files) {
		t.Fatalf("redone shard differs: %+v vs %+v", m1b.Files, m1.Files)
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".*.tmp")); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	if _, err := Finalize(out, LayoutPlain); err != nil {
		t.Fatal(err)
	}
	// A stray part file (another run's) makes finalize refuse.
	os.WriteFile(filepath.Join(out, "part-00001-of-00002-0009.arrow"), []byte("x"), 0o644)
	if _, err := Finalize(out, LayoutPlain); err == nil || !strings.Contains(err.Error(), "0009") {
		t.Fatalf("finalize with a stray part: %v", err)
	}
}

func TestShardRefusals(t *testing.T) {
	in := shardCorpus(t)
	ctx := context.Background()
	out := t.TempDir()
	if _, err := Run(ctx, shardOpts(in, out, 2, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := Finalize(out, LayoutPlain); err == nil || !strings.Contains(err.Error(), "shard(s) 1 of 2 are not done") {
		t.Fatalf("finalize with a missing shard: %v", err)
	}
	other := shardOpts(in, out, 2, 1)
	other.BatchRows = 8
	cases := map[string]Options{
		"--num-shards 2; this run has --num-shards 3": shardOpts(in, out, 3, 1),
		"other tokenizer or output flags":             other,
		"; differing: batch_rows: 7 -> 8); rerun":     other, // the refusal names what differs
		"other inputs": shardOpts(in[:1], out, 2, 1),
		"): " + filepath.Join(in[1], "d0", "f000.txt") + " is gone; ": shardOpts(in[:1], out, 2, 1),
		"out of range": shardOpts(in, out, 2, 2),
	}
	for want, o := range cases {
		_, err := Run(ctx, o)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), want) {
			t.Errorf("want a config error with %q, got %v", want, err)
		}
	}
	if _, err := Finalize(out, LayoutHF); err == nil || !strings.Contains(err.Error(), "arrow-stream") {
		t.Fatalf("hf layout of arrow files: %v", err)
	}
	var cfg jobConfig
	data, _ := os.ReadFile(filepath.Join(out, DoneDir, JobConfigName))
	if json.Unmarshal(data, &cfg) != nil || cfg.NumShards != 2 {
		t.Fatalf("job config: %s", data)
	}
}

// TestShardRefusalsNameDifferences: a changed input is named with what
// changed; a job pinned before settings and input lists were stored (an
// older binary) still refuses, with counts and hashes only.
func TestShardRefusalsNameDifferences(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "aaa", "b.txt": "bbb", "c.txt": "ccc"})
	ctx := context.Background()
	out := t.TempDir()
	if _, err := Run(ctx, shardOpts([]string{dir}, out, 2, 0)); err != nil {
		t.Fatal(err)
	}
	bTime := mtimeOf(t, filepath.Join(dir, "b.txt"))
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("bbbb"), 0o644)
	_, err := Run(ctx, shardOpts([]string{dir}, out, 2, 1))
	if want := "(3 input files then, 3 now; manifest "; err == nil || !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), "): "+filepath.Join(dir, "b.txt")+" changed size (3 -> 4 bytes); a rerun must see the same inputs") {
		t.Errorf("changed input: %v", err)
	}
	// An older job: no settings in _config.json, no _inputs.json.
	var cfg map[string]any
	path := filepath.Join(out, DoneDir, JobConfigName)
	data, _ := os.ReadFile(path)
	if json.Unmarshal(data, &cfg) != nil || cfg["settings"] == nil {
		t.Fatalf("_config.json has no settings: %s", data)
	}
	delete(cfg, "settings")
	data, _ = json.Marshal(cfg)
	os.WriteFile(path, data, 0o644)
	os.Remove(filepath.Join(out, DoneDir, InputsName))
	_, err = Run(ctx, shardOpts([]string{dir}, out, 2, 1))
	if err == nil || !strings.Contains(err.Error(), "(3 input files then, 3 now, or sizes/mtimes changed; manifest ") {
		t.Errorf("old job, changed input: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("bbb"), 0o644)
	os.Chtimes(filepath.Join(dir, "b.txt"), time.Time{}, bTime) // the inputs as pinned again
	other := shardOpts([]string{dir}, out, 2, 1)
	other.BatchRows = 8
	_, err = Run(ctx, other)
	if err == nil || !strings.Contains(err.Error(), "other tokenizer or output flags (config ") || strings.Contains(err.Error(), "differing") {
		t.Errorf("old job, other flags: %v", err)
	}
}

func mtimeOf(t *testing.T, p string) time.Time {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime()
}

func TestShardOfIsContiguousAndBalanced(t *testing.T) {
	es := make([]entry, 10)
	for i := range es {
		es[i].size = 100
	}
	got := shardOf(es, 3)
	want := []int{0, 0, 0, 1, 1, 1, 1, 2, 2, 2} // by each file's byte midpoint
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("shardOf = %v, want %v", got, want)
	}
	if got := shardOf(make([]entry, 4), 2); !reflect.DeepEqual(got, []int{0, 0, 1, 1}) {
		t.Fatalf("empty files: %v", got)
	}
}

// TestOverwriteFinalizedShardedDir: an unsharded --overwrite run into a
// finalized sharded directory removes the old job's _SUCCESS, manifest and
// markers along with its part files, so nothing claims the old job is
// complete.
func TestOverwriteFinalizedShardedDir(t *testing.T) {
	sample := filepath.Join(testenv.Root(), "fixtures", "sample")
	out := filepath.Join(t.TempDir(), "out")
	for i := range 2 {
		if _, err := Run(context.Background(), Options{Inputs: []string{sample}, OutputDir: out,
			Modalities: []Modality{byteModality{}}, NumShards: 2, ShardIndex: i, Format: FormatArrowStream}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Finalize(out, LayoutHF); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Inputs: []string{sample}, OutputDir: out,
		Modalities: []Modality{byteModality{}}}); err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("rerun without overwrite: %v", err)
	}
	if _, err := Run(context.Background(), Options{Inputs: []string{sample}, OutputDir: out, Overwrite: true,
		Modalities: []Modality{byteModality{}}}); err != nil {
		t.Fatal(err)
	}
	var left []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			rel, _ := filepath.Rel(out, p)
			left = append(left, filepath.ToSlash(rel))
		}
		return err
	})
	if got := strings.Join(left, " "); got != "_SUMMARY.json part-00000.arrow" {
		t.Fatalf("after the overwrite: %s", got)
	}
	// The directory is now an unsharded job's: finalize says so, instead of
	// tripping over the old manifest's missing files.
	if _, err := Finalize(out, LayoutPlain); err == nil || !strings.Contains(err.Error(), "needs no finalize") {
		t.Fatalf("finalize of the new output: %v", err)
	}
}
