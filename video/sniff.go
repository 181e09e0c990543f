package video

import (
	"bytes"
)

// sniff names the container from magic bytes, or returns "" for unknown
// bytes. Text playlists and lists (which make ffmpeg open other files or
// URLs) are reported as unsafe. Only known binary containers go to ffmpeg.
func sniff(d []byte) (format string, unsafe bool) {
	if isPlaylist(d) {
		return "", true
	}
	switch {
	case len(d) >= 6 && (string(d[:6]) == "GIF87a" || string(d[:6]) == "GIF89a"):
		return "gif", false
	case len(d) >= 12 && isMP4Box(string(d[4:8])):
		return "mp4", false
	case len(d) >= 4 && bytes.Equal(d[:4], []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "matroska", false
	case len(d) >= 12 && string(d[:4]) == "RIFF" && string(d[8:12]) == "AVI ":
		return "avi", false
	case len(d) >= 4 && string(d[:4]) == "OggS":
		return "ogg", false
	case len(d) >= 3 && string(d[:3]) == "FLV":
		return "flv", false
	case len(d) >= 16 && bytes.Equal(d[:16], []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}):
		return "asf", false
	case len(d) >= 4 && bytes.Equal(d[:4], []byte{0, 0, 1, 0xBA}):
		return "mpeg", false
	case isTS(d):
		return "mpegts", false
	}
	return "", false
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

// isPlaylist reports text that ffmpeg would treat as a list of other
// inputs: HLS (#EXTM3U / #EXT-X-), ffconcat / concat lists ("file ..."),
// SDP ("v=0"), DASH MPD / SMIL / other XML, PLS ([playlist]), and any
// mostly-text input that mentions a URL scheme or "file" directive.
func isPlaylist(d []byte) bool {
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
	// Mostly printable ASCII with a URL or a concat directive somewhere.
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
