package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// Frame directories (docs/video.md, "Frame directories"): a directory of
// frame images read as one video record, without ffmpeg. The rule that
// keeps image datasets as they are:
//   - a directory whose name ends in FrameDirSuffix (".frames"), found in
//     the inputs or named on the command line, is one video record instead
//     of a directory to walk;
//   - a manifest's video field (Options.VideoField) naming a directory is
//     one video record too (the field says it is a video).
//
// Any other directory is walked as before, every image in it a row.

// FrameDirSuffix marks a directory of frame images as one video record.
const FrameDirSuffix = ".frames"

// isFrameFile reports whether a file in a frame directory is a frame: its
// name has an image extension (mediaExts, the formats image.DecodeRGB
// reads). Other files are skipped and counted (skipped.frame_dir_other).
func isFrameFile(name string) bool { return mediaExts[strings.ToLower(path.Ext(name))] == ModImage }

// isFrameDirName reports whether a directory named name is a frame
// directory by its name (".frames" alone is a hidden name, not one).
func isFrameDirName(name string) bool {
	return len(name) > len(FrameDirSuffix) && strings.HasSuffix(name, FrameDirSuffix)
}

// frameDir is a listed frame directory: its frames are read, when sampled,
// through fsys, an os.Root's FS, so no read leaves the root it lies in.
type frameDir struct {
	fsys    fs.FS
	names   []string // slash paths inside fsys of the frame files, byte order
	size    int64    // total bytes of the frame files
	largest int64    // bytes of the largest frame file
	skipped map[string]int64
	err     *RowError // the directory could not be listed (an entry's row)
}

// listFrames lists the frame files of directory dir (a slash path inside
// fsys, "." for its top). Hidden entries are skipped as the walk skips
// them; subdirectories, special files and files without an image
// extension are skipped as frame_dir_other. A symlink is followed only
// inside the root; one that leaves it, or is broken, fails the record (a
// frame missing from the middle would shift every timestamp after it).
func listFrames(fsys fs.FS, dir, shown string) (*frameDir, *RowError) {
	ents, err := fs.ReadDir(fsys, dir) // sorted by name
	if err != nil {
		return nil, rowErr(KindReadError, "cannot list frame directory: %v", unwrapPath(err))
	}
	fd := &frameDir{fsys: fsys, skipped: map[string]int64{}}
	for _, d := range ents {
		name := d.Name()
		if strings.HasPrefix(name, ".") {
			fd.skipped["hidden"]++
			continue
		}
		p := path.Join(dir, name)
		info, err := fs.Stat(fsys, p) // follows symlinks, refusing escapes
		switch {
		case err != nil && d.Type()&fs.ModeSymlink != 0:
			if !errors.Is(err, fs.ErrNotExist) && escapes(shown, name) {
				return nil, rowErr(KindOutsideRoot, "frame %s is a symlink that resolves outside the input root; only links that stay inside it are followed", name)
			}
			return nil, rowErr(KindReadError, "frame %s: broken symlink: %v", name, unwrapPath(err))
		case err != nil:
			return nil, rowErr(KindReadError, "frame %s: %v", name, unwrapPath(err))
		case !info.Mode().IsRegular() || !isFrameFile(name):
			fd.skipped["frame_dir_other"]++
			continue
		}
		fd.names = append(fd.names, p)
		fd.size += info.Size()
		fd.largest = max(fd.largest, info.Size())
	}
	return fd, nil
}

// frameSegment makes the video segment of a listed frame directory, or
// its error: no video tokenizer, no frames, a frame over the record limit.
func (r *reader) frameSegment(field string, fd *frameDir, shown string) segment {
	seg := segment{field: field, modality: ModVideo}
	switch {
	case fd.err != nil:
		seg.err = fd.err
	case !r.needsData(ModVideo):
		seg.err = noTokenizer(ModVideo)
	case len(fd.names) == 0:
		seg.err = rowErr(KindTokenize, "frame directory %s holds no frame images (%s files, in byte order of their names)", shown, strings.Join(frameExtList(), ", "))
	case fd.largest > r.maxRecord:
		seg.err = rowErr(KindTooLarge, "a frame of %s is %d bytes, over the %d-byte record limit (raise --max-record-size)", shown, fd.largest, r.maxRecord)
	default:
		seg.frames = fd
	}
	return seg
}

func frameExtList() []string {
	return []string{".png", ".jpg/.jpeg", ".gif", ".bmp", ".tif/.tiff", ".webp"}
}

// frameRecord is the record of a frame directory found in the inputs.
func (r *reader) frameRecord(e *entry) *record {
	rec := &record{id: e.id, source: e.source, in: e.frames.size}
	rec.segs = []segment{r.frameSegment("", e.frames, e.source)}
	return rec
}

// mediaFrames is the segment of a manifest video field naming a directory
// (rel, already checked local) of the manifest's directory root.
func (r *reader) mediaFrames(rec *record, field, rel string, dir *manifestDir) segment {
	shown := filepath.Join(dir.path, rel)
	fd, err := listFrames(dir.root.FS(), filepath.ToSlash(filepath.Clean(rel)), shown)
	if err != nil {
		return segment{field: field, modality: ModVideo, err: err}
	}
	rec.in += fd.size
	if rec.skipped == nil {
		rec.skipped = map[string]int64{}
	}
	for k, v := range fd.skipped {
		rec.skipped[k] += v
	}
	return r.frameSegment(field, fd, shown)
}

// frameTokenizer is a modality that tokenizes frame directories (the video
// modality).
type frameTokenizer interface {
	tokenizeFrames(ctx context.Context, fd *frameDir) (Payload, error)
}
