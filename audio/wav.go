package audio

import (
	"encoding/binary"
	"fmt"
	"math"
)

// WAV format tags (the fmt chunk's wFormatTag, or the first two bytes of the
// WAVE_FORMAT_EXTENSIBLE SubFormat GUID).
const (
	wavPCM        = 0x0001
	wavFloat      = 0x0003
	wavALaw       = 0x0006
	wavMuLaw      = 0x0007
	wavExtensible = 0xFFFE
)

// The tail shared by every KSDATAFORMAT_SUBTYPE_* GUID of the
// WAVE_FORMAT_EXTENSIBLE SubFormat field (bytes 2..15 as stored on disk).
var wavGUIDTail = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// WAVInfo describes a parsed WAV header.
type WAVInfo struct {
	FormatTag     int // effective format: 1 PCM, 3 float, 6 A-law, 7 µ-law (extensible resolved through its GUID)
	Extensible    bool
	Channels      int
	SampleRate    int  // Hz
	BitsPerSample int  // as declared in fmt
	ValidBits     int  // extensible wValidBitsPerSample, else BitsPerSample
	BlockAlign    int  // bytes per frame
	DataOffset    int  // byte offset of the first sample in the file
	DataBytes     int  // bytes of sample data actually present (whole frames)
	Streaming     bool // data size was a streaming placeholder (0xFFFFFFFF etc.)
	Truncated     bool // data chunk declared more bytes than the file holds
}

// streamingSize reports whether a declared chunk size is a placeholder that
// streaming writers leave when they cannot seek back: 0xFFFFFFFF (ffmpeg to a
// pipe, the RF64 convention) or sizes just under 2^31 (espeak, sox to
// stdout write 0x7FFFF000-ish).
func streamingSize(sz uint32) bool {
	return sz == 0xFFFFFFFF || (sz >= 0x7FFF0000 && sz <= 0x80000000)
}

// ParseWAVHeader walks the RIFF/RF64 chunks of a WAV file and returns where
// the samples are and how they are encoded. Chunks may come in any order;
// unknown chunks (LIST, JUNK, bext, fact, PEAK, id3, ...) are skipped,
// honouring the pad byte after odd-sized chunks. A data chunk whose size is
// 0xFFFFFFFF (or another streaming placeholder) extends to the end of the
// file; one that declares more bytes than the file holds is decoded as far
// as it goes and flagged Truncated. Errors wrap ErrCorrupt or
// ErrUnsupportedFormat.
func ParseWAVHeader(b []byte) (*WAVInfo, error) {
	if len(b) < 12 {
		return nil, corrupt("wav", "shorter than a RIFF header (12 bytes)", nil)
	}
	id := string(b[0:4])
	if (id != "RIFF" && id != "RF64" && id != "BW64") || string(b[8:12]) != "WAVE" {
		if id == "RIFX" {
			return nil, unsupported("wav", "big-endian RIFX WAV is not supported natively (enable the ffmpeg fallback)")
		}
		return nil, unsupported("wav", "not a RIFF/WAVE file")
	}
	rf64 := id != "RIFF"
	var ds64Data uint64
	haveDS64 := false

	var (
		fmtFound  bool
		info      WAVInfo
		dataFound bool
		dataOff   int
		dataDecl  uint64
	)
	p := 12
	for p+8 <= len(b) {
		cid := string(b[p : p+4])
		sz := binary.LittleEndian.Uint32(b[p+4 : p+8])
		body := p + 8
		avail := len(b) - body
		switch cid {
		case "ds64":
			if sz < 24 || avail < 24 {
				return nil, corrupt("wav", "short ds64 chunk", nil)
			}
			ds64Data = binary.LittleEndian.Uint64(b[body+8 : body+16])
			haveDS64 = true
		case "fmt ":
			if fmtFound {
				break // keep the first, like ffmpeg
			}
			if sz < 14 || avail < 14 {
				return nil, corrupt("wav", "fmt chunk shorter than 14 bytes", nil)
			}
			end := body + int(min(uint64(sz), uint64(avail)))
			if err := parseFmt(b[body:end], &info); err != nil {
				return nil, err
			}
			fmtFound = true
		case "data":
			if dataFound {
				break
			}
			dataFound = true
			dataOff = body
			dataDecl = uint64(sz)
			switch {
			case rf64 && sz == 0xFFFFFFFF && haveDS64:
				dataDecl = ds64Data
			case streamingSize(sz):
				info.Streaming = true
				dataDecl = uint64(avail)
			}
		}
		if cid == "data" && (info.Streaming || dataDecl >= uint64(avail)) {
			break // the data runs to the end of the file: nothing can follow
		}
		if cid == "data" && fmtFound {
			break // everything needed is known; trailing chunks are irrelevant
		}
		// Advance: size plus the pad byte of odd-sized chunks.
		next := uint64(body) + uint64(sz) + uint64(sz&1)
		if cid == "data" && rf64 && sz == 0xFFFFFFFF {
			next = uint64(body) + dataDecl + dataDecl&1
		}
		if next > uint64(len(b)) {
			break
		}
		p = int(next)
	}
	if !fmtFound {
		return nil, corrupt("wav", "no fmt chunk", nil)
	}
	if !dataFound {
		return nil, corrupt("wav", "no data chunk", nil)
	}
	avail := uint64(len(b) - dataOff)
	n := dataDecl
	if n > avail {
		n = avail
		if !info.Streaming {
			info.Truncated = true
		}
	}
	n -= n % uint64(info.BlockAlign)
	info.DataOffset = dataOff
	info.DataBytes = int(n)
	return &info, nil
}

