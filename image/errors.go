package image

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by Tokenize wraps exactly one of
// these (test with errors.Is); the wrapping message names the detail and says
// what to do about it. None of them is fatal for a batch: they are per-record.
var (
	// ErrUnsupportedFormat: the bytes are not PNG, JPEG, GIF, BMP, TIFF or
	// WebP, or use a feature of those formats that is not decoded (e.g. a
	// tiled JPEG-compressed TIFF, a float TIFF). Convert the file to PNG or JPEG.
	ErrUnsupportedFormat = errors.New("image: unsupported format")
	// ErrCorrupt: the file is recognised but cannot be decoded (truncated,
	// malformed). Re-encode or drop the file.
	ErrCorrupt = errors.New("image: corrupt or truncated image")
	// ErrTooManyPixels: the header claims more pixels than Config.MaxPixels
	// (default 89,478,485, PIL's MAX_IMAGE_PIXELS). Checked before any pixel
	// buffer is allocated. Raise MaxPixels if the image is genuine.
	ErrTooManyPixels = errors.New("image: too many pixels (possible decompression bomb)")
	// ErrFileTooLarge: the encoded input is larger than Config.MaxFileBytes.
	ErrFileTooLarge = errors.New("image: file too large")
	// ErrInvalidSize: the image (or its resized size) is empty, or its aspect
	// ratio is beyond what the preset accepts (Qwen: 200).
	ErrInvalidSize = errors.New("image: invalid image size")
	// ErrConfig: New was given an invalid Config.
	ErrConfig = errors.New("image: invalid config")
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// ours reports whether err already wraps one of the sentinels.
func ours(err error) bool {
	for _, s := range []error{ErrUnsupportedFormat, ErrCorrupt, ErrTooManyPixels, ErrFileTooLarge, ErrInvalidSize, ErrConfig} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
