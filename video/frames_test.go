package video

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	stdimage "image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
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
	if _, err := all.TokenizeFrameFiles(context.Background(), paths); err == nil || !strings.Contains(err.Error(), "(frame_001.png) is ") {
		t.Fatalf("mixed frame sizes: %v, want an error naming frame_001.png", err)
	}
	// a frame that is no image is named too
	os.WriteFile(odd, []byte("not an image"), 0o600)
	if _, err := all.TokenizeFrameFiles(context.Background(), paths); err == nil || !strings.Contains(err.Error(), "frame frame_000.png: ") {
		t.Fatalf("garbage frame: %v, want an error naming frame_000.png", err)
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

// TestFrameFS: TokenizeFrameFS through an os.Root equals TokenizeFrameFiles
// on the same files, and cannot read outside the root (a ".." name and a
// symlink leaving it both fail).
func TestFrameFS(t *testing.T) {
	data, err := os.ReadFile(fixture("anim_80x45.gif"))
	if err != nil {
		t.Fatal(err)
	}
	seq, err := decodeGIF(data, 1<<30, 1000)
	if err != nil {
		t.Fatal(err)
	}
	top := t.TempDir()
	dir := filepath.Join(top, "clip")
	os.Mkdir(dir, 0o755)
	var paths, names []string
	for i, f := range seq.frames {
		img := stdimage.NewRGBA(stdimage.Rect(0, 0, seq.w, seq.h))
		for p := 0; p < seq.w*seq.h; p++ {
			copy(img.Pix[p*4:], f[p*3:p*3+3])
			img.Pix[p*4+3] = 255
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		name := fmt.Sprintf("%04d.png", i)
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		paths, names = append(paths, filepath.Join(dir, name)), append(names, name)
	}
	tok, _ := New(Config{Preset: "qwen2-vl", FrameRate: 10})
	want, err := tok.TokenizeFrameFiles(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	got, err := tok.TokenizeFrameFS(context.Background(), root.FS(), names)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Patches, want.Patches) || got.GridTHW != want.GridTHW || fmt.Sprint(got.Timestamps) != fmt.Sprint(want.Timestamps) {
		t.Fatalf("TokenizeFrameFS grid %v ts %v, TokenizeFrameFiles grid %v ts %v", got.GridTHW, got.Timestamps, want.GridTHW, want.Timestamps)
	}
	// a valid frame of the right size, so only the root can refuse it
	frame0, _ := os.ReadFile(paths[0])
	os.WriteFile(filepath.Join(top, "out.png"), frame0, 0o600)
	if _, err := all0(t).TokenizeFrameFiles(context.Background(), append(append([]string(nil), paths...), filepath.Join(top, "out.png"))); err != nil {
		t.Fatalf("out.png is not a usable frame: %v", err)
	}
	os.Symlink("../out.png", filepath.Join(dir, "9999.png"))
	all := all0(t)
	for _, bad := range [][]string{{"../out.png"}, append(append([]string(nil), names...), "9999.png")} {
		if _, err := all.TokenizeFrameFS(context.Background(), root.FS(), bad); err == nil {
			t.Errorf("%v read outside the root", bad[len(bad)-1])
		}
	}
}

// TestFrameOrder: names whose numbers are not zero-padded (byte order is
// not frame order) are ErrFrameOrder; padded ones, and names that differ
// elsewhere, are fine.
func TestFrameOrder(t *testing.T) {
	for _, c := range []struct {
		names []string
		bad   bool
	}{
		{[]string{"f_1.png", "f_10.png", "f_2.png"}, true},
		{[]string{"1.jpg", "10.jpg", "11.jpg", "2.jpg"}, true},
		{[]string{"d/10000.png", "d/1001.png"}, true}, // padding too short for the count
		{[]string{"f_01.png", "f_02.png", "f_10.png"}, false},
		{[]string{"a.png", "b.png", "c.png"}, false},
		{[]string{"cam1_f10.png", "cam2_f02.png"}, false}, // the prefix differs: byte order decides
		{[]string{"f_9.png", "f_9.png"}, false},
		{[]string{"f_1.png"}, false},
	} {
		err := checkFrameOrder(c.names)
		if (err != nil) != c.bad || (err != nil && !errors.Is(err, ErrFrameOrder)) {
			t.Errorf("%v: %v, want error %v", c.names, err, c.bad)
		}
	}
	tok, _ := New(Config{Preset: "vit-base-patch16-224", Sampling: SampleAll})
	if _, err := tok.TokenizeFrameFiles(context.Background(), []string{"/nonexistent/f_2.png", "/nonexistent/f_10.png"}); !errors.Is(err, ErrFrameOrder) {
		t.Errorf("TokenizeFrameFiles with unpadded names: %v, want ErrFrameOrder before any read", err)
	}
}

func all0(t *testing.T) *Tokenizer {
	tok, err := New(Config{Preset: "vit-base-patch16-224", Sampling: SampleAll})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
