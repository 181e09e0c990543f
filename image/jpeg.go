package image

import (
	"bytes"
	stdimage "image"
	"image/color"
	"image/jpeg"

	ijpeg "github.com/tokenfab/tokenfab/image/internal/jpeg"
)

// JPEG goes through tokenfab's own decoder (image/internal/jpeg: bit-exact
// with libjpeg-turbo as Pillow uses it). What it does not implement
// (ijpeg.UnsupportedError: arithmetic coding, lossless, 12-bit, progressive
// files that libjpeg would block-smooth) is handed to Go's image/jpeg,
// which decodes the last case (not bit-exact: it neither smooths nor uses
// libjpeg's IDCT) and refuses the others.

// jpegDecoded carries an already converted JPEG through decodeImage.
type jpegDecoded struct{ rgb *rgbImage }

func (j *jpegDecoded) ColorModel() color.Model { return color.RGBAModel }
func (j *jpegDecoded) Bounds() stdimage.Rectangle {
	return stdimage.Rect(0, 0, j.rgb.W, j.rgb.H)
}
func (j *jpegDecoded) At(x, y int) color.Color {
	if !(stdimage.Point{x, y}.In(j.Bounds())) {
		return color.RGBA{}
	}
	p := j.rgb.Pix[(y*j.rgb.W+x)*3:]
	return color.RGBA{p[0], p[1], p[2], 255}
}

func decodeJPEGConfig(data []byte) (stdimage.Config, error) {
	c, err := ijpeg.DecodeConfig(data)
	if _, ok := err.(ijpeg.UnsupportedError); ok {
		return jpeg.DecodeConfig(bytes.NewReader(data))
	}
	return stdimage.Config{Width: c.Width, Height: c.Height, ColorModel: color.RGBAModel}, err
}

func decodeJPEG(data []byte, maxPixels int64) (stdimage.Image, error) {
	m, err := ijpeg.Decode(data, ijpeg.Options{MaxPixels: maxPixels, Alloc: getBytes})
	if _, ok := err.(ijpeg.UnsupportedError); ok {
		return jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, err
	}
	w, h := m.Width, m.Height
	out := &rgbImage{W: w, H: h, Mode: m.Mode, pooled: true}
	switch m.Mode {
	case "RGB":
		out.Pix = m.Pix
	case "L": // PIL convert("RGB") replicates
		out.Pix = getBytes(w * h * 3)
		for i, v := range m.Pix[:w*h] {
			p := (*[3]uint8)(out.Pix[3*i:])
			p[0], p[1], p[2] = v, v, v
		}
		putBytes(m.Pix)
	case "CMYK":
		out.Pix = getBytes(w * h * 3)
		for i := 0; i < w*h; i++ {
			p := m.Pix[4*i : 4*i+4]
			cmykPixel(out.Pix[3*i:3*i+3], p[0], p[1], p[2], p[3])
		}
		putBytes(m.Pix)
	}
	return &jpegDecoded{out}, nil
}
