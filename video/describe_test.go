package video

import (
	"encoding/json"
	"testing"
)

// TestDescribe: deterministic and JSON-encodable for every preset.
func TestDescribe(t *testing.T) {
	for _, p := range Presets() {
		a, _ := New(Config{Preset: p})
		b, _ := New(Config{Preset: p})
		ja, err := json.Marshal(a.Describe())
		if err != nil {
			t.Fatal(err)
		}
		jb, _ := json.Marshal(b.Describe())
		if string(ja) != string(jb) {
			t.Fatalf("%s: Describe not deterministic", p)
		}
		if a.Describe()["preset"] != p || a.Describe()["image"] == nil {
			t.Fatalf("%s: %s", p, ja)
		}
	}
}

// FuzzSniff: sniffing never panics, and anything it calls a container is
// not also called unsafe.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{"#EXTM3U\nfile.ts\n", "ffconcat version 1.0\n", "\x1aE\xdf\xa3", "GIF89a", "\x00\x00\x00\x18ftypmp42", "RIFF\x00\x00\x00\x00AVI "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		format, unsafe := sniff(b)
		if format != "" && unsafe {
			t.Fatalf("%q: both %s and unsafe", b, format)
		}
	})
}
