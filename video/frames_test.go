package video

import (
	"bytes"
	"context"
	"fmt"
	stdimage "image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/image"
)

// TestFrameFiles: a directory of PNG frames (listed out of order) gives the
// same tokens as the GIF they came from, with FrameRate = the GIF's 10 fps
// giving the same timestamps. No ffmpeg involved.
func TestFrameFiles(t *testing.T) {
	data, err := os.ReadFile(fixture("anim_80x45.gif"))
	if err != nil {
		t.Fatal(err)
	}
	seq, err := decodeGIF(data, 1<<30, 1000)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var paths []string
	for i := len(seq.frames) - 1; i >= 0; i-- { // reverse order on purpose
		img := stdimage.NewRGBA(stdimage.Rect(0, 0, seq.w, seq.h))
		for p := 0; p < seq.w*seq.h; p++ {
			copy(img.Pix[p*4:], seq.frames[i][p*3:p*3+3])
			img.Pix[p*4+3] = 255
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		p := filepath.Join(dir, fmt.Sprintf("frame_%03d.png", i))
		os.WriteFile(p, b.Bytes(), 0o600)
		paths = append(paths, p)
	}
	cfg := Config{Preset: "qwen2-vl", GIF: "go", FrameRate: 10}
	tok, _ := New(cfg)
	a, err := tok.Tokenize(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tok.TokenizeFrameFiles(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Patches, b.Patches) || a.GridTHW != b.GridTHW || len(a.Timestamps) != len(b.Timestamps) {
		t.Fatalf("frame files differ from the GIF: grid %v vs %v", a.GridTHW, b.GridTHW)
	}
	for i := range a.Timestamps {
		if math.Abs(a.Timestamps[i]-b.Timestamps[i]) > 1e-9 || a.FrameIndices[i] != b.FrameIndices[i] {
			t.Fatalf("frame %d: %v@%v vs %v@%v", i, a.FrameIndices[i], a.Timestamps[i], b.FrameIndices[i], b.Timestamps[i])
		}
	}
	// a frame of another size is refused
	small := stdimage.NewRGBA(stdimage.Rect(0, 0, 8, 8))
	var sb bytes.Buffer
	png.Encode(&sb, small)
	odd := filepath.Join(dir, "frame_000.png")
	os.WriteFile(odd, sb.Bytes(), 0o600)
	all, _ := New(Config{Preset: "vit-base-patch16-224", Sampling: SampleAll})
	if _, err := all.TokenizeFrameFiles(context.Background(), paths); err == nil {
		t.Fatal("mixed frame sizes accepted")
	}
}

// TestPerFramePresetsEqualImage: per-frame presets (T = 1) give, frame by
// frame, exactly the image package's tokens for that frame as a PNG (whose
// PIL-exactness the image goldens check).
func TestPerFramePresetsEqualImage(t *testing.T) {
	data, _ := os.ReadFile(fixture("anim_80x45.gif"))
	seq, err := decodeGIF(data, 1<<30, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"vit-base-patch16-224", "siglip-base-patch16-224", "siglip-so400m-patch14-384"} {
		tok, _ := New(Config{Preset: p, Sampling: SampleAll, GIF: "go"})
		tk, err := tok.Tokenize(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		it, _ := image.New(image.Config{Preset: p})
		per := tk.NumPatches / tk.NumFrames
		for i, f := range seq.frames {
			img := stdimage.NewRGBA(stdimage.Rect(0, 0, seq.w, seq.h))
			for q := 0; q < seq.w*seq.h; q++ {
				copy(img.Pix[q*4:], f[q*3:q*3+3])
				img.Pix[q*4+3] = 255
			}
			var b bytes.Buffer
			png.Encode(&b, img)
			want, err := it.Tokenize(context.Background(), b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if want.NumPatches != per || !bytes.Equal(want.Patches, tk.Patches[i*per*tk.PatchDim:(i+1)*per*tk.PatchDim]) {
				t.Fatalf("%s frame %d differs from image.Tokenize", p, i)
			}
		}
		if tk.NumTokens != tk.NumPatches || tk.GridTHW[0] != int32(tk.NumFrames) {
			t.Fatalf("%s: tokens %d grid %v", p, tk.NumTokens, tk.GridTHW)
		}
	}
}
