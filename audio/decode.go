package audio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/jfreymuth/oggvorbis"
	"github.com/mewkiz/flac"
)

// DecodeOptions controls Decode's fallback to the ffmpeg executable.
type DecodeOptions struct {
	// FFmpeg is "auto" or "" (use the ffmpeg on PATH for formats without a
	// native decoder, error ErrNeedFFmpeg when there is none), "off" (never
	// run ffmpeg: those formats fail with ErrUnsupportedFormat), or a path
	// to an ffmpeg executable.
	FFmpeg string
	// PreferFFmpeg decodes every format with ffmpeg, even those with a
	// native decoder (useful to reproduce ffmpeg-based loaders exactly).
	PreferFFmpeg bool
}

// Container sniffs the format of an audio file from its first bytes:
// "wav", "flac", "mp3", "vorbis" (Ogg Vorbis), "opus" (Ogg Opus), "ogg"
// (another Ogg codec) or "" (unknown: left to ffmpeg).
func Container(b []byte) string {
	switch {
	case len(b) >= 12 && (string(b[:4]) == "RIFF" || string(b[:4]) == "RF64" || string(b[:4]) == "BW64" || string(b[:4]) == "RIFX") && string(b[8:12]) == "WAVE":
		return "wav"
	case len(b) >= 4 && string(b[:4]) == "fLaC":
		return "flac"
	case len(b) >= 4 && string(b[:4]) == "OggS":
		head := b[:min(len(b), 256)]
		switch {
		case bytes.Contains(head, []byte("\x01vorbis")):
			return "vorbis"
		case bytes.Contains(head, []byte("OpusHead")):
			return "opus"
		case bytes.Contains(head, []byte("fLaC")):
			return "ogg" // Ogg FLAC: ffmpeg
		}
		return "ogg"
	}
	// ID3v2 in front of MPEG audio (or, rarely, FLAC).
	off := 0
	if len(b) >= 10 && string(b[:3]) == "ID3" {
		off = id3v2Size(b)
		if off+4 <= len(b) && string(b[off:off+4]) == "fLaC" {
			return "flac"
		}
	}
	if _, ok := findMP3Frame(b, off, 4096); ok {
		return "mp3"
	}
	return ""
}

// Decode decodes an audio file held in memory to interleaved float32 PCM at
// its native rate and channel count (see PCM for units and scaling). WAV,
// FLAC, MP3 and Ogg Vorbis are decoded in Go; anything else (Opus, AAC, M4A,
// WebM, ...) by the ffmpeg executable when it is on PATH. Errors wrap
// ErrCorrupt, ErrUnsupportedFormat or ErrNeedFFmpeg. It never panics.
func Decode(data []byte) (*PCM, error) {
	return DecodeContext(context.Background(), data, DecodeOptions{})
}

// DecodeContext is Decode with options; ctx cancels an ffmpeg subprocess.
func DecodeContext(ctx context.Context, data []byte, opt DecodeOptions) (pcm *PCM, err error) {
	kind := Container(data)
	if opt.PreferFFmpeg && opt.FFmpeg != "off" {
		return decodeFFmpeg(ctx, data, opt.FFmpeg, kind)
	}
	defer func() {
		if r := recover(); r != nil {
			pcm, err = nil, corrupt(kind, "decoder panicked", fmt.Errorf("%v", r))
		}
	}()
	switch kind {
	case "wav":
		p, err := DecodeWAV(data)
		if err != nil && errors.Is(err, ErrUnsupportedFormat) && opt.FFmpeg != "off" {
			if _, lerr := ffmpegPath(opt.FFmpeg); lerr == nil {
				return decodeFFmpeg(ctx, data, opt.FFmpeg, kind)
			}
		}
		return p, err
	case "flac":
		return DecodeFLAC(data)
	case "mp3":
		return DecodeMP3(data)
	case "vorbis":
		return DecodeVorbis(data)
	}
	if opt.FFmpeg == "off" {
		return nil, unsupported(orUnknown(kind), "no native decoder and the ffmpeg fallback is off")
	}
	return decodeFFmpeg(ctx, data, opt.FFmpeg, kind)
}

func orUnknown(k string) string {
	if k == "" {
		return "unknown"
	}
	return k
}

