package image

import (
	"bytes"
	"context"
	"image/jpeg"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// The benchmark: decode + resize + normalize + patchify of a 640×480
// JPEG, one goroutine. The input is the corpus's 660×480 progressive JPEG
// when ../shared is present, else a fixture.
func benchInput(b *testing.B) []byte {
	p := filepath.Join(testenv.Root(), "..", "shared", "corpus", "image", "jpeg_progressive_mdn_cc0_elephant_660x480.jpg")
	if d, err := os.ReadFile(p); err == nil {
		return d
	}
	return readFixture(b, "synth_edges_420.jpg")
}

func benchPreset(b *testing.B, cfg Config) {
	data := benchInput(b)
	tk, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	defer cpuMs(b)()
	for b.Loop() {
		toks, err := tk.Tokenize(context.Background(), data)
		if err != nil {
			b.Fatal(err)
		}
		_ = tk.PatchValues(toks) // include normalization to float32
	}
}

func BenchmarkTokenizeViT224(b *testing.B) { benchPreset(b, Config{Preset: "vit-base-patch16-224"}) }
func BenchmarkTokenizeQwen2VL(b *testing.B) {
	benchPreset(b, Config{Preset: "qwen2-vl"})
}

func BenchmarkDecodeJPEG(b *testing.B) {
	data := benchInput(b)
	defer cpuMs(b)()
	for b.Loop() {
		if _, err := decodeRGB(data, decodeOptions{maxPixels: DefaultMaxPixels, maxFileBytes: -1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeJPEGStdlib is the path before image/internal/jpeg: Go's
// image/jpeg, then the libjpeg-style upsampling/colour conversion (still
// used as the fallback), for a side-by-side comparison in one binary.
func BenchmarkDecodeJPEGStdlib(b *testing.B) {
	data := benchInput(b)
	defer cpuMs(b)()
	for b.Loop() {
		m, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		toRGB(m, "jpeg")
	}
}

func BenchmarkResizeBicubic640x480To224(b *testing.B) {
	src := make([]uint8, 640*480*3)
	for i := range src {
		src[i] = uint8(i * 7)
	}
	defer cpuMs(b)()
	for b.Loop() {
		resizePIL(src, 640, 480, 3, 224, 224, Bicubic)
	}
}

// The two resizes of the Tokenize benchmarks on the decoded benchmark image
// (660×480 → 224×224 bilinear for ViT; → 644×476 bicubic for Qwen2-VL).
func benchResize(b *testing.B, ow, oh int, f Filter) {
	d, err := decodeRGB(benchInput(b), decodeOptions{maxPixels: DefaultMaxPixels, maxFileBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	img := d.rgb
	defer cpuMs(b)()
	for b.Loop() {
		resizePIL(img.Pix, img.W, img.H, 3, ow, oh, f)
	}
}

func BenchmarkResizeViT224(b *testing.B)  { benchResize(b, 224, 224, Bilinear) }
func BenchmarkResizeQwen2VL(b *testing.B) { benchResize(b, 644, 476, Bicubic) }
func BenchmarkJPEGToRGB(b *testing.B) {
	m, err := jpeg.Decode(bytes.NewReader(benchInput(b)))
	if err != nil {
		b.Fatal(err)
	}
	defer cpuMs(b)()
	for b.Loop() {
		toRGB(m, "jpeg")
	}
}

// cpuMs reports process CPU time per op (steadier than wall time on the
// shared machine): call as `defer cpuMs(b)()` just before the loop.
func cpuMs(b *testing.B) func() {
	c0 := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
