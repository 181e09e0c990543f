package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFuzz adds every fixture whose name has one of the suffixes.
func seedFuzz(f *testing.F, suffixes ...string) {
	ents, _ := os.ReadDir(fixturesDir())
	for _, e := range ents {
		for _, s := range suffixes {
			if strings.HasSuffix(e.Name(), s) && !strings.HasPrefix(e.Name(), "bomb") {
				b, err := os.ReadFile(filepath.Join(fixturesDir(), e.Name()))
				if err == nil {
					f.Add(b)
				}
			}
		}
	}
}

var sentinels = []error{ErrUnsupportedFormat, ErrCorrupt, ErrTooManyPixels, ErrFileTooLarge, ErrInvalidSize}

// fuzzDecode: any input either tokenizes or fails with one of the sentinel
// errors; never panics; output sizes are consistent. The pixel limit is
// small so that fuzzed headers cannot make the fuzzer allocate gigabytes.
func fuzzDecode(f *testing.F) {
	tk, err := New(Config{Preset: "qwen2-vl", MaxImagePixels: 1 << 20, MaxPixels: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		toks, err := tk.Tokenize(context.Background(), data)
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error without a sentinel: %v", err)
		}
		if len(toks.Patches) != toks.NumPatches*toks.PatchDim || len(toks.Image) != toks.ImageWidth*toks.ImageHeight*3 {
			t.Fatalf("inconsistent sizes")
		}
	})
}

func FuzzDecodePNG(f *testing.F)  { seedFuzz(f, ".png"); fuzzDecode(f) }
func FuzzDecodeJPEG(f *testing.F) { seedFuzz(f, ".jpg"); fuzzDecode(f) }
func FuzzDecodeGIF(f *testing.F)  { seedFuzz(f, ".gif"); fuzzDecode(f) }
func FuzzDecodeBMP(f *testing.F)  { seedFuzz(f, ".bmp"); fuzzDecode(f) }
func FuzzDecodeTIFF(f *testing.F) { seedFuzz(f, ".tif", ".tiff"); fuzzDecode(f) }
func FuzzDecodeWebP(f *testing.F) { seedFuzz(f, ".webp"); fuzzDecode(f) }

// FuzzResize: any sizes and filter give a correctly sized result, no panic;
// a same-size resize is the identity; a constant image stays constant
// (weights are normalised) for all filters.
func FuzzResize(f *testing.F) {
	f.Add(uint8(7), uint8(5), uint8(3), uint8(9), uint8(3), uint8(200), []byte{1, 2, 3})
	f.Add(uint8(64), uint8(1), uint8(1), uint8(64), uint8(1), uint8(0), []byte{255})
	f.Fuzz(func(t *testing.T, w, h, ow, oh, filter, fill uint8, pix []byte) {
		W, H, OW, OH := int(w)%96+1, int(h)%96+1, int(ow)%96+1, int(oh)%96+1
		fl := Filter(int(filter) % 6)
		src := make([]uint8, W*H*3)
		for i := range src {
			if len(pix) > 0 {
				src[i] = pix[i%len(pix)]
			}
		}
		out, err := Resize(src, W, H, OW, OH, fl)
		if err != nil || len(out) != OW*OH*3 {
			t.Fatalf("resize %dx%d->%dx%d %v: %v", W, H, OW, OH, fl, err)
		}
		same, _ := Resize(src, W, H, W, H, fl)
		if string(same) != string(src) {
			t.Fatal("same-size resize is not the identity")
		}
		for i := range src {
			src[i] = fill
		}
		out, _ = Resize(src, W, H, OW, OH, fl)
		for _, v := range out {
			if v != fill {
				t.Fatalf("constant %d image became %d (%v %dx%d->%dx%d)", fill, v, fl, W, H, OW, OH)
			}
		}
	})
}
