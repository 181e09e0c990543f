package report

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/palette/moreland"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
)

// describe gives a tokenizer description as it comes back from the Arrow
// metadata (a JSON round trip), with patch_dim added as the pipeline does.
func describe(t *testing.T, d map[string]any, dim int) map[string]any {
	t.Helper()
	d["patch_dim"] = dim
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func pixelsOf(img interface {
	At(x, y int) color.Color
}, w, h int) []uint8 {
	out := make([]uint8, 0, w*h*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			out = append(out, uint8(r>>8), uint8(g>>8), uint8(b>>8))
		}
	}
	return out
}

// TestImageOfEveryPreset: the image put back together from the patches is
// the tokenizer's final image, byte for byte, for every preset's layout
// (raster, Qwen merge groups with T=2, Fuyu hwc with padding, CLIP crop).
func TestImageOfEveryPreset(t *testing.T) {
	files := []string{
		filepath.Join(testenv.Root(), "fixtures", "image", "synth_70x70.png"),
		filepath.Join(testenv.Root(), "fixtures", "sample", "images", "hopper.gif"),
	}
	for _, preset := range image.Presets() {
		if preset == "igpt" { // needs a palette; same raster layout with patch 1
			continue
		}
		tok, err := image.New(image.Config{Preset: preset})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			tk, err := tok.Tokenize(context.Background(), data)
			if err != nil {
				t.Fatal(err)
			}
			r := &Row{Modality: "image", Patches: tk.Patches, PatchDim: tk.PatchDim, PatchDType: "uint8",
				Grid: tk.GridTHW, HasGrid: true,
				Meta: &Meta{Tokenizers: map[string]map[string]any{"image": describe(t, tok.Describe(), tk.PatchDim)}}}
			img, err := ImageOf(r, false)
			if err != nil {
				t.Fatalf("%s %s: %v", preset, f, err)
			}
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			p := w / int(tk.GridTHW[2])
			if int(tk.GridTHW[2])*p != w || int(tk.GridTHW[1])*p != h || w > tk.ImageWidth || h > tk.ImageHeight {
				t.Fatalf("%s: image %dx%d for grid %v of a %dx%d image", preset, w, h, tk.GridTHW, tk.ImageWidth, tk.ImageHeight)
			}
			// SigLIP-384/14 drops the last 6 pixels: compare the covered part.
			want := make([]uint8, 0, w*h*3)
			for y := 0; y < h; y++ {
				want = append(want, tk.Image[y*tk.ImageWidth*3:(y*tk.ImageWidth+w)*3]...)
			}
			if got := pixelsOf(img, w, h); !bytes.Equal(got, want) {
				t.Errorf("%s %s: reassembled image differs from the tokenizer's image", preset, filepath.Base(f))
			}
			if preset == "vit-base-patch16-224" || preset == "qwen2-vl" {
				// And it is the image package's own resize of the decoded file.
				pix, sw, sh, err := image.DecodeRGB(data)
				if err != nil {
					t.Fatal(err)
				}
				filter := image.Bilinear
				if preset == "qwen2-vl" {
					filter = image.Bicubic
				}
				rs, err := image.Resize(pix, sw, sh, w, h, filter)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(pixelsOf(img, w, h), rs) {
					t.Errorf("%s %s: reassembled image is not image.Resize's output", preset, filepath.Base(f))
				}
			}
			// float32 patches (--patch-dtype float32) give the same image.
			rf := *r
			rf.Patches, rf.PatchValues, rf.PatchDType = nil, tok.PatchValues(tk), "float32"
			fimg, err := ImageOf(&rf, false)
			if err != nil {
				t.Fatalf("%s float32: %v", preset, err)
			}
			if !bytes.Equal(fimg.Pix, img.Pix) {
				t.Errorf("%s %s: float32 patches give another image", preset, filepath.Base(f))
			}
			g, err := ImageOf(r, true)
			if err != nil {
				t.Fatal(err)
			}
			l, _ := LayoutOf(r.Meta.Tokenizers["image"], r.PatchDim)
			if c := color.NRGBAModel.Convert(g.At(l.PatchSize, 3)).(color.NRGBA); c != (color.NRGBA{255, 0, 255, 255}) && c != (color.NRGBA{255, 255, 0, 255}) {
				t.Errorf("%s: --grid has no line at x=%d: %v", preset, l.PatchSize, c)
			}
		}
	}
}

