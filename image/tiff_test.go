package image

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// setTIFFTag overwrites the first value of a SHORT/LONG tag of IFD0 in a
// little-endian TIFF (the fixtures here are written by PIL on x86: "II").
func setTIFFTag(t *testing.T, b []byte, tag uint16, v uint32) {
	t.Helper()
	off := int(binary.LittleEndian.Uint32(b[4:]))
	n := int(binary.LittleEndian.Uint16(b[off:]))
	for i := 0; i < n; i++ {
		e := off + 2 + 12*i
		if binary.LittleEndian.Uint16(b[e:]) != tag {
			continue
		}
		switch binary.LittleEndian.Uint16(b[e+2:]) {
		case 3:
			binary.LittleEndian.PutUint16(b[e+8:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(b[e+8:], v)
		}
		return
	}
	t.Fatalf("tag %d not in IFD0", tag)
}

// TestTIFFJPEGErrors: what the JPEG-in-TIFF path does not decode, or finds
// damaged, is a per-record sentinel error.
func TestTIFFJPEGErrors(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(fixturesDir(), "synth_tiff_jpeg_rgb.tif"))
	if err != nil {
		t.Fatal(err)
	}
	if string(orig[:2]) != "II" {
		t.Fatal("fixture is not little-endian")
	}
	opts := decodeOptions{maxPixels: DefaultMaxPixels, maxFileBytes: -1}
	if _, err := decodeRGB(orig, opts); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	cases := []struct {
		name string
		tag  uint16
		v    uint32
		want error
	}{
		{"old-style JPEG", tiffTagCompression, 6, ErrUnsupportedFormat},
		{"planar 2", tiffTagPlanar, 2, ErrUnsupportedFormat},
		{"photometric CMYK", tiffTagPhotometric, 5, ErrUnsupportedFormat},
		{"strip offsets outside the file", tiffTagStripOffsets, 1 << 30, ErrCorrupt},
		{"more rows per strip than the strips hold", tiffTagRowsPerStrip, 4, ErrCorrupt},
		{"wider than the strips", tiffTagWidth, 60, ErrCorrupt},
	}
	for _, c := range cases {
		b := append([]byte(nil), orig...)
		setTIFFTag(t, b, c.tag, c.v)
		if _, err := decodeRGB(b, opts); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	tiled, err := os.ReadFile(filepath.Join(fixturesDir(), "synth_tiff_jpeg_tiled.tif"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tag  uint16
		v    uint32
	}{{"tile width not the JPEG's", tiffTagTileWidth, 48}, {"zero tile length", tiffTagTileLength, 0}, {"taller than the tiles", tiffTagHeight, 70}} {
		b := append([]byte(nil), tiled...)
		setTIFFTag(t, b, c.tag, c.v)
		if _, err := decodeRGB(b, opts); !errors.Is(err, ErrCorrupt) {
			t.Errorf("tiled, %s: %v", c.name, err)
		}
	}
	// a strip cut short
	b := append([]byte(nil), orig...)
	d := readTIFFDir(b)
	o, n := d.uints(tiffTagStripOffsets)[1], d.uints(tiffTagStripCounts)[1]
	for i := o + n/2; i < o+n; i++ {
		b[i] = 0
	}
	if _, err := decodeRGB(b, opts); !errors.Is(err, ErrCorrupt) {
		t.Errorf("zeroed strip data: %v", err)
	}
}
