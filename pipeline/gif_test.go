package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	stdgif "image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/video"
)

// TestGIFFrames: the block walker counts the frames image/gif decodes, and
// stops at the limit and at truncation.
func TestGIFFrames(t *testing.T) {
	for _, p := range []string{"fixtures/video/anim_80x45.gif", "fixtures/sample/images/hopper.gif", "fixtures/image/synth_trns.gif"} {
		data, err := os.ReadFile(filepath.Join(testenv.Root(), p))
		if err != nil {
			t.Fatal(err)
		}
		g, err := stdgif.DecodeAll(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if n := gifFrames(data, 1<<30); n != len(g.Image) {
			t.Errorf("%s: %d frames, image/gif %d", p, n, len(g.Image))
		}
		if n := gifFrames(data, 2); n != min(2, len(g.Image)) {
			t.Errorf("%s: limit 2 gave %d", p, n)
		}
		if n := gifFrames(data[:len(data)/2], 1<<30); n >= len(g.Image) && len(g.Image) > 1 {
			t.Errorf("%s: half the file counts %d of %d frames", p, n, len(g.Image))
		}
	}
	if n := gifFrames([]byte("GIF89a"), 2); n != 0 {
		t.Errorf("header only: %d", n)
	}
}

// TestGIFAsVideo: with GIFAsVideo an animated GIF is a video row equal to
// the video package's tokens of the file, a still GIF stays an image row;
// without it both are images. GIFAsVideo without a video tokenizer is
// refused.
func TestGIFAsVideo(t *testing.T) {
	anim := videoFixture(t, "anim_80x45.gif")
	still, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "sample", "images", "hopper.gif"))
	if err != nil {
		t.Fatal(err)
	}
	if gifFrames(anim, 2) != 2 || gifFrames(still, 2) != 1 {
		t.Fatalf("fixtures: anim %d, still %d frames", gifFrames(anim, 2), gifFrames(still, 2))
	}
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a/anim.gif": string(anim), "b/still.gif": string(still)})
	_, img := newImageTok(t, image.Config{})
	vtok, vid := newVideoTok(t, video.Config{GIF: "go"})
	want, err := vtok.Tokenize(context.Background(), anim)
	if err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{true, false} {
		out := t.TempDir()
		if _, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, GIFAsVideo: on,
			Modalities: []Modality{img, vid}}); err != nil {
			t.Fatal(err)
		}
		rows, schema := readVideoRows(t, out)
		if len(rows) != 2 || rows[0].ID != "a/anim.gif" || rows[1].ID != "b/still.gif" {
			t.Fatalf("GIFAsVideo %v: rows %+v", on, rows)
		}
		a, s := rows[0], rows[1]
		if s.Error != "" || s.Modality != ModImage || s.imgPatchNull || !s.patchesNull || s.grid != [3]int32{1, 14, 14} {
			t.Errorf("GIFAsVideo %v: still GIF row %+v, want an image row", on, s.outRow)
		}
		tf, _ := schema.Metadata().GetValue("tokenfab")
		var meta struct {
			Options map[string]any `json:"options"`
		}
		if err := json.Unmarshal([]byte(tf), &meta); err != nil {
			t.Fatal(err)
		}
		if (meta.Options["gif_as_video"] == true) != on {
			t.Errorf("GIFAsVideo %v: options %v", on, meta.Options)
		}
		if !on {
			if a.Modality != ModImage || a.imgPatchNull || !a.patchesNull {
				t.Errorf("animated GIF without GIFAsVideo: %+v, want an image row", a.outRow)
			}
			continue
		}
		if a.Error != "" || a.Modality != ModVideo || a.patchesNull || !bytes.Equal(a.patches, want.Patches) || a.grid != want.GridTHW ||
			fmt.Sprint(a.ts) != fmt.Sprint(want.Timestamps) || int(a.NumTokens) != want.NumTokens || !a.imgPatchNull {
			t.Errorf("animated GIF row %+v grid %v ts %v, want the video package's grid %v ts %v tokens %d", a.outRow, a.grid, a.ts, want.GridTHW, want.Timestamps, want.NumTokens)
		}
		if want.NumFrames < 2 || len(a.ts) != want.NumFrames {
			t.Errorf("animated GIF: %d timestamps, %d frames sampled", len(a.ts), want.NumFrames)
		}
	}
	_, err = Run(context.Background(), Options{Inputs: []string{src}, OutputDir: t.TempDir(), GIFAsVideo: true, Modalities: []Modality{img}})
	if _, ok := err.(*ConfigError); !ok || !strings.Contains(err.Error(), "GIFAsVideo needs a video tokenizer") {
		t.Errorf("GIFAsVideo without video: %v", err)
	}
}

// TestWebPAsVideo: GIFAsVideo makes an animated WebP a video row, equal to
// the video package's Tokenize (decoded in Go, no ffmpeg needed), and
// leaves a still WebP an image row; without it both are images.
func TestWebPAsVideo(t *testing.T) {
	anim := readFixture(t, "image", "synth_anim_lossy.webp")
	still := readFixture(t, "image", "synth_lossy.webp")
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.webp": string(anim), "b.webp": string(still)})
	_, img := newImageTok(t, image.Config{})
	vtok, err := video.New(video.Config{Preset: "vit-base-patch16-224", Sampling: video.SampleAll})
	if err != nil {
		t.Fatal(err)
	}
	vid, err := NewVideo(vtok)
	if err != nil {
		t.Fatal(err)
	}
	want, err := vtok.Tokenize(context.Background(), anim)
	if err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{true, false} {
		out := t.TempDir()
		if _, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, GIFAsVideo: on,
			Modalities: []Modality{img, vid}}); err != nil {
			t.Fatal(err)
		}
		rows, _ := readVideoRows(t, out)
		if len(rows) != 2 || rows[1].Modality != ModImage || rows[1].Error != "" || rows[1].imgPatchNull {
			t.Fatalf("GIFAsVideo %v: rows %+v", on, rows)
		}
		a := rows[0]
		if !on {
			if a.Modality != ModImage || a.imgPatchNull {
				t.Errorf("animated WebP without GIFAsVideo: %+v, want an image row", a.outRow)
			}
			continue
		}
		if a.Error != "" || a.Modality != ModVideo || !bytes.Equal(a.patches, want.Patches) || a.grid != want.GridTHW ||
			fmt.Sprint(a.ts) != "[0 0.04 0.08 0.12]" || fmt.Sprint(want.Timestamps) != fmt.Sprint(a.ts) {
			t.Errorf("animated WebP row %+v grid %v ts %v, want the video package's grid %v ts %v", a.outRow, a.grid, a.ts, want.GridTHW, want.Timestamps)
		}
	}
}