// TestFramesQwenVideo: 4 distinct frames through TokenizeFrames (Qwen2-VL,
// temporal patch 2, merge 2) come back as the 4 resized frames in order.
func TestFramesQwenVideo(t *testing.T) {
	tok, err := image.New(image.Config{Preset: "qwen2-vl"})
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 90, 60
	rng := rand.New(rand.NewPCG(1, 2))
	frames := make([][]uint8, 4)
	for i := range frames {
		frames[i] = make([]uint8, w*h*3)
		for j := range frames[i] {
			frames[i][j] = uint8(rng.IntN(256))
		}
	}
	tk, err := tok.TokenizeFrames(context.Background(), frames, w, h)
	if err != nil {
		t.Fatal(err)
	}
	l, err := LayoutOf(describe(t, tok.Describe(), tk.PatchDim), tk.PatchDim)
	if err != nil {
		t.Fatal(err)
	}
	if l != (Layout{PatchSize: 14, Temporal: 2, Merge: 2}) {
		t.Fatalf("layout %+v", l)
	}
	got, fw, fh, err := Frames(tk.Patches, tk.GridTHW, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || fw != tk.ImageWidth || fh != tk.ImageHeight {
		t.Fatalf("%d frames of %dx%d, want 4 of %dx%d", len(got), fw, fh, tk.ImageWidth, tk.ImageHeight)
	}
	n := fw * fh * 3
	for i, f := range got {
		if !bytes.Equal(f, tk.Image[i*n:(i+1)*n]) {
			t.Errorf("frame %d differs", i)
		}
	}
	if bytes.Equal(got[0], got[1]) {
		t.Error("frames 0 and 1 are equal: the temporal slots were not separated")
	}
}

func TestFramesRejectsBadShapes(t *testing.T) {
	l := Layout{PatchSize: 2, Temporal: 1, Merge: 2}
	if _, _, _, err := Frames(make([]uint8, 12*2), [3]int32{1, 1, 2}, l); err == nil || !strings.Contains(err.Error(), "merge") {
		t.Errorf("odd grid for merge 2: err = %v", err)
	}
	if _, _, _, err := Frames(make([]uint8, 5), [3]int32{1, 2, 2}, l); err == nil {
		t.Error("short patches: no error")
	}
}

// TestMelImage: size, orientation (low mel bands at the bottom) and the
// colour map's ends.
func TestMelImage(t *testing.T) {
	r := &Row{Mel: []float32{0, 1, 2, 3}, NMels: 2}
	img, err := MelImage(r)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 2 || b.Dy() != 6 {
		t.Fatalf("size %v, want 2x6", b)
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(0)
	cm.SetMax(3)
	lo, _ := cm.At(0)
	hi, _ := cm.At(3)
	conv := func(c color.Color) color.NRGBA { return color.NRGBAModel.Convert(c).(color.NRGBA) }
	if got := conv(img.At(0, 5)); got != conv(lo) { // frame 0, mel 0: bottom left
		t.Errorf("bottom left %v, want %v", got, conv(lo))
	}
	if got := conv(img.At(1, 0)); got != conv(hi) { // frame 1, mel 1: top right
		t.Errorf("top right %v, want %v", got, conv(hi))
	}
	if conv(lo) == conv(hi) {
		t.Fatal("colour map ends are equal")
	}
}

func textMeta() *Meta {
	return &Meta{Tokenizers: map[string]map[string]any{"text": {"name": "o200k_base",
		"options": map[string]any{"encoding": "o200k_base", "pattern": "o200k", "add_eos": true, "eos": "<|endoftext|>",
			"special_tokens": map[string]any{"<|endoftext|>": float64(199999)}}}}}
}

// TestTextDecoder: ids of "hello world" (tiktoken o200k_base: 24912, 2375)
// plus the EOS the job added.
func TestTextDecoder(t *testing.T) {
	td, err := NewTextDecoder(textMeta())
	if err != nil {
		t.Fatal(err)
	}
	n, err := td.InputBytes([]int32{24912, 2375, 199999})
	if err != nil || n != len("hello world") {
		t.Errorf("InputBytes = %d, %v; want 11", n, err)
	}
	var b bytes.Buffer
	r := &Row{Modality: "text", InputIDs: []int32{24912, 2375, 199999}, Meta: textMeta()}
	if err := WriteTextHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<span class="a" title="#0 id 24912 &#34;hello&#34;">hello</span>`,
		`<span class="b" title="#1 id 2375 &#34; world&#34;"> world</span>`,
		`<span class="c s" title="#2 id 199999 &#34;&lt;|endoftext|&gt;&#34;">&lt;|endoftext|&gt;</span>`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("HTML lacks %s:\n%s", want, b.String())
		}
	}
}
