package video

import (
	"errors"
	"fmt"

	"github.com/tokenfab/tokenfab/image"
)

// decodeWebP decodes an animated WebP into a sequence with package
// image's DecodeWebPFrames: every frame as Pillow 13 (libwebp's
// WebPAnimDecoder) gives it, composited, RGB with alpha dropped. Frame k
// starts at the sum of the ANMF durations before it, in seconds, as
// stored (libwebp's timestamps; no player clamping of short durations),
// and the clip ends at the sum of all of them. maxBytes bounds the
// decoded frames with their alpha (frames·w·h·4), maxFrames their count;
// both are checked from the headers before any frame is decoded. A still
// WebP is an image, not a video: ErrUnsupportedFormat.
func decodeWebP(data []byte, maxBytes int64, maxFrames int) (*sequence, error) {
	if !image.IsAnimatedWebP(data) {
		return nil, errorf(ErrUnsupportedFormat, "a still WebP is an image, not a video")
	}
	frames, w, h, err := image.DecodeWebPFrames(data, maxBytes, maxFrames)
	switch {
	case errors.Is(err, image.ErrFileTooLarge) || errors.Is(err, image.ErrTooManyPixels):
		return nil, fmt.Errorf("%w: %w", ErrTooLarge, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	case len(frames) == 0:
		return nil, errorf(ErrNoFrames, "animated WebP without frames")
	}
	seq := &sequence{w: w, h: h, container: "webp", codec: "webp", decoder: "go-webp"}
	ms := 0
	for _, f := range frames {
		seq.frames = append(seq.frames, f.RGB)
		seq.pts = append(seq.pts, float64(ms)/1000)
		ms += f.DurationMs
	}
	seq.end = float64(ms) / 1000
	return seq, nil
}
