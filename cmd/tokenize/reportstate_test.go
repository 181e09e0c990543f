package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportSaysIncomplete: report of a sharded job with a shard missing,
// then of one not finalized, says so on stdout and in the HTML; a
// finalized job carries no warning; megatron output is refused (exit 1)
// with a message naming the format.
func TestReportSaysIncomplete(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	os.WriteFile(filepath.Join(in, "a.txt"), []byte("hello world"), 0o644)
	os.WriteFile(filepath.Join(in, "b.txt"), []byte("goodbye moon"), 0o644)
	out := filepath.Join(dir, "out")
	html := filepath.Join(out, "report.html")
	check := func(stage, want string) {
		t.Helper()
		stdout := mustTokenize(t, "report", out)
		b, _ := os.ReadFile(html)
		if want == "" {
			if strings.Contains(stdout, "INCOMPLETE") || strings.Contains(string(b), "INCOMPLETE") {
				t.Errorf("%s: a warning on a complete job: %s", stage, stdout)
			}
			return
		}
		if !strings.Contains(stdout, "("+want) || !strings.Contains(string(b), `<p class="warn"><b>`+want) {
			t.Errorf("%s: stdout %q / HTML lack %q", stage, stdout, want)
		}
	}
	mustTokenize(t, "run", in, "-o", out, "--num-shards", "2", "--shard-index", "1", "-q")
	if stdout := mustTokenize(t, "report", out); !strings.HasPrefix(stdout, out+": 1 row in 1 file (INCOMPLETE") {
		t.Errorf("stdout %q", stdout)
	}
	check("shard 0 missing", "INCOMPLETE sharded job: shard(s) 0 of 2 not done; not finalized (no _SUCCESS); the report covers only the rows written so far (run the missing shards, then tokenize finalize)")
	mustTokenize(t, "run", in, "-o", out, "--num-shards", "2", "--shard-index", "0", "-q")
	check("not finalized", "INCOMPLETE sharded job: not finalized (no _SUCCESS); the report covers only the rows written so far (run tokenize finalize)")
	mustTokenize(t, "finalize", out)
	check("finalized", "")

	meg := filepath.Join(dir, "meg")
	mustTokenize(t, "run", in, "-o", meg, "--format", "megatron", "-q")
	code, _, errs := tokenize(t, "", "report", meg)
	if code != exitUsage || !strings.Contains(errs, "holds Megatron-LM .bin/.idx output (--format megatron), which tokenize report does not support") {
		t.Errorf("report of megatron output: exit %d %s", code, errs)
	}
}
