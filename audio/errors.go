package audio

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of these,
// so callers can test with errors.Is; the message says what to do.
var (
	// ErrUnsupportedFormat: the bytes are not a container/codec this package
	// decodes natively, and the ffmpeg fallback is off or failed.
	ErrUnsupportedFormat = errors.New("audio: unsupported format")
	// ErrNeedFFmpeg: the format (Opus, AAC, ...) or option (resampler
	// "ffmpeg") needs the ffmpeg executable, which is not on PATH.
	ErrNeedFFmpeg = errors.New("audio: this format needs the ffmpeg executable on PATH (install it, e.g. `apt-get install ffmpeg`)")
	// ErrCorrupt: the file is truncated or corrupt beyond what can be decoded.
	ErrCorrupt = errors.New("audio: corrupt or truncated file")
	// ErrTooLarge: the input is larger than Config.MaxBytes.
	ErrTooLarge = errors.New("audio: input larger than Config.MaxBytes (raise the limit or split the file)")
	// ErrTooLong: the decoded audio is longer than Config.MaxDurationSeconds.
	ErrTooLong = errors.New("audio: audio longer than Config.MaxDurationSeconds (raise the limit or split the file)")
	// ErrConfig: the Config is invalid; the message names the field.
	ErrConfig = errors.New("audio: invalid config")
)

// DecodeError is a decoding failure for one input, with the container/codec
// that was tried. It unwraps to one of the sentinels above (and to the
// underlying library error when there is one).
type DecodeError struct {
	Format string // "wav", "flac", "mp3", "vorbis", "ffmpeg"
	Kind   error  // a sentinel: ErrCorrupt, ErrUnsupportedFormat, ErrNeedFFmpeg
	Detail string
	Err    error // underlying error, may be nil
}

func (e *DecodeError) Error() string {
	s := fmt.Sprintf("%v: %s: %s", e.Kind, e.Format, e.Detail)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the sentinel and the underlying error.
func (e *DecodeError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

func corrupt(format, detail string, err error) error {
	return &DecodeError{Format: format, Kind: ErrCorrupt, Detail: detail, Err: err}
}

func unsupported(format, detail string) error {
	return &DecodeError{Format: format, Kind: ErrUnsupportedFormat, Detail: detail}
}
