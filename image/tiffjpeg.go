package image

import (
	stdimage "image"
)

// JPEG-compressed TIFF ("new-style", Compression = 7; TIFF Technical Note
// 2), which x/image/tiff refuses. Each strip is an abbreviated JPEG stream
// (SOI, SOF, SOS, data, EOI) whose quantisation and Huffman tables live
// once in the JPEGTables tag (SOI, DQT/DHT, EOI). Splicing the tables in
// front of each strip's frame gives an ordinary JPEG, which the JPEG path
// of this package decodes (decodeImage("jpeg") and toRGB, libjpeg's fancy
// upsampling and colour conversion) — what libtiff does with libjpeg for
// Pillow: with YCbCr photometric Pillow sets JPEGCOLORMODE_RGB, so libjpeg
// converts each strip to RGB on its own, upsampling chroma within the
// strip. Strips are decoded one by one and stacked.
//
// Covered: strips and tiles, PlanarConfiguration 1, 8-bit, photometric
// YCbCr (6, any sampling the JPEG decoder takes), RGB (2; libtiff writes
// the components untransformed with ids 'R','G','B', which the JPEG
// decoder keeps as RGB) and BlackIsZero (1). Planar configuration 2 and
// old-style JPEG (Compression 6) get ErrUnsupportedFormat.

const (
	tiffTagWidth        = 256
	tiffTagHeight       = 257
	tiffTagBitsPerSamp  = 258
	tiffTagPhotometric  = 262
	tiffTagStripOffsets = 273
	tiffTagSamples      = 277
	tiffTagRowsPerStrip = 278
	tiffTagStripCounts  = 279
	tiffTagPlanar       = 284
	tiffTagTileWidth    = 322
	tiffTagTileLength   = 323
	tiffTagTileOffsets  = 324
	tiffTagTileCounts   = 325
	tiffTagJPEGTables   = 347
)

// tiffJPEG reports whether data is a TIFF whose IFD0 says Compression 6 or
// 7, and returns the directory.
func tiffJPEG(data []byte) (*tiffDir, bool) {
	d := readTIFFDir(data)
	if d == nil {
		return nil, false
	}
	c := d.first(tiffTagCompression, 1)
	return d, c == 6 || c == 7
}

// tiffJPEGConfig is DecodeConfig for a JPEG-compressed TIFF.
func tiffJPEGConfig(d *tiffDir) (stdimage.Config, error) {
	w, h := int(d.first(tiffTagWidth, 0)), int(d.first(tiffTagHeight, 0))
	if w <= 0 || h <= 0 {
		return stdimage.Config{}, errorf(ErrCorrupt, "tiff: JPEG-compressed TIFF without a usable size (%dx%d)", w, h)
	}
	return stdimage.Config{Width: w, Height: h}, nil
}

