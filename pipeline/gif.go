package pipeline

import "github.com/tokenfab/tokenfab/image"

// animated reports whether an image file of format "gif" or "webp" is an
// animation (Options.GIFAsVideo): a GIF of two or more frames, or a WebP
// with the VP8X animation flag and its chunks (image.IsAnimatedWebP).
func animated(format string, data []byte) bool {
	if format == "webp" {
		return image.IsAnimatedWebP(data)
	}
	return gifFrames(data, 2) >= 2
}

// gifFrames counts the image descriptors of a GIF (data from "GIF8"),
// stopping at limit, by walking its blocks without decoding: the logical
// screen descriptor and its colour table, extensions (label and
// sub-blocks), images (descriptor, local colour table, LZW code size and
// sub-blocks), up to the trailer. A truncated or malformed stream counts
// the frames seen so far.
func gifFrames(data []byte, limit int) int {
	if len(data) < 13 {
		return 0
	}
	p := 13
	if data[10]&0x80 != 0 {
		p += 3 << (data[10]&7 + 1)
	}
	subBlocks := func(p int) int { // returns the index after the terminator, or -1
		for p < len(data) {
			n := int(data[p])
			p++
			if n == 0 {
				return p
			}
			p += n
		}
		return -1
	}
	n := 0
	for p < len(data) && n < limit {
		switch data[p] {
		case 0x21: // extension: introducer, label, sub-blocks
			if p+2 > len(data) {
				return n
			}
			if p = subBlocks(p + 2); p < 0 {
				return n
			}
		case 0x2C: // image descriptor (10 bytes), local colour table, LZW code size, data
			if p+10 > len(data) {
				return n
			}
			flags := data[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << (flags&7 + 1)
			}
			p++ // LZW minimum code size
			if p > len(data) {
				return n
			}
			if p = subBlocks(p); p < 0 {
				return n
			}
			n++
		default: // trailer (0x3B) or garbage
			return n
		}
	}
	return n
}
