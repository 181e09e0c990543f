package pipeline

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Modality names, the values of the `modality` column.
const (
	ModText  = "text"
	ModImage = "image"
	ModAudio = "audio"
	ModVideo = "video"
)

// sniffLen is how many leading bytes detection looks at.
const sniffLen = 64

// magic is one container signature. Content wins over the file name: a
// .txt that is really a PNG is an image, and a PNG named .dat is still one.
type magic struct {
	format   string
	modality string
	match    func(h []byte) bool
}

func prefix(p string) func([]byte) bool {
	return func(h []byte) bool { return bytes.HasPrefix(h, []byte(p)) }
}

func riff(form string) func([]byte) bool {
	return func(h []byte) bool {
		return len(h) >= 12 && (string(h[:4]) == "RIFF" || string(h[:4]) == "RF64") && string(h[8:12]) == form
	}
}

// isBMP checks more than "BM", which starts plenty of English text: the two
// reserved words must be zero and the DIB header size a known one.
func isBMP(h []byte) bool {
	if len(h) < 18 || h[0] != 'B' || h[1] != 'M' || binary.LittleEndian.Uint32(h[6:10]) != 0 {
		return false
	}
	switch binary.LittleEndian.Uint32(h[14:18]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// isID3 requires a plausible ID3v2 version, so "ID3 tags are…" stays text.
func isID3(h []byte) bool {
	return len(h) >= 10 && string(h[:3]) == "ID3" && h[3] >= 2 && h[3] <= 4 && h[4] == 0
}

// isMPEGAudio matches an MPEG-1/2/2.5 audio frame header or an AAC ADTS
// header. 0xFF never occurs in UTF-8, so text cannot match.
func isMPEGAudio(h []byte) bool {
	if len(h) < 3 || h[0] != 0xFF || h[1]&0xE0 != 0xE0 {
		return false
	}
	if h[1]&0xF6 == 0xF0 { // ADTS: 12-bit sync, layer 00
		return true
	}
	version, layer := (h[1]>>3)&3, (h[1]>>1)&3
	bitrate, rate := h[2]>>4, (h[2]>>2)&3
	return version != 1 && layer != 0 && bitrate != 15 && rate != 3
}

// ftypBrands maps ISO-BMFF major brands that are not video.
var ftypBrands = map[string]string{
	"avif": ModImage, "avis": ModImage, "heic": ModImage, "heix": ModImage,
	"heim": ModImage, "heis": ModImage, "mif1": ModImage, "msf1": ModImage,
	"M4A ": ModAudio, "M4B ": ModAudio, "M4P ": ModAudio, "F4A ": ModAudio,
}

func isFtyp(h []byte) bool { return len(h) >= 12 && string(h[4:8]) == "ftyp" }

// isQuickTime matches old .mov files that start with a moov/mdat/wide/free
// atom instead of ftyp; the size's leading zero byte keeps text out.
func isQuickTime(h []byte) bool {
	if len(h) < 8 || h[0] != 0 {
		return false
	}
	switch string(h[4:8]) {
	case "moov", "mdat", "wide", "free", "skip", "pnot":
		return true
	}
	return false
}

// magics is checked in order; the first match wins.
var magics = []magic{
	{"png", ModImage, prefix("\x89PNG\r\n\x1a\n")},
	{"jpeg", ModImage, prefix("\xFF\xD8\xFF")},
	{"gif", ModImage, func(h []byte) bool {
		return bytes.HasPrefix(h, []byte("GIF87a")) || bytes.HasPrefix(h, []byte("GIF89a"))
	}},
	{"webp", ModImage, riff("WEBP")},
	{"bmp", ModImage, isBMP},
	{"tiff", ModImage, func(h []byte) bool {
		return bytes.HasPrefix(h, []byte("II*\x00")) || bytes.HasPrefix(h, []byte("MM\x00*"))
	}},
	{"wav", ModAudio, riff("WAVE")},
	{"avi", ModVideo, riff("AVI ")},
	{"flac", ModAudio, prefix("fLaC")},
	{"ogg", ModAudio, func(h []byte) bool { return bytes.HasPrefix(h, []byte("OggS\x00")) }},
	{"mp3", ModAudio, isID3},
	{"mpeg-audio", ModAudio, isMPEGAudio},
	{"mp4", ModVideo, isFtyp},
	{"mov", ModVideo, isQuickTime},
	{"matroska", ModVideo, prefix("\x1A\x45\xDF\xA3")},
}

// textExts are names that are text whatever their bytes: invalid UTF-8 in a
// .txt is still text (the tokenizer encodes invalid bytes losslessly).
var textExts = map[string]bool{
	".txt": true, ".text": true, ".md": true, ".markdown": true, ".rst": true, ".adoc": true,
	".csv": true, ".tsv": true, ".json": true, ".xml": true, ".html": true, ".htm": true,
	".yaml": true, ".yml": true, ".toml": true, ".ini": true, ".cfg": true, ".log": true,
	".tex": true, ".srt": true, ".vtt": true, ".go": true, ".py": true, ".js": true, ".ts": true,
	".c": true, ".h": true, ".cc": true, ".cpp": true, ".hpp": true, ".java": true, ".rs": true,
	".rb": true, ".sh": true, ".sql": true, ".css": true, ".php": true, ".swift": true, ".kt": true,
}

// manifestExts are JSON Lines manifests: one record per line.
var manifestExts = map[string]bool{".jsonl": true, ".ndjson": true}

func isManifest(name string) bool { return manifestExts[strings.ToLower(filepath.Ext(name))] }

// detect returns the modality and format of a file from its leading bytes
// (head) and name. complete says head is the whole file, so the UTF-8 check
// covers all of it; otherwise a truncated rune at the end of head is
// tolerated. It returns modality "" for a binary file of no known type.
func detect(name string, head []byte, complete bool) (modality, format string) {
	h := head
	if len(h) > sniffLen {
		h = h[:sniffLen]
	}
	// An MPEG audio frame sync is 11 bits, and a UTF-16LE byte-order mark
	// (FF FE) has them: with a name that says text, the BOM wins.
	utf16Text := textExts[strings.ToLower(filepath.Ext(name))] && bytes.HasPrefix(h, []byte{0xFF, 0xFE})
	for _, m := range magics {
		if utf16Text && m.format == "mpeg-audio" {
			continue
		}
		if m.match(h) {
			if m.format == "mp4" {
				if mod, ok := ftypBrands[string(h[8:12])]; ok {
					return mod, "isobmff"
				}
			}
			if m.format == "ogg" && bytes.Contains(head[:min(len(head), 128)], []byte("\x80theora")) {
				return ModVideo, "ogg"
			}
			if m.format == "matroska" && bytes.Contains(head[:min(len(head), 64)], []byte("webm")) {
				return m.modality, "webm"
			}
			return m.modality, m.format
		}
	}
	ext := strings.ToLower(filepath.Ext(name))
	if mod, ok := mediaExts[ext]; ok {
		// A .png of 0 bytes (or of text) is a broken image, not a text
		// document: its modality's decoder gives the error row.
		return mod, ""
	}
	if textExts[ext] || validUTF8(head, complete) {
		return ModText, "text"
	}
	return "", ""
}

// mediaExts are names that promise a medium: a file so named whose bytes
// match no signature (empty, cut before its header, text) is sent to that
// modality, whose decoder reports what is wrong, instead of becoming a
// 0-token text row.
var mediaExts = map[string]string{
	".png": ModImage, ".jpg": ModImage, ".jpeg": ModImage, ".gif": ModImage, ".webp": ModImage,
	".bmp": ModImage, ".tif": ModImage, ".tiff": ModImage,
	".wav": ModAudio, ".flac": ModAudio, ".mp3": ModAudio, ".ogg": ModAudio, ".oga": ModAudio,
	".opus": ModAudio, ".m4a": ModAudio,
	".mp4": ModVideo, ".mov": ModVideo, ".mkv": ModVideo, ".webm": ModVideo, ".avi": ModVideo,
}

// validUTF8 is utf8.Valid, except that an incomplete head may end in the
// middle of a rune.
func validUTF8(b []byte, complete bool) bool {
	if complete || utf8.Valid(b) {
		return utf8.Valid(b)
	}
	for cut := 1; cut < utf8.UTFMax && cut <= len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return true
		}
	}
	return false
}
