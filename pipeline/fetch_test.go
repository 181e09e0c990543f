package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestFetch: an output written to S3 comes back byte for byte, markers
// included, as a prefix or one object at a time.
func TestFetch(t *testing.T) {
	srv := s3Env(t)
	sample := filepath.Join(testenv.Root(), "fixtures", "sample")
	opts := func(out string) Options {
		return Options{Inputs: []string{sample}, OutputDir: out, Modalities: []Modality{byteModality{}},
			BatchRows: 5, MaxFileBytes: 4 << 10, NumShards: 2, ShardIndex: 1}
	}
	local := filepath.Join(t.TempDir(), "local")
	if _, err := Run(context.Background(), opts(local)); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), opts(srv.URL("dst", "job/out"))); err != nil {
		t.Fatal(err)
	}
	got, err := Fetch(srv.URL("dst", "job/out"), filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	parts := partFiles(t, local)
	if len(parts) < 2 {
		t.Fatalf("want several part files, got %v", parts)
	}
	sameFiles(t, local, got, parts)
	if _, err := os.Stat(filepath.Join(got, DoneDir, "part-00001.json")); err != nil {
		t.Errorf("marker not fetched: %v", err)
	}
	// Every published file, not only part files (summaries, markers).
	var want, have []string
	for dir, list := range map[string]*[]string{local: &want, got: &have} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
				rel, _ := filepath.Rel(dir, p)
				*list = append(*list, rel)
			}
			return err
		})
	}
	if strings.Join(want, ",") != strings.Join(have, ",") || len(have) <= len(parts) {
		t.Errorf("fetched %v, local run has %v", have, want)
	}
	one, err := Fetch(srv.URL("dst", "job/out/"+parts[1]), t.TempDir())
	if err != nil || filepath.Base(one) != parts[1] {
		t.Fatalf("one object: %s, %v", one, err)
	}
	sameFiles(t, local, filepath.Dir(one), parts[1:2])

	for _, c := range []struct{ src, want string }{
		{srv.URL("dst", "nothing"), "no objects under"},
		{"/local/path", "not an object storage URL"},
	} {
		_, err := Fetch(c.src, t.TempDir())
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Fetch(%s) = %v, want a ConfigError with %q", c.src, err, c.want)
		}
	}
	if _, err := Fetch(srv.URL("dst", "job/out/part-09999-of-00002.arrow"), t.TempDir()); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing object: %v, want ErrNotExist", err)
	}
}
