package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInspectPackedAndDirs: inspect totals a packed file's real ids (its
// length column) and splits totals by modality with units; a directory
// given to inspect or show is exit 1 with the same hint; show needs --row.
func TestInspectPackedAndDirs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.txt")
	doc := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 5)
	os.WriteFile(in, []byte(doc), 0o644)
	packed, plain := filepath.Join(dir, "packed"), filepath.Join(dir, "plain")
	mustTokenize(t, "run", in, "-o", packed, "--pack", "16", "-q")
	mustTokenize(t, "run", in, "-o", plain, "--eos", "-q")
	n := 52 // the text ids + EOS, as the plain run counts them
	stdout := mustTokenize(t, "inspect", filepath.Join(plain, "part-00000.arrow"))
	if !strings.Contains(stdout, "tokens (num_tokens): total "+itoa(n)+" over 1 rows") || !strings.Contains(stdout, "  by modality: text "+itoa(n)+" ids\n") {
		t.Fatalf("plain inspect:\n%s", stdout)
	}
	stdout = mustTokenize(t, "inspect", filepath.Join(packed, "part-00000.arrow"))
	if !strings.Contains(stdout, "tokens (packed length): total "+itoa(n)+" over 4 rows; mean 13.0, min 4, p50 16, p99 16, max 16") ||
		!strings.Contains(stdout, "  by modality: text "+itoa(n)+" ids\n") {
		t.Errorf("packed inspect:\n%s", stdout)
	}
	want := "tokenize: " + packed + " is a directory; pass a part file, e.g. " + filepath.Join(packed, "part-00000.arrow") + "\n"
	for _, args := range [][]string{{"inspect", packed}, {"show", packed, "--row", "0", "-o", filepath.Join(dir, "x.html")}} {
		if code, _, errs := tokenize(t, "", args...); code != exitUsage || errs != want {
			t.Errorf("%q: exit %d %q, want 1 %q", args, code, errs, want)
		}
	}
	code, _, errs := tokenize(t, "", "show", filepath.Join(packed, "part-00000.arrow"), "-o", filepath.Join(dir, "x.html"))
	if code != exitUsage || !strings.Contains(errs, "--row N is required") {
		t.Errorf("show without --row: exit %d %s", code, errs)
	}
}
