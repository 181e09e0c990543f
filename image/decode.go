package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	stdimage "image"
	"image/gif"
	"image/jpeg"
	"image/png"

	ijpeg "github.com/tokenfab/tokenfab/image/internal/jpeg"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// DefaultMaxPixels is PIL's Image.MAX_IMAGE_PIXELS (int(1024*1024*1024//4//3)).
// PIL warns above it and refuses above twice it; tokenfab refuses above it.
const DefaultMaxPixels = 89478485

// sniff names the container from its magic bytes ("" if unknown).
func sniff(d []byte) string {
	switch {
	case len(d) >= 8 && string(d[:8]) == "\x89PNG\r\n\x1a\n":
		return "png"
	case len(d) >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF:
		return "jpeg"
	case len(d) >= 6 && (string(d[:6]) == "GIF87a" || string(d[:6]) == "GIF89a"):
		return "gif"
	case len(d) >= 2 && string(d[:2]) == "BM":
		return "bmp"
	case len(d) >= 4 && (string(d[:4]) == "II*\x00" || string(d[:4]) == "MM\x00*"):
		return "tiff"
	case len(d) >= 12 && string(d[:4]) == "RIFF" && string(d[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// classify maps a decoder error to one of the sentinels.
func classify(format string, err error) error {
	var fe interface{ Error() string }
	_ = fe
	if ours(err) {
		return err // already says what happened (our own decoders)
	}
	msg := err.Error()
	switch err.(type) {
	case png.UnsupportedError, jpeg.UnsupportedError, tiff.UnsupportedError, ijpeg.UnsupportedError:
		return errorf(ErrUnsupportedFormat, "%s: %s; convert the file to PNG or baseline JPEG", format, msg)
	}
	if errors.Is(err, ijpeg.ErrTooManyPixels) {
		return errorf(ErrTooManyPixels, "%s: %s; if the image is genuine, raise the limit (tokenize run --max-image-pixels N, Config.MaxImagePixels)", format, msg)
	}
	if errors.Is(err, bmp.ErrUnsupported) {
		return errorf(ErrUnsupportedFormat, "%s: %s (this BMP variant is not decoded); convert the file to PNG", format, msg)
	}
	if format == "webp" && (msg == "webp: invalid format" || bytes.Contains([]byte(msg), []byte("unsupported"))) {
		return errorf(ErrUnsupportedFormat, "%s: %s (animated WebP is not decoded); convert the file to PNG", format, msg)
	}
	return errorf(ErrCorrupt, "%s: %s; the file is damaged or truncated", format, msg)
}

func decodeConfig(format string, data []byte) (stdimage.Config, error) {
	r := bytes.NewReader(data)
	switch format {
	case "png":
		return png.DecodeConfig(r)
	case "jpeg":
		return decodeJPEGConfig(data)
	case "gif":
		c, err := gif.DecodeConfig(r)
		if err == nil {
			// the first frame may be larger than the logical screen
			if gi, ok := parseGIFInfo(data); ok && gi.screenW > 0 {
				c.Width, c.Height = gi.screenW, gi.screenH
			}
		}
		return c, err
	case "bmp":
		c, err := bmp.DecodeConfig(r)
		if errors.Is(err, bmp.ErrUnsupported) && len(data) >= 26 {
			// RLE / bitfields: read the size from the BITMAPINFOHEADER
			w := int(int32(binary.LittleEndian.Uint32(data[18:])))
			h := int(int32(binary.LittleEndian.Uint32(data[22:])))
			if h < 0 {
				h = -h
			}
			return stdimage.Config{Width: w, Height: h}, nil
		}
		return c, err
	case "tiff":
		return decodeTIFFConfig(data)
	case "webp":
		if isAnimatedWebP(data) {
			return webpAnimConfig(data)
		}
		return webp.DecodeConfig(r)
	}
	return stdimage.Config{}, errorf(ErrUnsupportedFormat, "unknown format")
}

func decodeImage(format string, data []byte, maxPixels int64) (stdimage.Image, error) {
	r := bytes.NewReader(data)
	switch format {
	case "png":
		return png.Decode(r)
	case "jpeg":
		return decodeJPEG(data, maxPixels)
	case "gif":
		return decodeGIF(data)
	case "bmp":
		m, err := bmp.Decode(r)
		if errors.Is(err, bmp.ErrUnsupported) {
			return decodeBMPExtra(data, maxPixels)
		}
		return m, err
	case "tiff":
		return decodeTIFF(data, maxPixels)
	case "webp":
		if isAnimatedWebP(data) {
			return decodeWebPAnimFirst(data)
		}
		return webp.Decode(r)
	}
	return nil, errorf(ErrUnsupportedFormat, "unknown format")
}

// decodeOptions are the decoding knobs of a Config.
type decodeOptions struct {
	maxPixels    int64 // <0: no limit
	maxFileBytes int64 // <0: no limit
	noEXIF       bool
	background   *[3]uint8
	hf           bool // HFTransparency
}

// decoded is a decoded, oriented RGB image plus what metadata needs.
type decoded struct {
	rgb         *rgbImage
	format      string
	orientation int // EXIF orientation found (0: none)
	applied     bool
	storedW     int
	storedH     int
}

// decodeRGB: limits, header check, decode, PIL convert("RGB") (or alpha
// composite onto a background), EXIF orientation. Never panics: a panic
// inside a decoder becomes ErrCorrupt.
func decodeRGB(data []byte, o decodeOptions) (res *decoded, err error) {
	if o.maxFileBytes >= 0 && int64(len(data)) > o.maxFileBytes {
		return nil, errorf(ErrFileTooLarge, "%d bytes > MaxFileBytes %d; raise MaxFileBytes if the file is genuine", len(data), o.maxFileBytes)
	}
	format := sniff(data)
	if format == "" {
		return nil, errorf(ErrUnsupportedFormat, "unrecognised signature %q; supported: PNG, JPEG, GIF, BMP, TIFF, WebP", head(data))
	}
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, errorf(ErrCorrupt, "%s: decoder failed (%v); the file is damaged", format, p)
		}
	}()
	cfg, err := decodeConfig(format, data)
	if err != nil {
		return nil, classify(format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, errorf(ErrInvalidSize, "%s header says %dx%d", format, cfg.Width, cfg.Height)
	}
	if o.maxPixels >= 0 && int64(cfg.Width)*int64(cfg.Height) > o.maxPixels {
		return nil, errorf(ErrTooManyPixels, "%s header says %dx%d = %d pixels, over the limit of %d; if the image is genuine, raise the limit (tokenize run --max-image-pixels N, Config.MaxImagePixels)",
			format, cfg.Width, cfg.Height, int64(cfg.Width)*int64(cfg.Height), o.maxPixels)
	}
	img, err := decodeImage(format, data, o.maxPixels)
	if err != nil {
		return nil, classify(format, err)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, errorf(ErrInvalidSize, "%s decoded to an empty image", format)
	}
	if o.maxPixels >= 0 && int64(b.Dx())*int64(b.Dy()) > o.maxPixels {
		return nil, errorf(ErrTooManyPixels, "%s decoded to %dx%d, over the limit of %d pixels; if the image is genuine, raise the limit (tokenize run --max-image-pixels N, Config.MaxImagePixels)", format, b.Dx(), b.Dy(), o.maxPixels)
	}
	rgb := toRGB(img, format)
	rgb.Mode = headerMode(format, data, rgb.Mode)
	if format == "png" {
		pngKeyAlpha(rgb, img, data)
	}
	if o.hf {
		rgb.whitenKey(transparencyKey(format, data, img, rgb.Mode))
	} else if o.background != nil {
		rgb.composite(*o.background)
	}
	img = nil
	res = &decoded{rgb: rgb, format: format, storedW: rgb.W, storedH: rgb.H}
	if ori := exifOrientation(format, data); ori != 0 {
		res.orientation = ori
		if !o.noEXIF && ori != 1 {
			rgb.Pix, rgb.W, rgb.H = orient(rgb.Pix, rgb.W, rgb.H, 3, ori)
			rgb.pooled = false
			if rgb.Alpha != nil {
				rgb.Alpha, _, _ = orient(rgb.Alpha, res.storedW, res.storedH, 1, ori)
			}
			res.applied = true
		}
	}
	return res, nil
}

func head(d []byte) string {
	if len(d) > 8 {
		d = d[:8]
	}
	return fmt.Sprintf("%x", d)
}
