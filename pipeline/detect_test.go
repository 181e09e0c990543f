package pipeline

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
)

func TestDetectHeaders(t *testing.T) {
	cases := []struct {
		name, head, mod, format string
	}{
		{"x", "\x89PNG\r\n\x1a\n....", ModImage, "png"},
		{"x", "\xFF\xD8\xFF\xE0..JFIF", ModImage, "jpeg"},
		{"x", "GIF89a....", ModImage, "gif"},
		{"x", "RIFF\x00\x00\x00\x00WEBPVP8 ", ModImage, "webp"},
		{"x", "BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00", ModImage, "bmp"},
		{"x", "II*\x00\x08\x00\x00\x00", ModImage, "tiff"},
		{"x", "MM\x00*\x00\x00\x00\x08", ModImage, "tiff"},
		{"x", "RIFF\x24\x00\x00\x00WAVEfmt ", ModAudio, "wav"},
		{"x", "RIFF\x24\x00\x00\x00AVI LIST", ModVideo, "avi"},
		{"x", "fLaC\x00\x00\x00\x22", ModAudio, "flac"},
		{"x", "OggS\x00\x02\x00\x00", ModAudio, "ogg"},
		{"x", "OggS\x00\x02" + strings.Repeat("\x00", 22) + "\x80theora", ModVideo, "ogg"},
		{"x", "ID3\x04\x00\x00\x00\x00\x00\x10", ModAudio, "mp3"},
		{"x", "\xFF\xFB\x90\x64", ModAudio, "mpeg-audio"},
		{"x", "\xFF\xF1\x50\x80", ModAudio, "mpeg-audio"},
		{"x", "\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", ModVideo, "mp4"},
		{"x", "\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", ModVideo, "mp4"},
		{"x", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", ModImage, "isobmff"},
		{"x", "\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00", ModAudio, "isobmff"},
		{"x", "\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", ModVideo, "mov"},
		{"x", "\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\xF7\x81\x01\x42\xF2\x81\x04\x42\xF3\x81\x08\x42\x82\x84webm", ModVideo, "webm"},
		{"x", "\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01matroska", ModVideo, "matroska"},
		// Text that starts like a signature stays text.
		{"x", "BMW is a car maker.\n", ModText, "text"},
		{"x", "ID3 tags hold metadata.", ModText, "text"},
		{"x", "I'm free to go", ModText, "text"},
		{"x", "RIFF is a container; WAVE is one.", ModText, "text"},
		{"x", "OggS is the page magic", ModText, "text"},
		{"x", "", ModText, "text"},
		{"x.txt", "caf\xe9", ModText, "text"},
		{"x.bin", "caf\xe9", "", ""},
		{"x.bin", "\x00\x01\x02\xff", "", ""},
	}
	for _, c := range cases {
		mod, format := detect(c.name, []byte(c.head), true)
		if mod != c.mod || format != c.format {
			t.Errorf("detect(%q, %q) = %q, %q; want %q, %q", c.name, c.head, mod, format, c.mod, c.format)
		}
	}
	// A head cut in the middle of a rune is still text when incomplete.
	if mod, _ := detect("x", []byte("ab\xe2\x82"), false); mod != ModText {
		t.Errorf("truncated head: modality %q, want text", mod)
	}
}

// TestDetectCorpus checks every real file in ../shared/corpus/{image,audio,
// video} by content alone, under a misleading name, against its folder.
func TestDetectCorpus(t *testing.T) {
	n := 0
	for _, mod := range []string{ModImage, ModAudio, ModVideo} {
		dir := testenv.Shared(t, filepath.Join("corpus", mod))
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			want := mod
			base := filepath.Base(f)
			if strings.HasPrefix(base, "gif_animated_") && mod == ModVideo {
				want = ModImage // an animated GIF is a GIF; the video modality may claim it later
			}
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			head := make([]byte, headLen)
			k, _ := io.ReadFull(fh, head)
			fh.Close()
			got, format := detect("renamed.txt", head[:k], false)
			if got != want {
				t.Errorf("%s: detected %q (%s), want %q", base, got, format, want)
			}
			n++
		}
	}
	if n < 80 {
		t.Errorf("only %d corpus files checked", n)
	}
	t.Logf("%d corpus media files detected by content", n)
}

// TestMisnamedAndEmptyMedia: a file named as an image whose bytes are no
// image (empty, or text) is an image error row, not a 0-token text row; an
// empty .txt stays a text document of 0 tokens.
func TestUTF16TextIsNotMP3(t *testing.T) {
	// "Hello" in UTF-16LE with a BOM starts FF FE, an MPEG audio sync.
	utf16 := "\xff\xfeH\x00e\x00l\x00l\x00o\x00"
	if mod, _ := detect("a.txt", []byte(utf16), true); mod != ModText {
		t.Errorf("UTF-16 a.txt detected as %q, want text", mod)
	}
	if mod, _ := detect("a.bin", []byte(utf16), true); mod != ModAudio {
		t.Errorf("the same bytes without a text name: %q, want audio (MPEG sync)", mod)
	}
}

func TestMisnamedAndEmptyMedia(t *testing.T) {
	in := t.TempDir()
	writeTree(t, in, map[string]string{"zero.png": "", "text.jpg": "hello", "empty.txt": ""})
	_, img := newImageTok(t, image.Config{Preset: "vit-base-patch16-224"})
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Run(context.Background(), Options{Inputs: []string{in}, OutputDir: out,
		Modalities: []Modality{byteModality{}, img}}); err != nil {
		t.Fatal(err)
	}
	rows, _ := readParts(t, out)
	got := map[string]string{}
	for _, r := range rows {
		got[r.ID] = r.Modality + " | " + r.Error
	}
	want := map[string]string{
		"empty.txt": "text | ",
		"zero.png":  "image | tokenize: empty image file (0 bytes): the file is damaged or was cut short",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
	if g := got["text.jpg"]; !strings.HasPrefix(g, "image | tokenize: ") {
		t.Errorf("text.jpg: %q, want an image error row", g)
	}
}
