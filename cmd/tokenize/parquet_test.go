//go:build parquet

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/tokenfab/tokenfab/pipeline"
)

// TestRunParquet: with -tags parquet, --format parquet writes .parquet
// part files holding every row, sharded runs finalize, and lz4 is refused.
func TestRunParquet(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := tokenize(t, "", "run", sample, "-o", out, "-q", "--format", "parquet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, pipeline.SummaryName))
	if err != nil {
		t.Fatal(err)
	}
	var sum pipeline.Summary
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Files) != 1 || sum.Files[0].Name != "part-00000.parquet" || sum.Rows < 30 {
		t.Fatalf("files %v, %d rows", sum.Files, sum.Rows)
	}
	pf, err := file.OpenParquetFile(filepath.Join(out, "part-00000.parquet"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if pf.NumRows() != sum.Rows {
		t.Errorf("parquet has %d rows, summary %d", pf.NumRows(), sum.Rows)
	}

	sharded := filepath.Join(t.TempDir(), "sharded")
	for _, i := range []string{"0", "1"} {
		if code, _, stderr := tokenize(t, "", "run", sample, "-o", sharded, "-q", "--format", "parquet", "--num-shards", "2", "--shard-index", i); code != 0 {
			t.Fatalf("shard %s: exit %d: %s", i, code, stderr)
		}
	}
	if code, _, stderr := tokenize(t, "", "finalize", sharded); code != 0 {
		t.Fatalf("finalize: exit %d: %s", code, stderr)
	}
	var man pipeline.Manifest
	data, _ = os.ReadFile(filepath.Join(sharded, pipeline.ManifestName))
	if err := json.Unmarshal(data, &man); err != nil || man.Format != "parquet" || len(man.Files) != 2 ||
		!strings.HasSuffix(man.Files[0].Name, ".parquet") || man.Rows != sum.Rows {
		t.Errorf("manifest: %v %+v", err, man)
	}

	code, _, stderr = tokenize(t, "", "run", sample, "-o", t.TempDir(), "-q", "--format", "parquet", "--compression", "lz4")
	if code != 1 || !strings.Contains(stderr, "--format parquet does not take --compression lz4") {
		t.Errorf("lz4: exit %d %s", code, stderr)
	}
}
