package audio

import (
	"encoding/binary"
	"errors"
	"testing"
)

func chunk(id string, body []byte) []byte {
	b := make([]byte, 8, 8+len(body)+1)
	copy(b, id)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0) // pad byte
	}
	return b
}

func fmtBody(tag, ch, rate, bits int) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b[0:], uint16(tag))
	binary.LittleEndian.PutUint16(b[2:], uint16(ch))
	binary.LittleEndian.PutUint32(b[4:], uint32(rate))
	binary.LittleEndian.PutUint32(b[8:], uint32(rate*ch*bits/8))
	binary.LittleEndian.PutUint16(b[12:], uint16(ch*bits/8))
	binary.LittleEndian.PutUint16(b[14:], uint16(bits))
	return b
}

func riff(chunks ...[]byte) []byte {
	var body []byte
	for _, c := range chunks {
		body = append(body, c...)
	}
	b := append([]byte("RIFF\x00\x00\x00\x00WAVE"), body...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// s16 samples 1, -2, 3 (mono) as data.
var s16data = []byte{1, 0, 0xFE, 0xFF, 3, 0}

func wantS16(t *testing.T, p *PCM, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1.0 / 32768, -2.0 / 32768, 3.0 / 32768}
	if len(p.Samples) != 3 || p.Samples[0] != want[0] || p.Samples[1] != want[1] || p.Samples[2] != want[2] {
		t.Fatalf("samples %v", p.Samples)
	}
}

func TestWAVChunkOrderAndPadding(t *testing.T) {
	fm := chunk("fmt ", fmtBody(1, 1, 16000, 16))
	odd := chunk("LIST", []byte("INFOabc")) // 7 bytes + pad
	junk := chunk("JUNK", make([]byte, 28))
	// data before fmt, odd LIST in between, JUNK first.
	p, err := DecodeWAV(riff(junk, chunk("data", s16data), odd, fm))
	wantS16(t, p, err)
	p, err = DecodeWAV(riff(fm, odd, chunk("data", s16data), odd))
	wantS16(t, p, err)
	if p.Truncated {
		t.Fatal("flagged truncated")
	}
}

func TestWAVStreamingAndTruncated(t *testing.T) {
	fm := chunk("fmt ", fmtBody(1, 1, 16000, 16))
	d := chunk("data", s16data)
	binary.LittleEndian.PutUint32(d[4:], 0xFFFFFFFF)
	b := riff(fm, d)
	binary.LittleEndian.PutUint32(b[4:], 0xFFFFFFFF)
	p, err := DecodeWAV(b)
	wantS16(t, p, err)
	if p.Truncated {
		t.Fatal("streaming size flagged truncated")
	}
	// Declares 100 bytes, has 6 plus half a sample.
	d = chunk("data", append(append([]byte(nil), s16data...), 7))
	binary.LittleEndian.PutUint32(d[4:], 100)
	p, err = DecodeWAV(riff(fm, d[:len(d)-1]))
	wantS16(t, p, err)
	if !p.Truncated {
		t.Fatal("truncated data chunk not flagged")
	}
}

func TestWAVFormats(t *testing.T) {
	cases := []struct {
		tag, bits int
		data      []byte
		want      float32
	}{
		{1, 8, []byte{0}, -1},
		{1, 8, []byte{0xC0}, 0.5},
		{1, 24, []byte{0, 0, 0x80}, -1},
		{1, 32, []byte{0, 0, 0, 0x40}, 0.5},
		{3, 32, []byte{0, 0, 0xC0, 0x3F}, 1.5}, // float passes through > 1
		{3, 64, []byte{0, 0, 0, 0, 0, 0, 0xE0, 0xBF}, -0.5},
		{7, 8, []byte{0x80}, 32124.0 / 32768}, // µ-law max positive
		{6, 8, []byte{0xD5}, 8.0 / 32768},     // A-law smallest positive
	}
	for _, c := range cases {
		p, err := DecodeWAV(riff(chunk("fmt ", fmtBody(c.tag, 1, 8000, c.bits)), chunk("data", c.data)))
		if err != nil {
			t.Fatalf("tag %d bits %d: %v", c.tag, c.bits, err)
		}
		if len(p.Samples) != 1 || p.Samples[0] != c.want {
			t.Fatalf("tag %d bits %d: %v, want %g", c.tag, c.bits, p.Samples, c.want)
		}
	}
}

func TestWAVExtensibleGUID(t *testing.T) {
	ext := func(sub uint16, tail [14]byte) []byte {
		b := fmtBody(0xFFFE, 1, 16000, 32)
		b = append(b, 22, 0, 32, 0, 4, 0, 0, 0)
		b = binary.LittleEndian.AppendUint16(b, sub)
		return append(b, tail[:]...)
	}
	data := chunk("data", []byte{0, 0, 0x80, 0x3F}) // 1.0f, or int 1065353216
	p, err := DecodeWAV(riff(chunk("fmt ", ext(3, wavGUIDTail)), data))
	if err != nil || p.Samples[0] != 1 {
		t.Fatalf("extensible float: %v %v", p, err)
	}
	p, err = DecodeWAV(riff(chunk("fmt ", ext(1, wavGUIDTail)), data))
	if err != nil || p.Samples[0] != float32(1065353216)/(1<<31) {
		t.Fatalf("extensible int: %v %v", p, err)
	}
	bad := wavGUIDTail
	bad[5] ^= 1
	if _, err := DecodeWAV(riff(chunk("fmt ", ext(1, bad)), data)); !errors.Is(err, ErrUnsupportedFormat) {
		t.Fatalf("unknown GUID: %v", err)
	}
}

func TestWAVErrors(t *testing.T) {
	fm := chunk("fmt ", fmtBody(1, 1, 16000, 16))
	for name, b := range map[string][]byte{
		"no fmt":     riff(chunk("data", s16data)),
		"no data":    riff(fm),
		"short":      []byte("RIFF"),
		"0 channels": riff(chunk("fmt ", fmtBody(1, 0, 16000, 16)), chunk("data", s16data)),
		"0 Hz":       riff(chunk("fmt ", fmtBody(1, 1, 0, 16)), chunk("data", s16data)),
	} {
		if _, err := DecodeWAV(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"ADPCM":  riff(chunk("fmt ", fmtBody(2, 1, 16000, 4)), chunk("data", s16data)),
		"RIFX":   append([]byte("RIFX\x00\x00\x00\x10WAVE"), fm...),
		"64-bit": riff(chunk("fmt ", fmtBody(1, 1, 16000, 64)), chunk("data", make([]byte, 8))),
	} {
		if _, err := DecodeWAV(b); !errors.Is(err, ErrUnsupportedFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