func parseFmt(f []byte, info *WAVInfo) error {
	le := binary.LittleEndian
	tag := int(le.Uint16(f[0:2]))
	info.Channels = int(le.Uint16(f[2:4]))
	info.SampleRate = int(le.Uint32(f[4:8]))
	info.BlockAlign = int(le.Uint16(f[12:14]))
	if len(f) >= 16 {
		info.BitsPerSample = int(le.Uint16(f[14:16]))
	}
	info.ValidBits = info.BitsPerSample
	if tag == wavExtensible {
		if len(f) < 40 {
			return corrupt("wav", "WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes", nil)
		}
		info.Extensible = true
		if vb := int(le.Uint16(f[18:20])); vb > 0 {
			info.ValidBits = vb
		}
		guid := f[24:40]
		if [14]byte(guid[2:16]) != wavGUIDTail {
			return unsupported("wav", fmt.Sprintf("unknown WAVE_FORMAT_EXTENSIBLE SubFormat GUID %x", guid))
		}
		tag = int(le.Uint16(guid[0:2]))
	}
	info.FormatTag = tag
	if info.Channels <= 0 || info.Channels > 1024 {
		return corrupt("wav", fmt.Sprintf("bad channel count %d", info.Channels), nil)
	}
	if info.SampleRate <= 0 || info.SampleRate > 10_000_000 {
		return corrupt("wav", fmt.Sprintf("bad sample rate %d", info.SampleRate), nil)
	}
	var width int // bytes per sample in the container
	switch tag {
	case wavPCM:
		width = (info.BitsPerSample + 7) / 8
		if info.BlockAlign > 0 && info.BlockAlign%info.Channels == 0 && info.BlockAlign/info.Channels > width {
			width = info.BlockAlign / info.Channels // e.g. 20-bit in a 24/32-bit container
		}
		if width < 1 || width > 4 {
			return unsupported("wav", fmt.Sprintf("PCM with %d bits per sample", info.BitsPerSample))
		}
	case wavFloat:
		width = info.BitsPerSample / 8
		if width != 4 && width != 8 {
			return unsupported("wav", fmt.Sprintf("IEEE float with %d bits per sample", info.BitsPerSample))
		}
	case wavALaw, wavMuLaw:
		width = 1
	default:
		return unsupported("wav", fmt.Sprintf("format tag 0x%04x (only PCM, IEEE float, A-law, µ-law and their extensible forms are decoded natively)", tag))
	}
	info.BitsPerSample = width * 8
	info.BlockAlign = width * info.Channels
	return nil
}

