package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	stdimage "image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/video"
)

// framePNGs returns n distinct w×h PNG frames (a gradient that moves with
// the frame number, so every frame differs).
func framePNGs(t testing.TB, n, w, h int) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for k := range n {
		img := stdimage.NewRGBA(stdimage.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				o := img.PixOffset(x, y)
				img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = uint8(x*4+k*40), uint8(y*5), uint8(k*50), 255
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		out[k] = b.Bytes()
	}
	return out
}

// newFrameVideoTok is a video tokenizer for frame directories: it needs no
// ffmpeg. vit-base takes 4 uniform frames (0, 1, 3, 4 of 6), 196 patches
// each; FrameRate 4 puts frame k at k/4 s.
func newFrameVideoTok(t testing.TB) (*video.Tokenizer, Modality) {
	t.Helper()
	tok, err := video.New(video.Config{Preset: "vit-base-patch16-224", NumFrames: 4, FrameRate: 4})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewVideo(tok)
	if err != nil {
		t.Fatal(err)
	}
	return tok, m
}

// TestFrameDirectories: the frame-directory rule (pipeline/frames.go).
// A walked directory named *.frames, one named on the command line, and a
// directory named by a manifest's video field are each one video row whose
// patches, grid and timestamps equal video.TokenizeFrameFiles on the same
// files (frame k at k/FrameRate s); any other directory of images stays an
// image dataset (a row per image). Non-frame entries are skipped and
// counted; bad directories are error rows with their kind: unpadded
// numbers (tokenize), no frames (tokenize), a frame symlink or a manifest
// path leaving the root (outside_root). With VideoAudio, frame
// directories get no audio row (they have no sound). No ffmpeg is used.
func TestFrameDirectories(t *testing.T) {
	frames := framePNGs(t, 6, 64, 48)
	src := t.TempDir()
	tree := map[string]string{
		"data/imgs/a.png":             string(frames[0]),
		"data/imgs/b.png":             string(frames[1]),
		"data/clip.frames/notes.txt":  "not a frame",
		"data/clip.frames/.DS_Store":  "hidden",
		"data/clip.frames/sub/x.png":  string(frames[2]), // not descended into
		"data/bad.frames/f_1.png":     string(frames[0]),
		"data/bad.frames/f_2.png":     string(frames[1]),
		"data/bad.frames/f_10.png":    string(frames[2]),
		"data/empty.frames/README.md": "no frames here",
		"data/esc.frames/f_000.png":   string(frames[0]),
		"m/shots/s1/meta.json":        "{}",
		"m/x.jsonl": `{"id":"d1","clip":"shots/s1"}` + "\n" +
			`{"id":"d2","clip":"../data/clip.frames"}` + "\n" +
			`{"id":"d3","clip":"shots/link"}` + "\n",
		"outside.png": string(frames[0]),
	}
	var paths []string
	for k, f := range frames {
		name := fmt.Sprintf("f_%03d.png", k)
		tree["data/clip.frames/"+name] = string(f)
		tree["m/shots/s1/"+name] = string(f)
		paths = append(paths, filepath.Join(src, "data", "clip.frames", name))
	}
	writeTree(t, src, tree)
	for _, l := range []struct{ target, link string }{
		{"../../outside.png", "data/esc.frames/f_001.png"}, // leaves the input root data/
		{"../../data/clip.frames", "m/shots/link"},         // leaves the manifest's directory m/
	} {
		if err := os.Symlink(l.target, filepath.Join(src, filepath.FromSlash(l.link))); err != nil {
			t.Fatal(err)
		}
	}
	vtok, vid := newFrameVideoTok(t)
	want, err := vtok.TokenizeFrameFiles(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want.FrameIndices, []int{0, 1, 3, 4}) || !slices.Equal(want.Timestamps, []float64{0, 0.25, 0.75, 1}) {
		t.Fatalf("reference: frames %v at %v, want 0,1,3,4 at 0,0.25,0.75,1", want.FrameIndices, want.Timestamps)
	}
	_, img := newImageTok(t, image.Config{})
	atok, err := audio.New(audio.Config{})
	if err != nil {
		t.Fatal(err)
	}
	va, err := NewVideoAudio(vtok, atok)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sum, err := Run(context.Background(), Options{
		Inputs:    []string{filepath.Join(src, "data"), filepath.Join(src, "m", "x.jsonl"), filepath.Join(src, "data", "clip.frames") + "/"},
		OutputDir: out, VideoField: "clip", VideoAudio: true, Modalities: []Modality{img, vid, va}})
	if err != nil {
		t.Fatal(err)
	}
	rows, schema := readVideoRows(t, out)
	var got []string
	for _, r := range rows {
		kind, _, _ := strings.Cut(r.Error, ":")
		got = append(got, fmt.Sprintf("%s/%s/%s/%s", r.ID, r.Field, r.Modality, kind))
	}
	wantRows := "[bad.frames//video/tokenize clip.frames//video/ empty.frames//video/tokenize esc.frames//video/outside_root " +
		"imgs/a.png//image/ imgs/b.png//image/ d1/clip/video/ d2/clip/video/outside_root d3/clip/video/outside_root clip.frames//video/]"
	if s := fmt.Sprint(got); s != wantRows {
		t.Fatalf("rows\n%s\nwant\n%s", s, wantRows)
	}
	for _, i := range []int{1, 6, 9} { // walked, manifest, command line
		r := rows[i]
		if r.grid != want.GridTHW || !bytes.Equal(r.patches, want.Patches) || !slices.Equal(r.ts, want.Timestamps) ||
			int(r.NumTokens) != want.NumTokens || want.NumTokens != 4*196 || !r.imgPatchNull {
			t.Errorf("row %d (%s): grid %v, %d tokens, timestamps %v; want TokenizeFrameFiles' grid %v, %d tokens, %v",
				i, r.ID, r.grid, r.NumTokens, r.ts, want.GridTHW, want.NumTokens, want.Timestamps)
		}
	}
	for i, sub := range map[int]string{0: `"f_10.png" sorts before "f_2.png"`, 2: "holds no frame images", 3: "f_001.png is a symlink", 8: "outside the manifest's directory"} {
		if !strings.Contains(rows[i].Error, sub) {
			t.Errorf("row %d (%s) error %q, want it to say %q", i, rows[i].ID, rows[i].Error, sub)
		}
	}
	if rows[4].grid != [3]int32{1, 14, 14} || rows[4].imgPatchNull {
		t.Errorf("an image directory's file: %+v, want an image row", rows[4].outRow)
	}
	// clip.frames twice (notes.txt, sub/), empty.frames' README, s1's meta.json
	if sum.Skipped["frame_dir_other"] != 6 || sum.Skipped["hidden"] != 2 {
		t.Errorf("skipped %v, want frame_dir_other 6, hidden 2", sum.Skipped)
	}
	tf, _ := schema.Metadata().GetValue("tokenfab")
	var meta struct {
		Tokenizers map[string]map[string]any `json:"tokenizers"`
	}
	if err := json.Unmarshal([]byte(tf), &meta); err != nil {
		t.Fatal(err)
	}
	if fr := meta.Tokenizers[ModVideo]["frame_rate_for_files"]; fr != 4.0 {
		t.Errorf("metadata frame_rate_for_files = %v (%s), want 4", fr, tf)
	}
}

// TestFrameDirectoryWithoutVideo: with no video tokenizer, a frame
// directory is a no_tokenizer row (the rule is by name, so the same input
// means the same thing in every job).
func TestFrameDirectoryWithoutVideo(t *testing.T) {
	frames := framePNGs(t, 2, 16, 16)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"c.frames/0.png": string(frames[0]), "c.frames/1.png": string(frames[1])})
	_, img := newImageTok(t, image.Config{})
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Modalities: []Modality{img}}); err != nil {
		t.Fatal(err)
	}
	rows, _ := readParts(t, out)
	if len(rows) != 1 || rows[0].Modality != ModVideo || !strings.HasPrefix(rows[0].Error, "no_tokenizer:") {
		t.Fatalf("rows %+v, want one no_tokenizer video row", rows)
	}
}
