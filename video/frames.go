package video

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"

	"github.com/tokenfab/tokenfab/image"
)

// TokenizeFrameFiles tokenizes a clip given as image files, one frame each
// (PNG, JPEG, GIF first frame, BMP, TIFF, WebP; decoded by package image
// like Tokenize decodes an image, EXIF applied), in byte order of the
// paths (sort.Strings). Frame k gets the time k/FrameRate seconds
// (Config.FrameRate, default 1 fps): Tokens.Timestamps are those seconds.
// Only the sampled files are read and decoded. All frames must have one
// size. No ffmpeg is needed. Errors: ErrFrameOrder (names whose numbers
// are not zero-padded, so byte order is not frame order), image decode
// errors, image.ErrInvalidSize (sizes differ), ErrNoFrames,
// ErrTooLong/ErrTooLarge (limits), os errors.
func (t *Tokenizer) TokenizeFrameFiles(ctx context.Context, paths []string) (*Tokens, error) {
	return t.tokenizeFrames(ctx, paths, os.ReadFile)
}

// TokenizeFrameFS is TokenizeFrameFiles reading the frame files names
// (slash-separated paths valid for fs.ValidPath) from fsys: given an
// os.Root's FS, no read can leave that root (no "..", no escaping
// symlink). The pipeline reads frame directories through it.
func (t *Tokenizer) TokenizeFrameFS(ctx context.Context, fsys fs.FS, names []string) (*Tokens, error) {
	return t.tokenizeFrames(ctx, names, func(name string) ([]byte, error) { return fs.ReadFile(fsys, name) })
}

func (t *Tokenizer) tokenizeFrames(ctx context.Context, paths []string, read func(string) ([]byte, error)) (*Tokens, error) {
	ps := append([]string(nil), paths...)
	sort.Strings(ps)
	if len(ps) == 0 {
		return nil, errorf(ErrNoFrames, "no frame files")
	}
	if len(ps) > t.r.maxSrc {
		return nil, errorf(ErrTooLong, "%d frames > MaxSourceFrames %d", len(ps), t.r.maxSrc)
	}
	if err := checkFrameOrder(ps); err != nil {
		return nil, err
	}
	// Sample first (by index and time), then decode only the sampled files.
	seq := &sequence{container: "frames", codec: "image", decoder: "image"}
	seq.pts = make([]float64, len(ps))
	for i := range ps {
		seq.pts[i] = float64(i) / t.r.frameRate
	}
	seq.end = float64(len(ps)) / t.r.frameRate
	for _, p := range ps {
		seq.names = append(seq.names, path.Base(p))
	}
	load := func(i int) ([]uint8, int, int, error) {
		if err := ctx.Err(); err != nil {
			return nil, 0, 0, err
		}
		b, err := read(ps[i])
		if err != nil {
			return nil, 0, 0, err
		}
		pix, w, h, err := image.DecodeRGB(b)
		if err != nil {
			err = fmt.Errorf("frame %s: %w", path.Base(ps[i]), err) // which file of the directory
		}
		return pix, w, h, err
	}
	return t.fromSequenceLazy(ctx, seq, len(ps), load)
}

// checkFrameOrder returns an ErrFrameOrder error when two names, in the
// given (sorted) order, differ only in their last run of digits and that
// number goes down: "f_10.png" then "f_2.png" is frame 10 before frame 2,
// the usual result of unpadded numbering. Names with other differences
// are left to byte order.
func checkFrameOrder(sorted []string) error {
	for i := 1; i < len(sorted); i++ {
		a, b := path.Base(sorted[i-1]), path.Base(sorted[i])
		pa, na, sa, oka := lastNumber(a)
		pb, nb, sb, okb := lastNumber(b)
		if oka && okb && pa == pb && sa == sb && na > nb {
			return errorf(ErrFrameOrder, "%q sorts before %q", a, b)
		}
	}
	return nil
}

// lastNumber splits name around its last run of ASCII digits.
func lastNumber(name string) (prefix string, n uint64, suffix string, ok bool) {
	end := len(name)
	for end > 0 && (name[end-1] < '0' || name[end-1] > '9') {
		end--
	}
	start := end
	for start > 0 && name[start-1] >= '0' && name[start-1] <= '9' {
		start--
	}
	if start == end {
		return "", 0, "", false
	}
	n, err := strconv.ParseUint(name[start:end], 10, 64)
	if err != nil { // more than 19 digits: leave it to byte order
		return "", 0, "", false
	}
	return name[:start], n, name[end:], true
}