// DecodeWAV decodes a WAV file to interleaved float32 samples, bit-exact with
// `ffmpeg -i f.wav -f f32le -` (integer PCM u8/s16/s24/s32 scaled by
// 2^(bits-1), float32 passed through, float64 rounded to float32, A-law/µ-law
// expanded to 16-bit G.711 values then /32768). Errors wrap ErrCorrupt or
// ErrUnsupportedFormat; a cut-off data chunk is not an error (PCM.Truncated).
func DecodeWAV(b []byte) (*PCM, error) {
	info, err := ParseWAVHeader(b)
	if err != nil {
		return nil, err
	}
	data := b[info.DataOffset : info.DataOffset+info.DataBytes]
	out := make([]float32, info.DataBytes/(info.BitsPerSample/8))
	codec := convertWAV(out, data, info.FormatTag, info.BitsPerSample)
	return &PCM{Samples: out, Channels: info.Channels, SampleRate: info.SampleRate, Truncated: info.Truncated, Codec: "wav/" + codec}, nil
}

// convertWAV converts raw little-endian samples to float32; len(out) is the
// sample count. It returns ffmpeg's codec name.
func convertWAV(out []float32, d []byte, tag, bits int) string {
	switch tag {
	case wavFloat:
		if bits == 32 {
			d = d[:4*len(out)]
			for i := range out {
				out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
			}
			return "pcm_f32le"
		}
		d = d[:8*len(out)]
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(d[8*i:])))
		}
		return "pcm_f64le"
	case wavMuLaw:
		d = d[:len(out)]
		for i, v := range d {
			out[i] = muLawTable[v]
		}
		return "pcm_mulaw"
	case wavALaw:
		d = d[:len(out)]
		for i, v := range d {
			out[i] = aLawTable[v]
		}
		return "pcm_alaw"
	}
	switch bits {
	case 8:
		d = d[:len(out)]
		for i, v := range d {
			out[i] = float32(int(v)-128) * (1.0 / 128)
		}
		return "pcm_u8"
	case 16:
		d = d[:2*len(out)]
		for i := range out {
			out[i] = float32(int16(uint16(d[2*i])|uint16(d[2*i+1])<<8)) * (1.0 / 32768)
		}
		return "pcm_s16le"
	case 24:
		d = d[:3*len(out)]
		for i := range out {
			v := int32(uint32(d[3*i])<<8|uint32(d[3*i+1])<<16|uint32(d[3*i+2])<<24) >> 8
			out[i] = float32(v) * (1.0 / (1 << 23))
		}
		return "pcm_s24le"
	default: // 32
		d = d[:4*len(out)]
		for i := range out {
			out[i] = float32(int32(binary.LittleEndian.Uint32(d[4*i:]))) * (1.0 / (1 << 31))
		}
		return "pcm_s32le"
	}
}

// G.711 expansion tables (ITU-T G.711), values /32768. µ-law: the byte is
// stored inverted; magnitude ((mantissa<<3)+0x84)<<exponent, minus the bias
// 0x84. A-law: the byte is XORed with 0x55; magnitude (2·mantissa+1)<<3 in
// segment 0, (2·mantissa+33)<<(segment+2) above; sign bit set = positive.
var muLawTable, aLawTable [256]float32

func init() {
	for i := 0; i < 256; i++ {
		u := ^uint8(i)
		mag := ((int(u&0x0F) << 3) + 0x84) << ((u >> 4) & 7)
		v := mag - 0x84
		if u&0x80 != 0 {
			v = -v
		}
		muLawTable[i] = float32(v) / 32768

		a := uint8(i) ^ 0x55
		m := int(a & 0x0F)
		seg := int(a>>4) & 7
		var t int
		if seg == 0 {
			t = (2*m + 1) << 3
		} else {
			t = (2*m + 33) << (seg + 2)
		}
		if a&0x80 == 0 {
			t = -t
		}
		aLawTable[i] = float32(t) / 32768
	}
}