// DecodeFLAC decodes a FLAC stream with github.com/mewkiz/flac: samples are
// int/2^(bits-1) as float32, bit-exact with `ffmpeg -f f32le`. A stream cut
// off mid-way returns the frames decoded so far with Truncated set; other
// errors wrap ErrCorrupt.
func DecodeFLAC(data []byte) (pcm *PCM, err error) {
	defer func() {
		if r := recover(); r != nil {
			pcm, err = nil, corrupt("flac", "decoder panicked", fmt.Errorf("%v", r))
		}
	}()
	st, err := flac.New(bytes.NewReader(data))
	if err != nil {
		return nil, corrupt("flac", "bad header", err)
	}
	info := st.Info
	ch := int(info.NChannels)
	bps := int(info.BitsPerSample)
	if ch < 1 || info.SampleRate == 0 || bps < 4 || bps > 32 {
		return nil, corrupt("flac", fmt.Sprintf("bad STREAMINFO (channels %d, rate %d, bits %d)", ch, info.SampleRate, bps), nil)
	}
	scale := float32(1.0 / float64(uint64(1)<<(bps-1)))
	var out []float32
	if info.NSamples > 0 && info.NSamples*uint64(ch) <= uint64(len(data))*64 {
		out = make([]float32, 0, int(info.NSamples)*ch)
	}
	p := &PCM{Channels: ch, SampleRate: int(info.SampleRate), Codec: "flac"}
	for {
		fr, err := st.ParseNext()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(out) > 0 && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
				p.Truncated = true
				break
			}
			if len(out) > 0 {
				return nil, corrupt("flac", fmt.Sprintf("bad frame after %d samples", len(out)/ch), err)
			}
			return nil, corrupt("flac", "bad first frame", err)
		}
		if len(fr.Subframes) != ch {
			return nil, corrupt("flac", "frame channel count differs from STREAMINFO", nil)
		}
		n := int(fr.BlockSize)
		for _, sf := range fr.Subframes {
			if len(sf.Samples) < n {
				return nil, corrupt("flac", "short subframe", nil)
			}
		}
		base := len(out)
		out = append(out, make([]float32, n*ch)...)
		o := out[base:]
		for c, sf := range fr.Subframes {
			s := sf.Samples[:n]
			for i, v := range s {
				o[i*ch+c] = float32(v) * scale
			}
		}
	}
	if info.NSamples > 0 && uint64(len(out)/ch) < info.NSamples {
		p.Truncated = true
	}
	p.Samples = out
	return p, nil
}

// DecodeVorbis decodes Ogg Vorbis with github.com/jfreymuth/oggvorbis to
// interleaved float32 (within 1e-6 of ffmpeg's native vorbis decoder). A
// stream cut off mid-way returns what was decoded with Truncated set;
// other errors wrap ErrCorrupt.
func DecodeVorbis(data []byte) (pcm *PCM, err error) {
	defer func() {
		if r := recover(); r != nil {
			pcm, err = nil, corrupt("vorbis", "decoder panicked", fmt.Errorf("%v", r))
		}
	}()
	// A plain io.Reader: given a Seeker, oggvorbis seeks to the last page
	// first and fails on a truncated file.
	r, err := oggvorbis.NewReader(struct{ io.Reader }{bytes.NewReader(data)})
	if err != nil {
		return nil, corrupt("vorbis", "bad Ogg Vorbis headers", err)
	}
	ch := r.Channels()
	if ch < 1 || r.SampleRate() <= 0 {
		return nil, corrupt("vorbis", "bad channel count or rate", nil)
	}
	p := &PCM{Channels: ch, SampleRate: r.SampleRate(), Codec: "vorbis"}
	out := make([]float32, 0, 1<<16)
	buf := make([]float32, 8192*ch)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(out) > 0 && errors.Is(err, io.ErrUnexpectedEOF) {
				p.Truncated = true
				break
			}
			return nil, corrupt("vorbis", fmt.Sprintf("bad packet after %d samples", len(out)/ch), err)
		}
	}
	p.Samples = out[:len(out)-len(out)%ch]
	return p, nil
}

func ffmpegPath(opt string) (string, error) {
	name := "ffmpeg"
	if opt != "" && opt != "auto" && opt != "off" {
		name = opt
	}
	return exec.LookPath(name)
}

// decodeFFmpeg runs `ffmpeg -i pipe:0 -c:a pcm_f32le -f wav -` (native rate
// and channels) and parses the streamed WAV with our own parser. From a
// pipe ffmpeg keeps an MP3's encoder padding at the end (it trims it when
// reading a file), so MP3 output is cut to the LAME tag's length: the
// result equals `ffmpeg -i FILE -f f32le`.
func decodeFFmpeg(ctx context.Context, data []byte, opt, kind string) (*PCM, error) {
	ff, err := ffmpegPath(opt)
	if err != nil {
		what := "this file"
		if kind != "" {
			what = kind
		}
		return nil, &DecodeError{Format: orUnknown(kind), Kind: ErrNeedFFmpeg, Detail: what + " has no native decoder"}
	}
	cmd := exec.CommandContext(ctx, ff, "-nostdin", "-v", "error", "-threads", "1", "-i", "pipe:0",
		"-map", "0:a:0", "-c:a", "pcm_f32le", "-f", "wav", "pipe:1")
	cmd.Stdin = bytes.NewReader(data)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(errb.String())
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return nil, &DecodeError{Format: "ffmpeg", Kind: ErrUnsupportedFormat, Detail: "ffmpeg could not decode " + orUnknown(kind) + ": " + msg, Err: err}
	}
	p, err := DecodeWAV(out.Bytes())
	if err != nil {
		return nil, &DecodeError{Format: "ffmpeg", Kind: ErrCorrupt, Detail: "unreadable ffmpeg output", Err: err}
	}
	p.Codec = "ffmpeg"
	if kind != "" {
		p.Codec = "ffmpeg/" + kind
	}
	p.Truncated = false
	if kind == "mp3" {
		if n, ok := mp3GaplessLength(data); ok && n*p.Channels < len(p.Samples) {
			p.Samples = p.Samples[:n*p.Channels]
		}
	}
	return p, nil
}
