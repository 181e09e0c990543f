package main

import (
	"bytes"
	stdhtml "html"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
	rpt "github.com/tokenfab/tokenfab/report"
	"github.com/tokenfab/tokenfab/text"
)

func mustTokenize(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := tokenize(t, "", args...)
	if code != 0 {
		t.Fatalf("tokenize %q = %d\n%s%s", args, code, out, errs)
	}
	return out
}

func decodePNG(t *testing.T, path string) ([]uint8, int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	pix := make([]uint8, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			pix = append(pix, c.R, c.G, c.B)
		}
	}
	return pix, b.Dx(), b.Dy()
}

// TestShowImageExact: tokenize a fixture image, show the row, and compare
// the PNG with the image package's resize of the decoded file: equal byte
// for byte (default ViT preset: 224×224 bilinear; Qwen2-VL: smart_resize
// target, bicubic, rows in merge order; also from float32 patches). --grid
// draws on top of it.
func TestShowImageExact(t *testing.T) {
	src := filepath.Join(testenv.Root(), "fixtures", "image", "synth_palette_trns.png")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	pix, w, h, err := image.DecodeRGB(data)
	if err != nil {
		t.Fatal(err)
	}
	qh, qw, err := image.SmartResize(h, w, 28, 56*56, 14*14*4*1280)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		preset, dtype string
		w, h          int
		f             image.Filter
	}{{"vit-base-patch16-224", "uint8", 224, 224, image.Bilinear}, {"qwen2-vl", "uint8", qw, qh, image.Bicubic},
		{"qwen2-vl", "float32", qw, qh, image.Bicubic}} {
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		mustTokenize(t, "run", src, "-o", out, "--quiet", "--image-preset", c.preset, "--patch-dtype", c.dtype)
		arrow := filepath.Join(out, "part-00000.arrow")
		mustTokenize(t, "show", arrow, "--row", "0", "-o", filepath.Join(dir, "img.png"))
		got, gw, gh := decodePNG(t, filepath.Join(dir, "img.png"))
		want, err := image.Resize(pix, w, h, c.w, c.h, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if gw != c.w || gh != c.h || !bytes.Equal(got, want) {
			t.Errorf("%s: show gives %dx%d, want %dx%d; pixels equal: %v", c.preset, gw, gh, c.w, c.h, bytes.Equal(got, want))
		}
		mustTokenize(t, "show", arrow, "--row", "0", "--grid", "-o", filepath.Join(dir, "grid.png"))
		grid, _, _ := decodePNG(t, filepath.Join(dir, "grid.png"))
		p := map[string]int{"vit-base-patch16-224": 16, "qwen2-vl": 14}[c.preset]
		at := func(x, y int) []uint8 { return grid[(y*gw+x)*3 : (y*gw+x)*3+3] }
		if !slices.Equal(at(p, 5), []uint8{255, 0, 255}) || !slices.Equal(at(5, p), []uint8{255, 0, 255}) {
			t.Errorf("%s --grid: no patch line at %d: %v %v", c.preset, p, at(p, 5), at(5, p))
		}
		if !bytes.Equal(at(p+1, p+1), want[((p+1)*gw+p+1)*3:((p+1)*gw+p+2)*3]) {
			t.Errorf("%s --grid changed a pixel inside a patch", c.preset)
		}
		mustTokenize(t, "show", arrow, "--row", "0", "-o", filepath.Join(dir, "img.html"))
		html, _ := os.ReadFile(filepath.Join(dir, "img.html"))
		if !bytes.Contains(html, []byte(`src="data:image/png;base64,`)) {
			t.Errorf("%s: HTML does not embed the PNG", c.preset)
		}
	}
}

