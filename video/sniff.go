package video

import (
	"bytes"
)

// sniff names the container from magic bytes, or returns "" for unknown
// bytes. Text playlists and lists (which make ffmpeg open other files or
// URLs) are reported as unsafe. Only known binary containers go to ffmpeg.
func sniff(d []byte) (format string, unsafe bool) {
	if isPlaylistHead(d) {
		return "", true
	}
	if f := containerMagic(d); f != "" {
		return f, false
	}
	// No container magic: text mentioning URLs or list directives is
	// refused as unsafe; anything else is unknown.
	return "", isPlaylistText(d)
}

func containerMagic(d []byte) string {
	switch {
	case len(d) >= 6 && (string(d[:6]) == "GIF87a" || string(d[:6]) == "GIF89a"):
		return "gif"
	case len(d) >= 12 && isMP4Box(string(d[4:8])):
		return "mp4"
	case len(d) >= 4 && bytes.Equal(d[:4], []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "matroska"
	case len(d) >= 12 && string(d[:4]) == "RIFF" && string(d[8:12]) == "AVI ":
		return "avi"
	case len(d) >= 12 && string(d[:4]) == "RIFF" && string(d[8:12]) == "WEBP":
		return "webp" // decoded in Go (webp.go), never by ffmpeg
	case len(d) >= 4 && string(d[:4]) == "OggS":
		return "ogg"
	case len(d) >= 3 && string(d[:3]) == "FLV":
		return "flv"
	case len(d) >= 16 && bytes.Equal(d[:16], []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}):
		return "asf"
	case len(d) >= 4 && bytes.Equal(d[:4], []byte{0, 0, 1, 0xBA}):
		return "mpeg"
	case isTS(d):
		return "mpegts"
	}
	return ""
}

func isMP4Box(t string) bool {
	switch t {
	case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot", "uuid", "styp", "moof", "sidx":
		return true
	}
	return false
}

// isTS: MPEG-TS sync bytes 0x47 every 188 bytes (or 192 for M2TS).
func isTS(d []byte) bool {
	for _, stride := range []int{188, 192} {
		off := 0
		if stride == 192 {
			off = 4
		}
		n := 0
		for i := off; i < len(d) && n < 5; i += stride {
			if d[i] != 0x47 {
				n = -1
				break
			}
			n++
		}
		if n >= 3 || (n > 0 && n == (len(d)-off+stride-1)/stride && len(d) >= stride) {
			return true
		}
	}
	return false
}

// isPlaylistHead reports text that ffmpeg would treat as a list of other
// inputs, by how it starts: HLS (#EXTM3U / #EXT-X-), ffconcat / concat
// lists ("file ..."), SDP ("v=0"), DASH MPD / SMIL / other XML, PLS
// ([playlist]).
func isPlaylistHead(d []byte) bool {
	s := d
	if len(s) > 4096 {
		s = s[:4096]
	}
	s = bytes.TrimPrefix(s, []byte("\xEF\xBB\xBF"))
	t := bytes.TrimLeft(s, " \t\r\n")
	lower := bytes.ToLower(t)
	for _, p := range []string{"#extm3u", "#ext-x-", "ffconcat", "file ", "file\t", "v=0", "<?xml", "<mpd", "<smil", "[playlist]", "#extinf"} {
		if bytes.HasPrefix(lower, []byte(p)) {
			return true
		}
	}
	return false
}

// isPlaylistText: mostly printable ASCII that mentions a URL scheme or a
// list directive (only asked when there is no container magic: an MP4's
// x264 SEI contains "http://" too).
func isPlaylistText(d []byte) bool {
	s := d
	if len(s) > 4096 {
		s = s[:4096]
	}
	lower := bytes.ToLower(s)
	printable := 0
	for _, c := range s {
		if c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7F) {
			printable++
		}
	}
	if len(s) > 0 && printable*100 >= len(s)*95 {
		for _, p := range []string{"://", "\nfile ", "#ext", "concat:", "subfile,"} {
			if bytes.Contains(lower, []byte(p)) {
				return true
			}
		}
	}
	return false
}
