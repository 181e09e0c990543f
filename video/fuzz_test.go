package video

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	stdimage "image"
	"image/color"
	stdgif "image/gif"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
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

// FuzzWithoutFFmpeg: the pure-Go paths, animated GIF and animated WebP
// (other bytes fail on the missing ffmpeg without starting it), never
// panic, fail only with the package's sentinels, and give consistent
// sizes.
func FuzzWithoutFFmpeg(f *testing.F) {
	for _, p := range []string{fixture("anim_80x45.gif"), filepath.Join(testenv.Root(), "fixtures", "image", "synth_anim_lossy.webp")} {
		if b, err := os.ReadFile(p); err == nil {
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

// TestAnimatedWebP: an animated WebP tokenizes without ffmpeg, frame for
// frame equal to image.DecodeWebPFrames (golden-tested against Pillow in
// package image) through the same frame tokenizer, frame k at the sum of
// the ANMF durations before it (4 frames of 40 ms: 0, 0.04, 0.08,
// 0.12 s); a still WebP is not a video; the limits hold.
func TestAnimatedWebP(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "image", "synth_anim_lossy.webp"))
	if err != nil {
		t.Fatal(err)
	}
	frames, w, h, err := image.DecodeWebPFrames(data, 1<<30, 1000)
	if err != nil || len(frames) != 4 {
		t.Fatalf("fixture: %d frames, %v", len(frames), err)
	}
	cfg := Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, FFmpeg: "/nonexistent/ffmpeg", FFprobe: "/nonexistent/ffprobe"}
	tok, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := tok.Tokenize(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	var seq [][]uint8
	var wantTS []float64
	ms := 0
	for _, f := range frames {
		seq = append(seq, f.RGB)
		wantTS = append(wantTS, float64(ms)/1000)
		ms += f.DurationMs
	}
	want, err := tok.img.TokenizeFrames(context.Background(), seq, w, h)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Decoder != "go-webp" || tk.NumFrames != len(frames) || !bytes.Equal(tk.Patches, want.Patches) ||
		fmt.Sprint(tk.Timestamps) != fmt.Sprint(wantTS) || math.Abs(tk.Duration-float64(ms)/1000) > 1e-12 {
		t.Fatalf("decoder %s, %d frames at %v (%.3f s); want %d frames at %v (%.3f s), patches equal %v",
			tk.Decoder, tk.NumFrames, tk.Timestamps, tk.Duration, len(frames), wantTS, float64(ms)/1000, bytes.Equal(tk.Patches, want.Patches))
	}
	still, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "image", "synth_lossless.webp"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Tokenize(context.Background(), still); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("still WebP: %v, want ErrUnsupportedFormat", err)
	}
	// the lossless fixture's last frame lasts 16777.215 s (the field's
	// maximum): over MaxDurationSeconds (4 h)
	long, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "image", "synth_anim_lossless.webp"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Tokenize(context.Background(), long); !errors.Is(err, ErrTooLong) {
		t.Errorf("a 4.7-h animated WebP: %v, want ErrTooLong", err)
	}
	cfg.MaxSourceFrames = len(frames) - 1
	small, _ := New(cfg)
	if _, err := small.Tokenize(context.Background(), data); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxSourceFrames: %v, want ErrTooLarge", err)
	}
}