// TestShowOtherRows: the sample's audio row gives an n_mels·3-pixel-high
// heatmap with one column per frame, a text row gives HTML whose spans
// concatenate to the file's text, error rows and text-as-PNG are refused.
func TestShowOtherRows(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	wav, err := os.ReadFile(filepath.Join(sample, "audio", "librivox_0930.wav"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(in, "a.wav"), wav, 0o644)
	os.WriteFile(filepath.Join(in, "b.txt"), []byte("Tokens <b>&</b> ümlauts 🙂"), 0o644)
	os.WriteFile(filepath.Join(in, "c.jsonl"), []byte("{bad\n"), 0o644)
	out := filepath.Join(dir, "out")
	mustTokenize(t, "run", in, "-o", out, "--quiet")
	arrow := filepath.Join(out, "part-00000.arrow")

	mustTokenize(t, "show", arrow, "--row", "0", "-o", filepath.Join(dir, "mel.png"))
	_, w, h := decodePNG(t, filepath.Join(dir, "mel.png"))
	if w != 3000 || h != 80*3 { // whisper-80: one 30-s chunk of 3000 frames
		t.Errorf("mel heatmap %dx%d, want 3000x240", w, h)
	}

	mustTokenize(t, "show", arrow, "--row", "1", "-o", filepath.Join(dir, "text.html"))
	html, _ := os.ReadFile(filepath.Join(dir, "text.html"))
	var joined strings.Builder
	spans := regexp.MustCompile(`<span [^>]*>([^<]*)</span>`).FindAllStringSubmatch(string(html), -1)
	for _, m := range spans {
		joined.WriteString(stdhtml.UnescapeString(m[1]))
	}
	if want := "Tokens <b>&</b> ümlauts 🙂"; joined.String() != want || len(spans) < 6 {
		t.Errorf("%d token spans give %q, want %q", len(spans), joined.String(), want)
	}
	if code, _, errs := tokenize(t, "", "show", arrow, "--row", "1", "-o", filepath.Join(dir, "text.png")); code != exitUsage || !strings.Contains(errs, "OUT.html") {
		t.Errorf("text row as PNG: %d %s", code, errs)
	}
	// Row problems are exit 1 (not 3, which is I/O), without the usage hint.
	if code, _, errs := tokenize(t, "", "show", arrow, "--row", "2", "-o", filepath.Join(dir, "e.png")); code != exitUsage || !strings.Contains(errs, "bad_json") || strings.Contains(errs, usageHint) {
		t.Errorf("error row: %d %s", code, errs)
	}
	if code, _, errs := tokenize(t, "", "show", arrow, "--row", "9", "-o", filepath.Join(dir, "e.png")); code != exitUsage || !strings.Contains(errs, "has 3 rows") {
		t.Errorf("row past the end: %d %s", code, errs)
	}
	if code, _, errs := tokenize(t, "", "show", filepath.Join(dir, "missing.arrow"), "--row", "0", "-o", filepath.Join(dir, "e.png")); code != exitFailed {
		t.Errorf("missing file: %d %s, want exit 3", code, errs)
	}
}

// TestShowVideo: the sample clip's contact sheet holds its frames (for
// qwen2-vl: grid t × 2 frames of the grid's size) and its timestamps.
func TestShowVideo(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	testenv.Tool(t, "ffprobe")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	mustTokenize(t, "run", filepath.Join(sample, "video"), "-o", out, "--quiet")
	arrow := filepath.Join(out, "part-00000.arrow")
	r, err := rpt.ReadRow(arrow, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Modality != "video" || r.Error != "" {
		t.Fatalf("row 0: %s %s", r.Modality, r.Error)
	}
	mustTokenize(t, "show", arrow, "--row", "0", "-o", filepath.Join(dir, "v.png"))
	_, w, h := decodePNG(t, filepath.Join(dir, "v.png"))
	frames := int(r.Grid[0]) * 2
	fw, fh := int(r.Grid[2])*14, int(r.Grid[1])*14
	cols := min(4, frames)
	lines := (frames + cols - 1) / cols
	if w != cols*(fw+4)+4 || h != lines*(fh+16+4)+4 {
		t.Errorf("contact sheet %dx%d for %d frames of %dx%d", w, h, frames, fw, fh)
	}
	if len(r.Timestamps) == 0 || len(r.Timestamps) > frames {
		t.Errorf("%d timestamps for %d frames", len(r.Timestamps), frames)
	}
}

// reportInput writes two text files (one over 4096 tokens) and a bad
// manifest line, and returns the dir and the text sizes in bytes.
func reportInput(t *testing.T) (string, []int64, []int) {
	in := filepath.Join(t.TempDir(), "in")
	os.MkdirAll(in, 0o755)
	short := "A short one.\n"
	long := strings.Repeat("tokens per byte differ by language; ", 700)
	os.WriteFile(filepath.Join(in, "a.txt"), []byte(short), 0o644)
	os.WriteFile(filepath.Join(in, "b.txt"), []byte(long), 0o644)
	os.WriteFile(filepath.Join(in, "c.jsonl"), []byte("{\"text\": \"ok\"}\nnot json\n"), 0o644)
	tok, err := text.New(text.Config{Encoding: "o200k_base"})
	if err != nil {
		t.Fatal(err)
	}
	return in, []int64{int64(len(short)), int64(len(long)), 2}, []int{tok.Count([]byte(short)), tok.Count([]byte(long)), 1}
}

// TestReportStats: per-row bytes, token counts, context fit, errors for
// an unsharded IPC-file run, and the same numbers from a sharded
// arrow-stream run of the same inputs, before and after finalize.
func TestReportStats(t *testing.T) {
	in, sizes, counts := reportInput(t)
	if counts[1] <= 4096 || counts[1] > 8192 {
		t.Fatalf("long text has %d tokens; the test wants 4096 < n <= 8192", counts[1])
	}
	plain := filepath.Join(t.TempDir(), "plain")
	mustTokenize(t, "run", in, "-o", plain, "--quiet")
	sharded := filepath.Join(t.TempDir(), "sharded")
	for _, i := range []string{"0", "1"} {
		mustTokenize(t, "run", in, "-o", sharded, "--quiet", "--format", "arrow-stream", "--num-shards", "2", "--shard-index", i)
	}
	unfinalized := filepath.Join(t.TempDir(), "unfinalized")
	if err := os.CopyFS(unfinalized, os.DirFS(sharded)); err != nil {
		t.Fatal(err)
	}
	mustTokenize(t, "finalize", sharded)
	for _, dir := range []string{plain, sharded, unfinalized} {
		st, err := rpt.Build(dir)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rows != 4 || !slices.Equal(st.TextBytes, sizes) {
			t.Errorf("%s: rows %d, text bytes %v; want 4, %v", dir, st.Rows, st.TextBytes, sizes)
		}
		var toks []int
		for _, n := range st.Tokens["text"] {
			toks = append(toks, int(n))
		}
		if !slices.Equal(toks, counts) || !slices.Equal(st.Over, []int64{1, 0, 0, 0}) {
			t.Errorf("%s: tokens %v over %v; want %v and [1 0 0 0]", dir, toks, st.Over, counts)
		}
		if st.ErrorRows["bad_json"] != 1 || len(st.ErrorRows) != 1 || st.SummaryErrors()["bad_json"].Count != 1 {
			t.Errorf("%s: errors %v", dir, st.ErrorRows)
		}
		ratio, srcKind, ok := st.TextTokensPerByte()
		want := float64(counts[0]+counts[1]+counts[2]) / float64(sizes[0]+sizes[1]+sizes[2])
		if !ok || srcKind != "rows" || ratio != want {
			t.Errorf("%s: tokens per byte %v %s, want %v rows", dir, ratio, srcKind, want)
		}
	}
	st, _ := rpt.Build(sharded)
	if st.Out.Manifest == nil || len(st.Out.Summaries) != 2 || st.Out.DoneShards != 2 || !strings.HasSuffix(st.Out.Files[0], ".arrows") {
		t.Errorf("sharded: manifest %v, %d summaries, %d markers, files %v", st.Out.Manifest != nil, len(st.Out.Summaries), st.Out.DoneShards, st.Out.Files)
	}
	mustTokenize(t, "report", plain)
	html, err := os.ReadFile(filepath.Join(plain, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<td>4096</td><td>1</td><td>2</td>", "<td>131072</td><td>0</td><td>3</td>", `<td class="l">bad_json</td><td>1</td><td>1</td>`, `src="data:image/png;base64,`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report lacks %s", want)
		}
	}
	for _, bad := range []string{"http://", "https://", `src="/`, "ZgotmplZ"} {
		if strings.Contains(string(html), bad) {
			t.Errorf("report is not self-contained / has %q", bad)
		}
	}
}

// TestReportChromium: the sample's report renders in headless Chromium to a
// 1200×1600 screenshot with visible content.
func TestReportChromium(t *testing.T) {
	chromium := testenv.Tool(t, "chromium")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	mustTokenize(t, "run", sample, "-o", out, "--quiet")
	page := filepath.Join(dir, "report.html")
	mustTokenize(t, "report", out, "-o", page)
	shot := filepath.Join(dir, "shot.png")
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--screenshot="+shot, "--window-size=1200,1600", "file://"+page)
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(90 * time.Second):
			cmd.Process.Kill()
		}
	}()
	msg, err := cmd.CombinedOutput()
	close(done)
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, msg)
	}
	pix, w, h := decodePNG(t, shot)
	if w != 1200 || h != 1600 {
		t.Fatalf("screenshot %dx%d, want 1200x1600", w, h)
	}
	var sum, sq float64
	white := 0
	for i := 0; i < len(pix); i += 3 {
		v := float64(pix[i]) + float64(pix[i+1]) + float64(pix[i+2])
		sum += v
		sq += v * v
		if pix[i] == 255 && pix[i+1] == 255 && pix[i+2] == 255 {
			white++
		}
	}
	n := float64(len(pix) / 3)
	variance := sq/n - (sum/n)*(sum/n)
	if variance < 1000 || white == len(pix)/3 {
		t.Errorf("screenshot looks blank: variance %.0f, %d of %d pixels white", variance, white, len(pix)/3)
	}
	// A chart was drawn: the histograms' grey bars (128,128,128) appear.
	grey := 0
	for i := 0; i < len(pix); i += 3 {
		if pix[i] == 128 && pix[i+1] == 128 && pix[i+2] == 128 {
			grey++
		}
	}
	if grey < 1000 {
		t.Errorf("no chart bars in the screenshot (%d grey pixels)", grey)
	}
}
