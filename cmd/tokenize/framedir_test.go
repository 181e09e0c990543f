package main

import (
	"bytes"
	"context"
	"fmt"
	stdimage "image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/pipeline"
	"github.com/tokenfab/tokenfab/video"
)

// videoRow is one row of a run's part file with its video columns.
type videoRow struct {
	id, modality, err string
	grid              [3]int32
	ts                []float64
	patches           []uint8
}

func readVideoOut(t *testing.T, out string) []videoRow {
	t.Helper()
	r := openArrow(t, filepath.Join(out, "part-00000.arrow"))
	var rows []videoRow
	sc := r.Schema()
	for b := range r.NumRecords() {
		rec, err := r.RecordBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		col := func(name string) arrow.Array { return rec.Column(sc.FieldIndices(name)[0]) }
		ids, mods, errs := col("id").(*array.String), col("modality").(*array.String), col("error").(*array.String)
		grid, ts, vp := col("grid_thw").(*array.FixedSizeList), col("timestamps").(*array.List), col("video_patches").(*array.List)
		gv := grid.ListValues().(*array.Int32).Int32Values()
		tv := ts.ListValues().(*array.Float64).Float64Values()
		fsl := vp.ListValues().(*array.FixedSizeList)
		w := int64(fsl.DataType().(*arrow.FixedSizeListType).Len())
		pv := fsl.ListValues().(*array.Uint8).Uint8Values()
		for k := range int(rec.NumRows()) {
			row := videoRow{id: ids.Value(k), modality: mods.Value(k), err: errs.Value(k)}
			if !grid.IsNull(k) {
				copy(row.grid[:], gv[3*k:3*k+3])
			}
			if !ts.IsNull(k) {
				s, e := ts.ValueOffsets(k)
				row.ts = append([]float64{}, tv[s:e]...)
			}
			if !vp.IsNull(k) {
				s, e := vp.ValueOffsets(k)
				row.patches = append([]uint8{}, pv[s*w:e*w]...)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// writeFrames writes n distinct 64×48 PNG frames 0000.png… into dir and
// returns their paths.
func writeFrames(t *testing.T, dir string, n int) []string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for k := range n {
		img := stdimage.NewRGBA(stdimage.Rect(0, 0, 64, 48))
		for y := range 48 {
			for x := range 64 {
				o := img.PixOffset(x, y)
				img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = uint8(x*4+k*40), uint8(y*5), uint8(k*50), 255
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%04d.png", k))
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestRunWithoutFFmpeg (issue #6, must-show 4): a real `tokenize run`
// process whose PATH has no ffmpeg or ffprobe, over a directory holding an
// animated GIF and an animated WebP (--gif-as-video), a frame directory
// (x.frames) and an MP4, plus a manifest whose --video-field names a frame
// directory. The GIF, the WebP and both frame directories tokenize (equal
// to the video package's own results: the Go GIF compositor, the Go WebP
// decoder, TokenizeFrameFiles at
// --video-frame-rate 10, so frame k is at k/10 s); the MP4 is an error
// row saying to install ffmpeg; the job goes on and exits 0.
func TestRunWithoutFFmpeg(t *testing.T) {
	src, man := filepath.Join(t.TempDir(), "in"), filepath.Join(t.TempDir(), "man")
	gif, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "video", "anim_80x45.gif"))
	if err != nil {
		t.Fatal(err)
	}
	mp4, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "video", "vfr_160x90.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	webp, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "image", "synth_anim_lossy.webp"))
	if err != nil {
		t.Fatal(err)
	}
	paths := writeFrames(t, filepath.Join(src, "b.frames"), 6)
	writeFrames(t, filepath.Join(man, "shots", "s1"), 6)
	for p, data := range map[string][]byte{
		filepath.Join(src, "a.gif"):   gif,
		filepath.Join(src, "c.mp4"):   mp4,
		filepath.Join(src, "d.webp"):  webp,
		filepath.Join(man, "m.jsonl"): []byte(`{"id":"m1","clip":"shots/s1"}` + "\n"),
	} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	empty := t.TempDir() // the PATH: no ffmpeg, no ffprobe
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(os.Args[0], "run", src, filepath.Join(man, "m.jsonl"), "-o", out, "-q",
		"--gif-as-video", "--video-field", "clip", "--video-frame-rate", "10")
	cmd.Env = append(os.Environ(), cliEnv+"=1", "PATH="+empty)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tokenize run without ffmpeg: %v\n%s", err, stderr.String())
	}
	rows := readVideoOut(t, out)
	var got []string
	for _, r := range rows {
		got = append(got, r.id+"/"+r.modality)
	}
	if s := fmt.Sprint(got); s != "[a.gif/video b.frames/video c.mp4/video d.webp/video m1/video]" {
		t.Fatalf("rows %s", s)
	}
	if e := rows[2].err; !strings.HasPrefix(e, "tokenize: ") || !strings.Contains(e, "install ffmpeg") || !strings.Contains(e, "ffprobe") {
		t.Errorf("the MP4 row's error %q does not say to install ffmpeg", e)
	}
	// The references, computed here (this process may have ffmpeg: the
	// GIF decoder is pinned to Go, which video.TestGIFDisposalVsFFmpeg holds
	// equal to ffmpeg).
	gtok, _ := video.New(video.Config{GIF: "go"})
	wantGIF, err := gtok.Tokenize(context.Background(), gif)
	if err != nil {
		t.Fatal(err)
	}
	ftok, _ := video.New(video.Config{FrameRate: 10})
	wantFrames, err := ftok.TokenizeFrameFiles(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(wantFrames.Timestamps, []float64{0, 0.1, 0.3, 0.4}) {
		t.Fatalf("reference frame timestamps %v, want 0, 0.1, 0.3, 0.4 (frames 0,1,3,4 of 6 at 10 fps)", wantFrames.Timestamps)
	}
	wantWebP, err := gtok.Tokenize(context.Background(), webp)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]*video.Tokens{0: wantGIF, 1: wantFrames, 3: wantWebP, 4: wantFrames} {
		r := rows[i]
		if r.err != "" || r.grid != want.GridTHW || !slices.Equal(r.ts, want.Timestamps) || !bytes.Equal(r.patches, want.Patches) || len(r.patches) == 0 {
			t.Errorf("row %s: error %q grid %v timestamps %v (%d patch bytes); want grid %v timestamps %v (%d)",
				r.id, r.err, r.grid, r.ts, len(r.patches), want.GridTHW, want.Timestamps, len(want.Patches))
		}
	}
	rep, err := pipeline.Inspect(filepath.Join(out, "part-00000.arrow"))
	if err != nil || rep.Rows != 5 || rep.Errors != 1 {
		t.Errorf("inspect: %+v, %v; want 5 rows, 1 error", rep, err)
	}
}

// TestVideoFrameRateFlag: --video-frame-rate must be a positive number,
// and run's help states the frame-directory rule and the flag's default.
func TestVideoFrameRateFlag(t *testing.T) {
	dir := t.TempDir()
	writeFrames(t, filepath.Join(dir, "x.frames"), 2)
	for _, v := range []string{"0", "-2", "NaN", "+Inf"} {
		code, _, stderr := tokenize(t, "", "run", dir, "-o", filepath.Join(t.TempDir(), "out"), "--video-frame-rate", v)
		if code != exitUsage || !strings.Contains(stderr, "--video-frame-rate") {
			t.Errorf("--video-frame-rate %s: exit %d, %q; want a usage error naming the flag", v, code, stderr)
		}
	}
	_, help, _ := tokenize(t, "", "run", "--help")
	for _, want := range []string{"name ends in .frames", "--video-frame-rate float", "(default 1)", "skipped.frame_dir_other"} {
		if !strings.Contains(help, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
}
