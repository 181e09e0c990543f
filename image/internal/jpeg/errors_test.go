package jpeg

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "image", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dropScans returns data without its scans from index keep on (SOS
// segment and entropy-coded data), EOI kept.
func dropScans(t *testing.T, data []byte, keep int) []byte {
	d := &decoder{data: data}
	if err := d.readHeaders(false); err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), data[:d.pos]...)
	n := 0
	for {
		start := d.pos
		m := d.nextMarker()
		if m < 0 || m == 0xD9 {
			return append(out, 0xFF, 0xD9)
		}
		seg, err := d.segment()
		if err != nil {
			t.Fatal(err)
		}
		_ = seg
		if m == 0xDA {
			// skip the entropy-coded data up to the next non-RST marker
			for d.pos+1 < len(data) && !(data[d.pos] == 0xFF && data[d.pos+1] != 0 && (data[d.pos+1] < 0xD0 || data[d.pos+1] > 0xD7)) {
				d.pos++
			}
			if n < keep {
				out = append(out, data[start:d.pos]...)
			}
			n++
			continue
		}
		out = append(out, data[start:d.pos]...)
	}
}

// A progressive file whose low AC coefficients are never refined is one
// libjpeg block-smooths (jdcoefct.c smoothing_ok); we do not reproduce the
// smoothing, so Decode must say so (the image package then uses Go's
// decoder) instead of returning unsmoothed samples. The full file must not
// be refused.
func TestSmoothingIsUnsupported(t *testing.T) {
	data := fixture(t, "synth_edges_420_progressive.jpg")
	if _, err := Decode(data, Options{MaxPixels: -1}); err != nil {
		t.Fatalf("full progressive file: %v", err)
	}
	part := dropScans(t, data, 2)
	if len(part) >= len(data) {
		t.Fatal("no scans dropped")
	}
	_, err := Decode(part, Options{MaxPixels: -1})
	var ue UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("DC-and-first-AC-scan file: got %v, want UnsupportedError (block smoothing)", err)
	}
}

func TestErrors(t *testing.T) {
	good := fixture(t, "synth_edges_420.jpg")
	// the size check comes before any sample buffer: a header claiming
	// 65500×65500 is refused with a limit of 1 Mpixel
	big := append([]byte(nil), good...)
	d := &decoder{data: big}
	if err := d.readHeaders(true); err != nil {
		t.Fatal(err)
	}
	sof := -1
	for i := 0; i+1 < len(big); i++ {
		if big[i] == 0xFF && big[i+1] == 0xC0 {
			sof = i
			break
		}
	}
	big[sof+5], big[sof+6], big[sof+7], big[sof+8] = 0xFF, 0xDC, 0xFF, 0xDC
	if _, err := Decode(big, Options{MaxPixels: 1 << 20}); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("65500x65500 header: %v, want ErrTooManyPixels", err)
	}
	cases := map[string][]byte{
		"empty":        {},
		"no SOI":       good[2:],
		"SOI only":     good[:2],
		"header only":  good[:300],
		"truncated":    good[:len(good)/2],
		"no EOI, prog": dropEOI(fixture(t, "synth_edges_420_progressive.jpg")),
	}
	for name, b := range cases {
		_, err := Decode(b, Options{MaxPixels: -1})
		var fe FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v, want a FormatError", name, err)
		}
	}
	// a single-scan baseline file without EOI decodes (Pillow returns it)
	if _, err := Decode(dropEOI(good), Options{MaxPixels: -1}); err != nil {
		t.Errorf("baseline without EOI: %v", err)
	}
	// arithmetic coding: unsupported, named as such
	ar := append([]byte(nil), good...)
	ar[sof+1] = 0xC9
	if _, err := Decode(ar, Options{MaxPixels: -1}); !errors.As(err, new(UnsupportedError)) {
		t.Errorf("SOF9: %v, want UnsupportedError", err)
	}
}

func dropEOI(b []byte) []byte {
	if len(b) >= 2 && b[len(b)-2] == 0xFF && b[len(b)-1] == 0xD9 {
		return b[:len(b)-2]
	}
	return b
}
