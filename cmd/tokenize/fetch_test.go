package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestReportShowInspectURLs: report, show and inspect read an output in a
// real S3 server (versitygw) as they read the same output on disk.
func TestReportShowInspectURLs(t *testing.T) {
	srv := testenv.StartS3(t, "tokenfabkey", "tokenfabsecret123")
	t.Setenv("AWS_ACCESS_KEY_ID", srv.Access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.Secret)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	srv.MakeBucket(t, "dst")
	tmp := t.TempDir()
	local := filepath.Join(tmp, "local")
	url := srv.URL("dst", "job")
	mustTokenize(t, "run", sample, "-o", local, "--quiet")
	mustTokenize(t, "run", sample, "-o", url, "--quiet")

	// report: same rows and files; the HTML lands where -o says.
	a := mustTokenize(t, "report", local, "-o", filepath.Join(tmp, "a.html"))
	b := mustTokenize(t, "report", url, "-o", filepath.Join(tmp, "b.html"))
	if want := strings.Replace(a, local, url, 1); strings.Replace(b, filepath.Join(tmp, "b.html"), filepath.Join(tmp, "a.html"), 1) != want {
		t.Errorf("report of the URL says %q, of the local copy %q", b, a)
	}
	ha, _ := os.ReadFile(filepath.Join(tmp, "a.html"))
	hb, _ := os.ReadFile(filepath.Join(tmp, "b.html"))
	if len(hb) < 1000 || len(ha) < 1000 {
		t.Fatalf("reports of %d and %d bytes", len(ha), len(hb))
	}

	// inspect: the same report, with the URL as its path.
	ia := mustTokenize(t, "inspect", "--json", filepath.Join(local, "part-00000.arrow"))
	ib := mustTokenize(t, "inspect", "--json", srv.URL("dst", "job/part-00000.arrow"))
	var ra, rb map[string]any
	if json.Unmarshal([]byte(ia), &ra) != nil || json.Unmarshal([]byte(ib), &rb) != nil {
		t.Fatalf("inspect --json: %s / %s", ia, ib)
	}
	if rb["path"] != srv.URL("dst", "job/part-00000.arrow") {
		t.Errorf("inspect path %v", rb["path"])
	}
	delete(ra, "path")
	delete(rb, "path")
	if ja, _ := json.Marshal(ra); string(ja) != func() string { jb, _ := json.Marshal(rb); return string(jb) }() {
		t.Errorf("inspect differs:\nlocal %s\nURL   %s", ia, ib)
	}

	// show: the same page for the same row.
	mustTokenize(t, "show", filepath.Join(local, "part-00000.arrow"), "--row", "0", "-o", filepath.Join(tmp, "a0.html"))
	mustTokenize(t, "show", srv.URL("dst", "job/part-00000.arrow"), "--row", "0", "-o", filepath.Join(tmp, "b0.html"))
	sa, _ := os.ReadFile(filepath.Join(tmp, "a0.html"))
	sb, _ := os.ReadFile(filepath.Join(tmp, "b0.html"))
	if len(sa) == 0 || string(sa) != string(sb) {
		t.Errorf("show pages differ (%d vs %d bytes)", len(sa), len(sb))
	}

	// A missing object is an input error (exit 1) that names it.
	code, _, errs := tokenize(t, "", "inspect", srv.URL("dst", "job/part-09999.arrow"))
	if code != 1 || !strings.Contains(errs, "part-09999.arrow") {
		t.Errorf("missing object: exit %d, %q", code, errs)
	}
}
