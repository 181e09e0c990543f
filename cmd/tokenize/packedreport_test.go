package main

import (
	stdhtml "html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/text"
)

// TestPackedReportAndShow: report on --pack output says it is packed and
// tabulates the length column; show renders a packed row as its text and
// refuses PNG with exit 1.
func TestPackedReportAndShow(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	doc := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 5)
	os.WriteFile(filepath.Join(in, "a.txt"), []byte(doc), 0o644)
	out := filepath.Join(dir, "out")
	mustTokenize(t, "run", in, "-o", out, "--pack", "16", "-q")

	tok, err := text.New(text.Config{Encoding: "o200k_base"})
	if err != nil {
		t.Fatal(err)
	}
	ids := append(tok.Encode(nil, []byte(doc)), 199999) // --pack turns on --eos
	rows := (len(ids) + 15) / 16
	last := len(ids) - 16*(rows-1)

	mustTokenize(t, "report", out)
	b, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{"<b>Packed output (--pack 16):</b>", "remaining slots are pad id 0",
		"<tr><td class=\"l\">packed text sequences</td><td>" + itoa(rows) + "</td><td>" + itoa(len(ids)) + "</td>",
		"<td>" + itoa(last) + "</td><td>16</td><td>16</td><td>16</td></tr>", // min, p50, p99, max
		"Not applicable to packed output"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(page, "0 successful text rows") {
		t.Error("report counts packed rows as 0 text rows")
	}

	arrow := filepath.Join(out, "part-00000.arrow")
	spanRE := regexp.MustCompile(`<span [^>]*>([^<]*)</span>`)
	for _, c := range []struct {
		row    string
		lo, hi int
	}{{"0", 0, 16}, {itoa(rows - 1), 16 * (rows - 1), len(ids)}} {
		html := filepath.Join(dir, "row"+c.row+".html")
		stdout := mustTokenize(t, "show", arrow, "--row", c.row, "-o", html)
		if !strings.Contains(stdout, "packed, "+itoa(c.hi-c.lo)+" tokens") {
			t.Errorf("show stdout %q", stdout)
		}
		b, _ := os.ReadFile(html)
		var joined strings.Builder
		spans := spanRE.FindAllStringSubmatch(string(b), -1)
		for _, m := range spans {
			joined.WriteString(stdhtml.UnescapeString(m[1]))
		}
		want, err := tok.DecodeString(ids[c.lo:c.hi])
		if err != nil {
			t.Fatal(err)
		}
		if joined.String() != want || len(spans) != c.hi-c.lo || !strings.Contains(string(b), "packed sequence ("+itoa(c.hi-c.lo)+" of 16 slots used") {
			t.Errorf("row %s: %d spans %q, want %d spans %q\n%s", c.row, len(spans), joined.String(), c.hi-c.lo, want, b)
		}
	}
	code, _, errs := tokenize(t, "", "show", arrow, "--row", "0", "-o", filepath.Join(dir, "p.png"))
	if code != exitUsage || !strings.Contains(errs, "row 0 is a packed sequence of text ids (--pack 16): use -o OUT.html") {
		t.Errorf("packed row as PNG: %d %s", code, errs)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
