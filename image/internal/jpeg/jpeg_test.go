package jpeg

import (
	"bytes"
	"errors"
	stdimage "image"
	stdjpeg "image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// jpegInputs returns the fixture JPEGs and, when ../shared is present, the
// corpus ones (name → bytes).
func jpegInputs(t testing.TB, withCorpus bool) map[string][]byte {
	out := map[string][]byte{}
	dirs := []string{filepath.Join(testenv.Root(), "fixtures", "image")}
	if withCorpus {
		dirs = append(dirs, testenv.Shared(t, "corpus/image"))
	}
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if n := strings.ToLower(e.Name()); strings.HasSuffix(n, ".jpg") || strings.HasSuffix(n, ".jpeg") {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				out[e.Name()] = b
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d JPEG inputs", len(out))
	}
	return out
}

// goPlanes returns Go's image/jpeg samples for component i at native
// resolution (rows of length w, h rows).
func goPlane(m stdimage.Image, i int) (pix []uint8, stride, w, h int, ok bool) {
	switch g := m.(type) {
	case *stdimage.Gray:
		return g.Pix, g.Stride, g.Rect.Dx(), g.Rect.Dy(), i == 0
	case *stdimage.YCbCr:
		w, h := g.Rect.Dx(), g.Rect.Dy()
		if i == 0 {
			return g.Y, g.YStride, w, h, true
		}
		cw, ch := w, h
		switch g.SubsampleRatio {
		case stdimage.YCbCrSubsampleRatio422:
			cw = (w + 1) / 2
		case stdimage.YCbCrSubsampleRatio420:
			cw, ch = (w+1)/2, (h+1)/2
		case stdimage.YCbCrSubsampleRatio440:
			ch = (h + 1) / 2
		case stdimage.YCbCrSubsampleRatio411:
			cw = (w + 3) / 4
		case stdimage.YCbCrSubsampleRatio410:
			cw, ch = (w+3)/4, (h+1)/2
		}
		if i == 1 {
			return g.Cb, g.CStride, cw, ch, true
		}
		return g.Cr, g.CStride, cw, ch, true
	}
	return nil, 0, 0, 0, false
}

// TestDifferentialGo: on every fixture and corpus JPEG our decoder and Go's
// image/jpeg agree on the size, and the native-resolution sample planes
// (before upsampling and colour conversion) differ by at most 1 level: the
// two IDCTs are different integer approximations of the same transform
// (Go's is not libjpeg's ISLOW), and nothing else differs before upsampling.
// With -short only the fixtures are compared (the corpus needs ../shared).
func TestDifferentialGo(t *testing.T) {
	for name, data := range jpegInputs(t, !testing.Short()) {
		t.Run(name, func(t *testing.T) {
			d := &decoder{data: data}
			if err := d.readHeaders(false); err != nil {
				t.Fatal(err)
			}
			if _, err := d.decodeRest(Options{MaxPixels: -1}); err != nil {
				t.Fatal(err)
			}
			gm, err := stdjpeg.Decode(bytes.NewReader(data))
			if _, ok := err.(stdjpeg.UnsupportedError); ok && d.ncomp == 4 && !d.adobe {
				// Go refuses 4-component files without APP14 (Pillow and
				// we read them as CMYK): nothing to compare with
				t.Logf("image/jpeg: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b := gm.Bounds(); b.Dx() != d.width || b.Dy() != d.height {
				t.Fatalf("size %dx%d, Go %dx%d", d.width, d.height, b.Dx(), b.Dy())
			}
			if d.ncomp == 4 {
				return // Go returns converted CMYK, no planes to compare
			}
			// planes were handed back to the pool by finish: decode again
			// keeping them
			d2 := &decoder{data: data}
			_ = d2.readHeaders(false)
			keepPlanes(t, d2)
			for i := 0; i < d2.ncomp; i++ {
				gp, gs, gw, gh, ok := goPlane(gm, i)
				if !ok {
					t.Fatalf("Go returned %T", gm)
				}
				c := &d2.comps[i]
				if gw != c.cw || gh != c.ch {
					t.Fatalf("component %d: %dx%d samples, Go %dx%d", i, c.cw, c.ch, gw, gh)
				}
				maxd, ndiff := 0, 0
				for y := 0; y < gh; y++ {
					for x := 0; x < gw; x++ {
						a, b := int(c.plane[y*c.bw*8+x]), int(gp[y*gs+x])
						if a != b {
							ndiff++
							maxd = max(maxd, a-b, b-a)
						}
					}
				}
				t.Logf("component %d: %d of %d samples differ from Go's, max %d", i, ndiff, gw*gh, maxd)
				if maxd > 1 {
					t.Errorf("component %d: max difference %d > 1 from Go's IDCT", i, maxd)
				}
			}
		})
	}
}

// keepPlanes decodes all scans and runs the IDCT without converting, so
// the planes stay readable.
func keepPlanes(t *testing.T, d *decoder) {
	d.allocate()
	for {
		m := d.nextMarker()
		if m < 0 || m == 0xD9 {
			break
		}
		if m >= 0xD0 && m <= 0xD7 {
			continue
		}
		s, err := d.segment()
		if err != nil {
			t.Fatal(err)
		}
		if m == 0xDA {
			sc, err := d.parseSOS(s)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.decodeScan(sc); err != nil {
				t.Fatal(err)
			}
		} else if err := d.parseTable(m, s); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		if d.progressive {
			for by := 0; by < c.rbh; by++ {
				for bx := 0; bx < c.rbw; bx++ {
					off := (by*c.bw + bx) * 64
					idctBlock(c.plane[by*8*c.bw*8+bx*8:], c.bw*8, (*[64]int16)(c.coefs[off:off+64]), &c.q)
				}
			}
		}
	}
}

// FuzzDecode: any input decodes or fails with FormatError,
// UnsupportedError or ErrTooManyPixels; never panics, never loops; a
// decoded image has Width·Height·channels bytes; DecodeConfig agrees with
// Decode on the size and mode.
func FuzzDecode(f *testing.F) {
	for _, b := range jpegInputs(f, false) {
		f.Add(b)
	}
	samp, _ := filepath.Glob(filepath.Join(testenv.Root(), "fixtures", "image", "jpeg_sampling", "*.jpg"))
	for _, p := range samp {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, Options{MaxPixels: 1 << 18})
		if err != nil {
			var fe FormatError
			var ue UnsupportedError
			if !errors.As(err, &fe) && !errors.As(err, &ue) && !errors.Is(err, ErrTooManyPixels) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		ch := map[string]int{"L": 1, "RGB": 3, "CMYK": 4}[m.Mode]
		if ch == 0 || len(m.Pix) != m.Width*m.Height*ch {
			t.Fatalf("mode %q, %d bytes for %dx%d", m.Mode, len(m.Pix), m.Width, m.Height)
		}
		c, err := DecodeConfig(data)
		if err != nil || c.Width != m.Width || c.Height != m.Height || c.Mode != m.Mode {
			t.Fatalf("DecodeConfig %+v %v, Decode %dx%d %s", c, err, m.Width, m.Height, m.Mode)
		}
	})
}

// BenchmarkDecode decodes the corpus's JPEGs to their Pillow-mode bytes
// (no RGB conversion for L/CMYK); one sub-benchmark per file.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"jpeg_progressive_mdn_cc0_elephant_660x480.jpg", "jpeg_baseline_camera_exif_canon400d_mate_storm.jpg", "jpeg_baseline_skimage_hubble_deep_field.jpg"} {
		data, err := os.ReadFile(filepath.Join(testenv.Shared(b, "corpus/image"), name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name[:len(name)-4], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			defer cpuMs(b)()
			for b.Loop() {
				if _, err := Decode(data, Options{MaxPixels: -1}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name[:len(name)-4]+"/stdlib", func(b *testing.B) {
			defer cpuMs(b)()
			for b.Loop() {
				if _, err := stdjpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuMs reports process CPU time per op (steadier than wall time on a
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
