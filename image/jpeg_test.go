package image

import (
	"bytes"
	"errors"
	"testing"

	ijpeg "github.com/tokenfab/tokenfab/image/internal/jpeg"
)

// A progressive JPEG that stops before its AC refinement scans is one
// libjpeg block-smooths; image/internal/jpeg refuses it with an
// UnsupportedError and decodeJPEG hands it to Go's image/jpeg, so the
// record still decodes (not bit-exact: no smoothing, Go's IDCT).
func TestJPEGSmoothingFallsBackToStdlib(t *testing.T) {
	data := readFixture(t, "synth_edges_420_progressive.jpg")
	// keep the first two scans (DC and the first AC band), then EOI
	var out []byte
	scans := 0
	for i := 0; i+1 < len(data); i++ {
		if data[i] == 0xFF && data[i+1] == 0xDA {
			scans++
			if scans == 3 {
				out = append(append(out, data[:i]...), 0xFF, 0xD9)
				break
			}
		}
	}
	if out == nil || bytes.Equal(out, data) {
		t.Fatal("fixture has fewer than 3 scans")
	}
	if _, err := ijpeg.Decode(out, ijpeg.Options{MaxPixels: -1}); !errors.As(err, new(ijpeg.UnsupportedError)) {
		t.Fatalf("own decoder: %v, want UnsupportedError (block smoothing)", err)
	}
	d, err := decodeRGB(out, decodeOptions{maxPixels: DefaultMaxPixels, maxFileBytes: -1})
	if err != nil {
		t.Fatalf("truncated progressive file: %v", err)
	}
	if d.rgb.W != 65 || d.rgb.H != 47 {
		t.Fatalf("size %dx%d", d.rgb.W, d.rgb.H)
	}
}
