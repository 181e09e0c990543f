package video

import (
	"context"
	"strconv"
	"strings"

	"github.com/tokenfab/tokenfab/audio"
)

// Audio extracts the first audio stream of a video file (bytes) within the
// configured Start/End window and tokenizes it with at (package audio:
// Whisper/AST/log-mel features). This is the --video-audio path.
//
// How: the same sniffing, temp file and safe ffmpeg invocation as Tokenize
// (-protocol_whitelist file, demuxer whitelist, -nostdin, killed on ctx
// end); ffmpeg writes the audio as 32-bit float WAV at the stream's own
// rate and channel count (`-map 0:a:0 -c:a pcm_f32le -f wav`; -ss/-t for
// the window, input seeking); at then decodes, downmixes and resamples as
// for any WAV, so the result equals audio.Tokenize on that WAV.
//
// Errors: ErrUnsafeInput, ErrUnsupportedFormat, ErrNeedFFmpeg, ErrTooLarge,
// ErrNoFrames (no audio stream), ErrCorrupt, audio errors, ctx errors.
func (t *Tokenizer) Audio(ctx context.Context, data []byte, at *audio.Tokenizer) (*audio.Tokens, error) {
	wav, err := t.AudioWAV(ctx, data)
	if err != nil {
		return nil, err
	}
	return at.Tokenize(ctx, wav)
}

// AudioWAV returns the window's first audio stream as a float32 WAV file
// (bytes; the stream's rate and channels), see Audio.
func (t *Tokenizer) AudioWAV(ctx context.Context, data []byte) ([]byte, error) {
	r := t.r
	if int64(len(data)) > r.maxBytes {
		return nil, errorf(ErrTooLarge, "%d bytes > MaxBytes %d", len(data), r.maxBytes)
	}
	format, unsafe := sniff(data)
	if unsafe {
		return nil, ErrUnsafeInput
	}
	if format == "" {
		return nil, errorf(ErrUnsupportedFormat, "unknown magic bytes")
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	ffmpeg, _, err := t.tools()
	if err != nil {
		return nil, err
	}
	path, cleanup, err := t.tempFile(data)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	args := []string{"-nostdin", "-v", "error"}
	if r.start > 0 {
		args = append(args, "-ss", strconv.FormatFloat(r.start, 'f', 6, 64))
	}
	args = append(args, safeInputArgs(path)...)
	if r.end > 0 {
		args = append(args, "-t", strconv.FormatFloat(r.end-r.start, 'f', 6, 64))
	}
	args = append(args, "-map", "0:a:0?", "-vn", "-sn", "-dn", "-c:a", "pcm_f32le", "-f", "wav", "pipe:1")
	// a 4-hour 48 kHz stereo float32 stream is 5.5 GB; cap by MaxDecodedBytes
	out, err := runTool(ctx, ffmpeg, args, min(r.maxDec, 1<<33))
	if err != nil {
		if strings.Contains(err.Error(), "does not contain any stream") {
			return nil, errorf(ErrNoFrames, "the video has no audio stream")
		}
		return nil, err
	}
	if len(out) <= 44 {
		return nil, errorf(ErrNoFrames, "the video has no audio stream (or the window has no audio)")
	}
	return out, nil
}
