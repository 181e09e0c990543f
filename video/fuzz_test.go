package video

import (
	"bytes"
	"context"
	"errors"
	stdimage "image"
	"image/color"
	stdgif "image/gif"
	"os"
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/tokenfab/tokenfab/image"
)

// sentinels are every error a Tokenize may wrap (docs/video.md "Errors").
var sentinels = []error{ErrNeedFFmpeg, ErrUnsafeInput, ErrUnsupportedFormat, ErrCorrupt, ErrFrameOrder, ErrTooLarge,
	ErrTooLong, ErrNoFrames, ErrConfig, image.ErrUnsupportedFormat, image.ErrCorrupt, image.ErrTooManyPixels,
	image.ErrFileTooLarge, image.ErrInvalidSize}

func knownErr(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// uniformGIF is n frames of one colour on a w×h screen: tiny once LZW
// compressed, large once decoded.
func uniformGIF(t testing.TB, w, h, n int) []byte {
	t.Helper()
	pal := color.Palette{color.RGBA{10, 20, 30, 255}, color.RGBA{200, 100, 0, 255}}
	m := stdimage.NewPaletted(stdimage.Rect(0, 0, w, h), pal)
	g := &stdgif.GIF{}
	for range n {
		g.Image, g.Delay = append(g.Image, m), append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := stdgif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGIFLimitsBeforeDecode: a GIF over MaxSourceFrames or
// MaxDecodedBytes is refused before image/gif decodes its frames, so a
// small file of many large one-colour frames cannot take memory first:
// this 70 KB file is 40 paletted frames of 1000×1000 (40 MB) to
// DecodeAll; the refusal may allocate at most 8 MB. (One 8000×8000 frame
// encodes to 44 KB, so a 64 MiB record could ask for ~100 GB.)
func TestGIFLimitsBeforeDecode(t *testing.T) {
	data := uniformGIF(t, 1000, 1000, 40)
	if n := gifDescriptors(data); n != 40 {
		t.Fatalf("gifDescriptors = %d, want 40", n)
	}
	for _, c := range []struct {
		cfg  Config
		want error
	}{
		{Config{GIF: "go", MaxDecodedBytes: 10 << 20}, ErrTooLarge},
		{Config{GIF: "go", MaxSourceFrames: 10}, ErrTooLong},
	} {
		tok, err := New(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err = tok.Tokenize(context.Background(), data)
		runtime.ReadMemStats(&m1)
		if !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c.cfg, err, c.want)
		}
		if a := m1.TotalAlloc - m0.TotalAlloc; a > 8<<20 {
			t.Errorf("%+v: allocated %d MB before refusing", c.cfg, a>>20)
		}
	}
	// a cut stream still counts the frame whose descriptor is complete
	if n := gifDescriptors(data[:len(data)/2]); n < 19 || n > 21 {
		t.Errorf("half the file: %d descriptors, want about 20", n)
	}
}

// FuzzGIF: the pure-Go GIF path (no ffmpeg; other bytes fail on the
// missing ffmpeg without starting it) never panics, fails only with the
// package's sentinels, and gives consistent sizes.
func FuzzGIF(f *testing.F) {
	for _, name := range []string{"anim_80x45.gif"} {
		if b, err := os.ReadFile(fixture(name)); err == nil {
			f.Add(b)
		}
	}
	f.Add(uniformGIF(f, 16, 8, 3))
	tok, err := New(Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, GIF: "go", FFmpeg: "/nonexistent/ffmpeg",
		FFprobe: "/nonexistent/ffprobe", MaxDecodedBytes: 1 << 24, MaxSourceFrames: 64})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := tok.Tokenize(context.Background(), data)
		if err != nil {
			if !knownErr(err) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if len(tk.Timestamps) != tk.NumFrames || len(tk.Patches) != tk.NumPatches*tk.PatchDim || tk.NumFrames > 64 {
			t.Fatalf("inconsistent: %d timestamps, %d frames, %d patch bytes for %d×%d", len(tk.Timestamps), tk.NumFrames, len(tk.Patches), tk.NumPatches, tk.PatchDim)
		}
	})
}

// FuzzFrameFS: a frame directory of two fuzzed files never panics and
// fails only with the package's sentinels.
func FuzzFrameFS(f *testing.F) {
	var seed bytes.Buffer
	stdgif.Encode(&seed, stdimage.NewPaletted(stdimage.Rect(0, 0, 8, 8), color.Palette{color.Black}), nil)
	f.Add(seed.Bytes(), seed.Bytes())
	tok, err := New(Config{Preset: "vit-base-patch16-224", Sampling: SampleAll})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		fsys := fstest.MapFS{"f/0.png": {Data: a}, "f/1.png": {Data: b}}
		tk, err := tok.TokenizeFrameFS(context.Background(), fsys, []string{"f/1.png", "f/0.png"})
		if err != nil {
			if !knownErr(err) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if tk.NumFrames != 2 || tk.Timestamps[1] != 1 {
			t.Fatalf("%d frames at %v", tk.NumFrames, tk.Timestamps)
		}
	})
}