// decodeTIFFJPEG decodes a JPEG-compressed TIFF strip by strip (see above).
// The result is *image.RGBA (opaque) or *image.Gray.
func decodeTIFFJPEG(data []byte, d *tiffDir, maxPixels int64) (stdimage.Image, error) {
	if c := d.first(tiffTagCompression, 1); c != 7 {
		return nil, errorf(ErrUnsupportedFormat, "tiff: old-style JPEG compression (%d) is not decoded; convert the file to PNG or JPEG", c)
	}
	cfg, err := tiffJPEGConfig(d)
	if err != nil {
		return nil, err
	}
	W, H := cfg.Width, cfg.Height
	if p := d.first(tiffTagPlanar, 1); p != 1 {
		return nil, errorf(ErrUnsupportedFormat, "tiff: JPEG-compressed TIFF with planar configuration %d is not decoded; convert the file to PNG or JPEG", p)
	}
	for _, b := range d.uints(tiffTagBitsPerSamp) {
		if b != 8 {
			return nil, errorf(ErrUnsupportedFormat, "tiff: %d-bit JPEG-compressed TIFF is not decoded; convert the file to PNG or JPEG", b)
		}
	}
	photo := d.first(tiffTagPhotometric, 0)
	spp := int(d.first(tiffTagSamples, 1))
	gray := false
	switch {
	case (photo == 6 || photo == 2) && spp == 3:
	case photo == 1 && spp == 1:
		gray = true
	default:
		return nil, errorf(ErrUnsupportedFormat, "tiff: JPEG-compressed TIFF with photometric %d and %d samples is not decoded; convert the file to PNG or JPEG", photo, spp)
	}
	// Blocks: strips (W wide, RowsPerStrip high, the last one may be
	// short) or tiles (TileWidth × TileLength, cropped at the right and
	// bottom edges), each an abbreviated JPEG.
	kind := "strip"
	bw, bh := W, int(min(d.first(tiffTagRowsPerStrip, uint32(H)), uint32(H)))
	offs, counts := d.uints(tiffTagStripOffsets), d.uints(tiffTagStripCounts)
	if _, tiled := d.tags[tiffTagTileWidth]; tiled {
		kind = "tile"
		bw, bh = int(d.first(tiffTagTileWidth, 0)), int(d.first(tiffTagTileLength, 0))
		offs, counts = d.uints(tiffTagTileOffsets), d.uints(tiffTagTileCounts)
		if bw <= 0 || bh <= 0 {
			return nil, errorf(ErrCorrupt, "tiff: tile size %dx%d", bw, bh)
		}
	}
	if bh <= 0 {
		bh = H
	}
	across, down := (W+bw-1)/bw, (H+bh-1)/bh
	if n := across * down; len(offs) < n || len(counts) < n {
		return nil, errorf(ErrCorrupt, "tiff: %d %ss of %dx%d needed for %dx%d, the file lists %d offsets and %d byte counts", n, kind, bw, bh, W, H, len(offs), len(counts))
	}
	// Tables: SOI, tables..., EOI. Without the tag every block must carry
	// its own tables.
	var tables []byte
	if e, ok := d.tags[tiffTagJPEGTables]; ok {
		t := e.val
		if len(t) < 4 || t[0] != 0xFF || t[1] != 0xD8 || t[len(t)-2] != 0xFF || t[len(t)-1] != 0xD9 {
			return nil, errorf(ErrCorrupt, "tiff: JPEGTables is not SOI … EOI")
		}
		tables = t[:len(t)-2]
	}

	var out stdimage.Image
	var pix []uint8
	var stride int
	if gray {
		g := stdimage.NewGray(stdimage.Rect(0, 0, W, H))
		out, pix, stride = g, g.Pix, g.Stride
	} else {
		// RGB as opaque *image.RGBA: toRGB gives PIL's mode "RGB".
		m := stdimage.NewRGBA(stdimage.Rect(0, 0, W, H))
		out, pix, stride = m, m.Pix, m.Stride
	}
	for k := 0; k < across*down; k++ {
		x0, y0 := (k%across)*bw, (k/across)*bh
		cols, rows := min(bw, W-x0), min(bh, H-y0)
		o, n := int64(offs[k]), int64(counts[k])
		if o < 0 || n < 4 || o+n > int64(len(data)) {
			return nil, errorf(ErrCorrupt, "tiff: %s %d (%d bytes at %d) lies outside the file", kind, k, n, o)
		}
		blk := data[o : o+n]
		if blk[0] != 0xFF || blk[1] != 0xD8 {
			return nil, errorf(ErrCorrupt, "tiff: %s %d does not start with a JPEG SOI marker", kind, k)
		}
		jpg := blk
		if tables != nil {
			jpg = make([]byte, 0, len(tables)+len(blk)-2)
			jpg = append(append(jpg, tables...), blk[2:]...)
		}
		// The block's own header is checked before anything is allocated
		// for it: a tile is exactly the tile size; a strip is the image
		// width and between its rows and RowsPerStrip high (libtiff writes
		// the last strip short).
		sc, err := decodeConfig("jpeg", jpg)
		if err != nil {
			return nil, classify("tiff", err)
		}
		minH := rows
		if kind == "tile" {
			minH = bh
		}
		if sc.Width != bw || sc.Height < minH || sc.Height > bh {
			return nil, errorf(ErrCorrupt, "tiff: %s %d is a %dx%d JPEG, want %d wide and %d to %d high", kind, k, sc.Width, sc.Height, bw, minH, bh)
		}
		m, err := decodeImage("jpeg", jpg, maxPixels)
		if err != nil {
			return nil, classify("tiff", err)
		}
		if b := m.Bounds(); b.Dx() != sc.Width || b.Dy() != sc.Height {
			return nil, errorf(ErrCorrupt, "tiff: %s %d decodes to %dx%d, its header says %dx%d", kind, k, b.Dx(), b.Dy(), sc.Width, sc.Height)
		}
		rgb := toRGB(m, "jpeg")
		if gray != (rgb.Mode == "L") {
			return nil, errorf(ErrCorrupt, "tiff: %s %d is a %s JPEG in a %d-sample TIFF", kind, k, rgb.Mode, spp)
		}
		for y := 0; y < rows; y++ {
			src := rgb.Pix[y*rgb.W*3:]
			if gray {
				dst := pix[(y0+y)*stride+x0:]
				for x := 0; x < cols; x++ {
					dst[x] = src[3*x]
				}
				continue
			}
			dst := pix[(y0+y)*stride+4*x0:]
			for x := 0; x < cols; x++ {
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = src[3*x], src[3*x+1], src[3*x+2], 255
			}
		}
	}
	return out, nil
}
