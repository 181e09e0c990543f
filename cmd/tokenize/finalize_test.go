package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestShardFromFlagsAndEnv(t *testing.T) {
	cases := []struct {
		n, i         int
		env          map[string]string
		wantN, wantI int
		err          string
	}{
		{0, -1, nil, 0, 0, ""},
		{1, -1, nil, 1, 0, ""},
		{4, 2, nil, 4, 2, ""},
		{4, -1, map[string]string{"JOB_COMPLETION_INDEX": "3"}, 4, 3, ""},
		{0, -1, map[string]string{"JOB_COMPLETION_INDEX": "3", "TOKENFAB_NUM_SHARDS": "5"}, 5, 3, ""},
		{0, -1, map[string]string{"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "8"}, 8, 7, ""},
		{0, -1, map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"}, 2, 0, ""},
		{4, 1, map[string]string{"JOB_COMPLETION_INDEX": "3"}, 4, 1, ""}, // the flag wins
		{0, -1, map[string]string{"JOB_COMPLETION_INDEX": "3"}, 0, 0, "shard count is unknown"},
		{4, -1, nil, 0, 0, "needs --shard-index"},
		{2, -1, map[string]string{"JOB_COMPLETION_INDEX": "2"}, 0, 0, "out of range"},
		{0, -1, map[string]string{"JOB_COMPLETION_INDEX": "x"}, 0, 0, "non-negative integer"},
	}
	for _, c := range cases {
		f := runFlags{numShards: c.n, shardIndex: c.i}
		n, i, err := f.shard(func(k string) string { return c.env[k] })
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: want error %q, got %v", c, c.err, err)
			}
			continue
		}
		if err != nil || n != c.wantN || i != c.wantI {
			t.Errorf("%+v: got %d %d %v", c, n, i, err)
		}
	}
	// An explicit --num-shards 0 or 1 overrides a Slurm array task's
	// variables (the whole input); an explicit 4 still takes the index.
	slurm := map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "4"}
	for _, c := range []struct{ n, wantN, wantI int }{{0, 0, 0}, {1, 1, 0}, {4, 4, 1}} {
		f := runFlags{numShards: c.n, shardIndex: -1, numShardsSet: true}
		n, i, err := f.shard(func(k string) string { return slurm[k] })
		if err != nil || n != c.wantN || i != c.wantI {
			t.Errorf("explicit --num-shards %d in a Slurm array task: got %d %d %v, want %d %d", c.n, n, i, err, c.wantN, c.wantI)
		}
	}
	// Through the CLI: the task's share is announced; --num-shards 0 runs everything.
	for k, v := range slurm {
		t.Setenv(k, v)
	}
	code, _, stderr := tokenize(t, "", "run", sample, "-o", filepath.Join(t.TempDir(), "a"))
	if code != exitOK || !strings.Contains(stderr, "running shard 1 of 4 (index from SLURM_ARRAY_TASK_ID") {
		t.Errorf("in a Slurm array task: exit %d, stderr %q", code, stderr)
	}
	b := filepath.Join(t.TempDir(), "b")
	code, _, stderr = tokenize(t, "", "run", sample, "-o", b, "--num-shards", "0")
	if _, err := os.Stat(filepath.Join(b, "part-00000.arrow")); code != exitOK || strings.Contains(stderr, "running shard") || err != nil {
		t.Errorf("--num-shards 0 in a Slurm array task: exit %d, stderr %q, unsharded part file: %v", code, stderr, err)
	}
}

// TestRunShardedThenFinalize runs two shards as an Indexed Job would
// (JOB_COMPLETION_INDEX), reruns one (skipped), and finalizes.
func TestRunShardedThenFinalize(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, idx := range []string{"1", "0"} {
		t.Setenv("JOB_COMPLETION_INDEX", idx)
		if code, _, stderr := tokenize(t, "", "run", sample, "-o", out, "--num-shards", "2", "-q"); code != exitOK {
			t.Fatalf("shard %s: exit %d: %s", idx, code, stderr)
		}
	}
	code, _, stderr := tokenize(t, "", "run", sample, "-o", out, "--num-shards", "2") // no -q: that silences the line
	if code != exitOK || !strings.Contains(stderr, "shard 0 of 2 is already done") {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	code, _, stderr = tokenize(t, "", "run", sample, "-o", out, "--num-shards", "3", "-q")
	if code != exitUsage || !strings.Contains(stderr, "--num-shards 2") {
		t.Fatalf("other N: exit %d: %s", code, stderr)
	}
	if code, _, stderr := tokenize(t, "", "finalize", out, "--layout", "hf"); code != exitUsage || !strings.Contains(stderr, "--format arrow-stream") {
		t.Fatalf("finalize --layout hf of arrow files: exit %d: %s", code, stderr)
	}
	if code, _, stderr := tokenize(t, "", "finalize", out); code != exitOK || !strings.Contains(stderr, "2 shards, ") || !strings.Contains(stderr, ", 1 error\n") {
		t.Fatalf("finalize: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"_SUCCESS", "manifest.json", "part-00000-of-00002-0000.arrow", "part-00001-of-00002-0000.arrow"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}

// TestFinalizeUnsharded: finalize of an unsharded run says it needs none and
// where its file list is, instead of naming a missing _done/_config.json.
func TestFinalizeUnsharded(t *testing.T) {
	out := filepath.Join(t.TempDir(), "meg")
	if code, _, stderr := tokenize(t, "", "run", sample, "-o", out, "--format", "megatron", "--eos", "-q"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	code, _, stderr := tokenize(t, "", "finalize", out)
	want := "tokenize: " + out + " is the output of an unsharded run, which needs no finalize: it is complete once tokenize run exits 0, and _SUMMARY.json lists its files in order"
	if code != exitUsage || !strings.HasPrefix(stderr, want) {
		t.Fatalf("finalize: exit %d: %s\nwant prefix %q", code, stderr, want)
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); !os.IsNotExist(err) {
		t.Errorf("manifest.json: %v", err)
	}
}
