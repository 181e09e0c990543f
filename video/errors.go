package video

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of these
// (or ctx.Err(), or an image/audio sentinel from the reused packages), so
// callers can test with errors.Is; the message says what to do.
var (
	// ErrNeedFFmpeg: the input is a container/codec that only ffmpeg decodes
	// (MP4, MOV, WebM, MKV, AVI, ...), and the ffmpeg/ffprobe executables are
	// not on PATH (or not at Config.FFmpeg/FFprobe). Animated GIF and frame
	// directories (TokenizeFrameFiles) need no ffmpeg.
	ErrNeedFFmpeg = errors.New("video: this input needs the ffmpeg and ffprobe executables (install ffmpeg, e.g. `apt-get install ffmpeg`, or set Config.FFmpeg/FFprobe)")
	// ErrUnsafeInput: the bytes are a playlist or list that makes ffmpeg
	// open other files or URLs (HLS .m3u8, ffconcat, SDP, DASH/SMIL/XML,
	// PLS, ...). Refused by content sniffing, and ffmpeg/ffprobe run with
	// -protocol_whitelist file and a demuxer whitelist besides.
	ErrUnsafeInput = errors.New("video: input refused: playlists/concat lists that reference other files or URLs are not read")
	// ErrUnsupportedFormat: not a known video container (by magic bytes),
	// or ffprobe finds no video stream.
	ErrUnsupportedFormat = errors.New("video: unsupported format (want MP4/MOV, WebM/MKV, AVI, MPEG-TS/PS, FLV, Ogg, ASF, GIF or animated WebP)")
	// ErrCorrupt: ffprobe/ffmpeg fail on the file, or the decoded output
	// does not match the probe (frame count or size).
	ErrCorrupt = errors.New("video: corrupt or undecodable file")
	// ErrTooLarge: the input is larger than Config.MaxBytes, or the sampled
	// frames would take more than Config.MaxDecodedBytes of RGB.
	ErrTooLarge = errors.New("video: input or decoded frames larger than the configured limit (raise MaxBytes/MaxDecodedBytes or sample fewer frames)")
	// ErrTooLong: the video is longer than Config.MaxDurationSeconds or has
	// more than Config.MaxSourceFrames frames, or the policy would sample
	// more than Config.MaxSampledFrames frames.
	ErrTooLong = errors.New("video: video too long for the configured limits (raise MaxDurationSeconds/MaxSourceFrames/MaxSampledFrames or set a Start/End window)")
	// ErrNoFrames: the (windowed) video has no frames to sample, or the
	// policy cannot sample the requested count (HF: num_frames >
	// total_num_frames).
	ErrNoFrames = errors.New("video: no frames to sample")
	// ErrFrameOrder: frame files whose names sort (byte order) differently
	// from the numbers in them, e.g. frame_10.png before frame_2.png: the
	// clip would play out of order, so it is refused rather than guessed.
	ErrFrameOrder = errors.New("video: frame file names do not sort in frame order (zero-pad the frame numbers, e.g. frame_00002.png)")
	// ErrConfig: the Config is invalid; the message names the field.
	ErrConfig = errors.New("video: invalid config")
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
