package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
	"gocloud.dev/blob"
)

// Input rules (docs/pipeline.md, "Inputs"):
//   - Inputs are taken in command-line order; a directory is walked depth
//     first with entries in byte order of their names, so the row order is
//     a function of the tree alone.
//   - Inside a walked directory, names starting with "." are skipped (they
//     are .git, editor backups, our own temp files); an input named
//     explicitly is always read.
//   - A directory is the root of its files: every open goes through os.Root,
//     so neither ".." nor a symlink can reach outside it. A symlink is
//     followed only when it is relative and its target stays inside the
//     root; otherwise the entry becomes an outside_root error row. Symlinked
//     directories are not descended into (no cycles), and devices, sockets
//     and pipes are skipped; both are counted in the summary, as is the
//     job's own output directory when it lies inside an input.
//   - *.jsonl / *.ndjson files are manifests: one record per line. With an
//     image or audio field, a line's file path is relative to the
//     manifest's directory and opened through an os.Root there, so it
//     cannot leave it (no "..", no absolute path, no escaping symlink).
//   - A directory named *.frames, and a directory named by a manifest's
//     video field, is one video record of frame images (pipeline/frames.go),
//     read through the same roots.

// record is one input item: a file or one manifest line.
type record struct {
	id     string
	source string
	segs   []segment
	held   int64 // bytes counted against the in-flight budget
	in     int64 // input bytes read for this record
	// line is an unparsed manifest line: a worker parses it (parseLine) so
	// that JSON decoding runs in parallel and the reader only does I/O.
	line   []byte
	parser *reader
	dir    *manifestDir // where the line's image and audio paths resolve
	// files is the bytes of files named by the line (images, audio) that
	// parseLine read; they count against the in-flight budget.
	files int64
	// skipped: entries of frame directories named by the line that are not
	// frames, added to the summary when the record is written.
	skipped map[string]int64
}

// manifestDir is the directory of a manifest, the root of the image paths
// of its lines.
type manifestDir struct {
	root *os.Root // nil when it could not be opened (err)
	path string   // as shown in messages; also used to tell escapes apart
	err  error
	// bucket and prefix: the directory of a manifest object (blob.go).
	bucket *blob.Bucket
	prefix string
}

// segment is one modality item of a record; it becomes one row.
type segment struct {
	field    string // manifest field; "" (null) for a whole file
	modality string // "" (null) when unknown
	data     []byte
	frames   *frameDir // a frame directory (video), instead of data
	err      *RowError // set when the segment failed before tokenization
}

// entry is one file found while scanning the inputs.
type entry struct {
	source string   // the path shown in the source column
	id     string   // path relative to the input root, slash-separated
	root   *os.Root // nil for a file named on the command line
	rel    string   // name inside root
	size   int64
	err    *RowError // the entry cannot be read (broken or escaping symlink)
	obj    *object   // an object of a bucket (blob.go); root is nil
	frames *frameDir // a frame directory (frames.go): one video record
}

// inputSet is the scanned inputs, in output order.
type inputSet struct {
	entries []entry
	roots   []*os.Root
	buckets []*blob.Bucket
	skipped map[string]int64
	bytes   int64
}

func (s *inputSet) close() {
	for _, r := range s.roots {
		r.Close()
	}
	for _, b := range s.buckets {
		b.Close()
	}
}

// scanInputs lists every file of the inputs up front: a missing input is a
// configuration error before any output exists, and the total size feeds
// the progress bar.
// exclude (an absolute path, or "") is a directory never walked into: the
// job's own output directory when it lies inside an input.
func scanInputs(paths []string, exclude string) (*inputSet, error) {
	if len(paths) == 0 {
		return nil, configErr("no inputs: give at least one file or directory")
	}
	s := &inputSet{skipped: map[string]int64{}}
	seen := map[string]bool{}
	for _, p := range paths {
		// The same input given twice (a/ and ./a/, or a shell glob
		// repeating a file) is read once: its rows would be duplicates.
		key := p
		if !IsURL(p) {
			if abs, err := filepath.Abs(p); err == nil {
				key = abs
			}
		}
		if seen[key] {
			s.skipped["duplicate_input"]++
			continue
		}
		seen[key] = true
		if IsURL(p) { // object storage: pipeline/blob.go
			loc, err := parseBlobURL(p)
			if err != nil {
				s.close()
				return nil, configErr("input %s: %v", p, err)
			}
			if loc.local == "" {
				if err := s.scanBucket(p, exclude); err != nil {
					s.close()
					return nil, err
				}
				continue
			}
			p = loc.local // file:///DIR is the local path DIR
		}
		info, err := os.Stat(p)
		if err != nil {
			s.close()
			return nil, configErr("input %s: %v", p, errors.Unwrap(err))
		}
		if info.IsDir() && isFrameDirName(filepath.Base(filepath.Clean(p))) {
			if err := s.frameDirInput(p); err != nil {
				s.close()
				return nil, err
			}
			continue
		}
		if !info.IsDir() {
			if !info.Mode().IsRegular() {
				s.close()
				return nil, configErr("input %s is not a regular file or directory", p)
			}
			s.entries = append(s.entries, entry{source: p, id: filepath.Base(p), rel: p, size: info.Size()})
			s.bytes += info.Size()
			continue
		}
		root, err := os.OpenRoot(p)
		if err != nil {
			s.close()
			return nil, configErr("input %s: %v", p, err)
		}
		s.roots = append(s.roots, root)
		if err := s.walk(p, root, exclude); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

func (s *inputSet) walk(top string, root *os.Root, exclude string) error {
	absTop, _ := filepath.Abs(top)
	return fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		src := filepath.Join(top, filepath.FromSlash(rel))
		if err != nil {
			if rel == "." {
				return configErr("input %s: %v", top, err)
			}
			// An unreadable subdirectory is one error row, not a dead job.
			s.entries = append(s.entries, entry{source: src, id: rel, root: root, rel: rel,
				err: rowErr(KindReadError, "cannot list directory: %v", errors.Unwrap(err))})
			return fs.SkipDir
		}
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			s.skipped["hidden"]++
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if exclude != "" && filepath.Join(absTop, filepath.FromSlash(rel)) == exclude {
				s.skipped["output_dir"]++
				return fs.SkipDir
			}
			if isFrameDirName(d.Name()) {
				s.addFrameDir(entry{source: src, id: rel, root: root, rel: rel}, root.FS(), rel)
				return fs.SkipDir
			}
			return nil
		}
		e := entry{source: src, id: rel, root: root, rel: rel}
		info, err := root.Stat(rel) // follows symlinks, refusing escapes
		switch {
		case err != nil && d.Type()&fs.ModeSymlink != 0:
			if target, terr := filepath.EvalSymlinks(src); terr == nil {
				e.err = rowErr(KindOutsideRoot, "symlink resolves to %s, outside the input root %s; only relative links that stay inside the root are followed", target, top)
			} else {
				e.err = rowErr(KindReadError, "broken symlink (its target is missing, or links loop): %v", unwrapPath(terr))
			}
		case err != nil:
			e.err = rowErr(KindReadError, "%v", errors.Unwrap(err))
		case info.IsDir():
			s.skipped["symlink_dir"]++
			return nil
		case !info.Mode().IsRegular():
			s.skipped["special"]++
			return nil
		default:
			e.size = info.Size()
			s.bytes += e.size
		}
		s.entries = append(s.entries, e)
		return nil
	})
}

// frameDirInput adds a frame directory named on the command line: it is
// the root of its frames.
func (s *inputSet) frameDirInput(p string) error {
	root, err := os.OpenRoot(p)
	if err != nil {
		return configErr("input %s: %v", p, err)
	}
	s.roots = append(s.roots, root)
	s.addFrameDir(entry{source: p, id: filepath.Base(filepath.Clean(p)), root: root, rel: "."}, root.FS(), ".")
	return nil
}

// addFrameDir lists the frame directory dir of fsys into e and adds it.
func (s *inputSet) addFrameDir(e entry, fsys fs.FS, dir string) {
	fd, err := listFrames(fsys, dir, e.source)
	if err != nil {
		fd = &frameDir{err: err} // a video row with the error
	}
	e.frames, e.size = fd, fd.size
	s.bytes += fd.size
	for k, v := range fd.skipped {
		s.skipped[k] += v
	}
	s.entries = append(s.entries, e)
}

// open opens an entry through its root (nil root: a named file).
func (e *entry) open() (io.ReadCloser, error) {
	if e.obj != nil {
		return e.obj.open()
	}
	if e.root == nil {
		return os.Open(e.rel)
	}
	return e.root.Open(e.rel)
}

// reader turns entries into records.
type reader struct {
	textField, idField string
	imageField         string // "" when manifests have no image field
	audioField         string // "" when manifests have no audio field
	videoField         string // "" when manifests have no video field
	// videoAudio: a video segment is followed by an audio segment of the
	// same bytes (the audio modality extracts the sound: NewVideoAudio).
	videoAudio bool
	// gifAsVideo: animated GIF and WebP files are video segments
	// (Options.GIFAsVideo).
	gifAsVideo bool
	maxRecord  int64
	// needsData reports whether a modality has a tokenizer; files of other
	// modalities are not read past their first bytes.
	needsData func(modality string) bool
	skipped   map[string]int64
	// dirs are the manifest directories opened for image fields; close
	// releases them once no worker can read through them any more.
	dirs []*os.Root
}

// close releases the manifest directories.
func (r *reader) close() {
	for _, d := range r.dirs {
		d.Close()
	}
	r.dirs = nil
}

// openDir opens the directory of manifest e as the root of its image paths:
// inside its input root for a walked manifest (so that root's rule holds
// too), or the directory of a manifest named on the command line.
func (r *reader) openDir(e *entry) *manifestDir {
	if e.obj != nil {
		return objectDir(e.obj)
	}
	d := &manifestDir{path: filepath.Dir(e.source)}
	if e.root == nil {
		d.root, d.err = os.OpenRoot(filepath.Dir(e.rel))
	} else {
		d.root, d.err = e.root.OpenRoot(path.Dir(e.rel))
	}
	if d.err == nil {
		r.dirs = append(r.dirs, d.root)
	}
	return d
}

const headLen = 4096

// emitFunc hands a record downstream; it returns an error to stop the scan
// (context cancelled).
type emitFunc func(*record) error

func (r *reader) entry(ctx context.Context, e *entry, emit emitFunc) error {
	if e.err != nil {
		return emit(&record{id: e.id, source: e.source, segs: []segment{{err: e.err}}})
	}
	if e.frames != nil {
		return emit(r.frameRecord(e))
	}
	if isManifest(e.rel) {
		return r.manifest(ctx, e, emit)
	}
	return emit(r.file(e))
}

// file reads one whole file as one record with one segment.
func (r *reader) file(e *entry) *record {
	rec := &record{id: e.id, source: e.source}
	fail := func(err *RowError) *record {
		rec.segs = []segment{{err: err}}
		return rec
	}
	f, err := e.open()
	if err != nil {
		return fail(rowErr(KindReadError, "%v", unwrapPath(err)))
	}
	defer f.Close()
	head := make([]byte, headLen)
	n, err := io.ReadFull(f, head)
	head = head[:n]
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fail(rowErr(KindReadError, "%v", unwrapPath(err)))
	}
	complete := n < headLen
	rec.in = int64(n)
	mod, format := detect(e.rel, head, complete)
	gifVideo := r.gifAsVideo && (format == "gif" || format == "webp")
	if gifVideo {
		mod = ModVideo // read it as a video; a still GIF goes back to image below
	}
	seg := segment{modality: mod}
	switch {
	case mod == "":
		seg.err = rowErr(KindUnknownType, "binary file of unknown type (no known image/audio/video signature, not valid UTF-8)")
	case !r.needsData(mod):
		seg.err = noTokenizer(mod)
	case e.size > r.maxRecord:
		seg.err = rowErr(KindTooLarge, "file is %d bytes, over the %d-byte record limit (raise --max-record-size)", e.size, r.maxRecord)
	default:
		data := head
		if !complete {
			data = make([]byte, n, e.size+1)
			copy(data, head)
			data, err = readAllLimit(f, data, r.maxRecord)
			if err != nil {
				seg.err = rowErr(KindReadError, "%v", unwrapPath(err))
				break
			}
			if int64(len(data)) > r.maxRecord {
				seg.err = rowErr(KindTooLarge, "file grew past the %d-byte record limit while being read", r.maxRecord)
				break
			}
			if mod == ModText && format == "text" {
				if m, _ := detect(e.rel, data, true); m == "" {
					seg.modality = ""
					seg.err = rowErr(KindUnknownType, "binary file of unknown type (not valid UTF-8 past its first %d bytes)", headLen)
					break
				}
			}
		}
		seg.data = data
		rec.held = int64(len(data))
		rec.in = int64(len(data))
	}
	if gifVideo && seg.err == nil && !animated(format, seg.data) {
		seg.modality = ModImage
		if !r.needsData(ModImage) {
			seg.data, seg.err = nil, noTokenizer(ModImage)
		}
	}
	rec.segs = []segment{seg}
	if seg.modality == ModVideo && r.videoAudio && seg.err == nil && !gifVideo { // GIFs and WebPs have no sound
		rec.segs = append(rec.segs, segment{modality: ModAudio, data: seg.data})
	}
	return rec
}

func noTokenizer(mod string) *RowError {
	return rowErr(KindNoTokenizer, "no tokenizer for modality %s (not built yet)", mod)
}

// readAllLimit appends the rest of f to dst, reading at most limit+1 bytes
// in total so a growing file cannot exhaust memory.
func readAllLimit(f io.Reader, dst []byte, limit int64) ([]byte, error) {
	lr := io.LimitReader(f, limit+1-int64(len(dst)))
	buf := bytes.NewBuffer(dst)
	_, err := buf.ReadFrom(lr)
	return buf.Bytes(), err
}

// unwrapPath drops the *PathError wrapper: the source column already names
// the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// manifest emits one record per non-blank line of a JSON Lines file.
func (r *reader) manifest(ctx context.Context, e *entry, emit emitFunc) error {
	f, err := e.open()
	if err != nil {
		return emit(&record{id: e.id, source: e.source, segs: []segment{{err: rowErr(KindReadError, "%v", unwrapPath(err))}}})
	}
	defer f.Close()
	var dir *manifestDir
	if r.imageField != "" || r.audioField != "" || r.videoField != "" {
		dir = r.openDir(e)
	}
	base := path.Base(e.id)
	br := bufio.NewReaderSize(f, 1<<20)
	var line []byte
	for lineNo := 1; ; lineNo++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var tooLong bool
		var rerr error
		line, tooLong, rerr = readLine(br, line[:0], r.maxRecord)
		var bom int
		if lineNo == 1 && bytes.HasPrefix(line, utf8BOM) {
			// Windows tools start UTF-8 files with a byte order mark;
			// it is not part of the first JSON value.
			line, bom = line[len(utf8BOM):], len(utf8BOM)
		}
		src := e.source + ":" + strconv.Itoa(lineNo)
		if rerr != nil && rerr != io.EOF {
			return emit(&record{id: base + ":" + strconv.Itoa(lineNo), source: src,
				segs: []segment{{err: rowErr(KindReadError, "reading line %d: %v", lineNo, unwrapPath(rerr))}}})
		}
		if rerr == io.EOF && len(line) == 0 && !tooLong {
			return nil
		}
		var rec *record
		switch {
		case tooLong:
			rec = &record{id: base + ":" + strconv.Itoa(lineNo), source: src,
				segs: []segment{{field: r.textField, modality: ModText,
					err: rowErr(KindTooLarge, "line is over the %d-byte record limit (raise --max-record-size)", r.maxRecord)}}}
		case len(bytes.TrimSpace(line)) == 0:
			r.skipped["blank_lines"]++
		default:
			raw := append([]byte(nil), line...) // line is reused for the next one
			rec = &record{id: base + ":" + strconv.Itoa(lineNo), source: src, line: raw, parser: r, dir: dir, held: int64(len(raw))}
		}
		if rec != nil {
			rec.in = int64(len(line) + bom)
			if err := emit(rec); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
	}
}

// utf8BOM is the UTF-8 byte order mark, skipped at the start of a manifest.
var utf8BOM = []byte("\xef\xbb\xbf")

// readLine appends one line (without its '\n') to buf. A line longer than
// limit is consumed and dropped, reporting tooLong, so memory stays bounded.
func readLine(br *bufio.Reader, buf []byte, limit int64) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if int64(len(buf)+len(chunk)) > limit+1 { // +1: the '\n' itself
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(buf) > 0 && buf[len(buf)-1] == '\n' {
			buf = buf[:len(buf)-1]
		}
		return buf, tooLong, err
	}
}

// jsonType names the JSON type of a decoded value, for messages that speak
// JSON rather than Go.
func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}

// parseLine fills rec (id, segments) from its manifest line, and drops
// the line: a text segment when the text field is there, then an image
// segment when the image field is (its file read through the manifest's
// directory root). Failures become row errors; nothing here can fail the
// file. It only reads r's configuration, so workers call it concurrently.
func (r *reader) parseLine(rec *record) {
	line, dir := rec.line, rec.dir
	rec.line, rec.parser, rec.dir = nil, nil, nil
	if err := r.parseInto(rec, line, dir); err != nil {
		rec.segs = []segment{{field: r.textField, modality: ModText, err: err}}
	}
}

// decodeLine decodes one JSON value that must fill the line (surrounding
// white space allowed), with numbers kept as json.Number so a numeric id
// keeps its literal spelling. goccy/go-json gives encoding/json's values
// (invalid UTF-8 and lone surrogates become U+FFFD; the last duplicate key
// wins) with 18% less CPU per text record; FuzzJSONLineMatchesStdlib
// holds it to that.
func decodeLine(line []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("extra data after the JSON value")
	}
	return v, nil
}

func (r *reader) parseInto(rec *record, line []byte, dir *manifestDir) *RowError {
	v, err := decodeLine(line)
	if err != nil {
		return rowErr(KindBadJSON, "%v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return rowErr(KindBadJSON, "line is %s, want a JSON object", jsonType(v))
	}
	switch id := obj[r.idField].(type) {
	case string:
		rec.id = id
	case json.Number:
		rec.id = string(id)
	case nil: // absent or null: keep the derived FILE:LINE id
	default:
		return rowErr(KindFieldType, "id field %q is %s, want a string or number", r.idField, jsonType(id))
	}
	rec.segs = rec.segs[:0]
	// encoding/json has turned lone surrogates and invalid UTF-8 into U+FFFD.
	switch text := obj[r.textField].(type) {
	case string:
		rec.segs = append(rec.segs, segment{field: r.textField, modality: ModText, data: []byte(text)})
	case nil:
	default:
		rec.segs = append(rec.segs, segment{field: r.textField, modality: ModText,
			err: rowErr(KindFieldType, "field %q is %s, want a string", r.textField, jsonType(text))})
	}
	for _, f := range []struct{ name, modality string }{{r.imageField, ModImage}, {r.audioField, ModAudio}, {r.videoField, ModVideo}} {
		if f.name == "" {
			continue
		}
		switch p := obj[f.name].(type) {
		case string:
			seg := r.media(rec, f.name, f.modality, p, dir)
			rec.segs = append(rec.segs, seg)
			if f.modality == ModVideo && r.videoAudio && seg.err == nil && seg.frames == nil { // frames have no sound
				rec.segs = append(rec.segs, segment{field: f.name, modality: ModAudio, data: seg.data})
			}
		case nil:
		default:
			rec.segs = append(rec.segs, segment{field: f.name, modality: f.modality,
				err: rowErr(KindFieldType, "field %q is %s, want a string (a%s %s path relative to the manifest)", f.name, jsonType(p), article(f.modality), f.modality)})
		}
	}
	if len(rec.segs) > 0 {
		return nil
	}
	_, present := obj[r.textField]
	switch {
	case r.imageField != "" || r.audioField != "" || r.videoField != "":
		fields := []string{strconv.Quote(r.textField)}
		for _, f := range []string{r.imageField, r.audioField, r.videoField} {
			if f != "" {
				fields = append(fields, strconv.Quote(f))
			}
		}
		return rowErr(KindMissingField, "none of the fields %s is set in this line (pick them with --text-field, --image-field, --audio-field and --video-field)", strings.Join(fields, ", "))
	case present:
		return rowErr(KindMissingField, "field %q is null", r.textField)
	}
	return rowErr(KindMissingField, "no field %q in this line (pick the field with --text-field)", r.textField)
}

// media reads the file a manifest line names in field as a segment of
// modality (image, audio). The path is relative to the manifest's
// directory and opened through its os.Root: absolute paths, ".." and
// symlinks leading out are outside_root rows.
func (r *reader) media(rec *record, field, modality, rel string, dir *manifestDir) segment {
	seg := segment{field: field, modality: modality}
	fail := func(err *RowError) segment { seg.err = err; return seg }
	switch {
	case !r.needsData(modality):
		return fail(noTokenizer(modality))
	case rel == "":
		return fail(rowErr(KindMissingField, "field %q is an empty string, want a%s %s path", field, article(modality), modality))
	case !filepath.IsLocal(rel):
		return fail(rowErr(KindOutsideRoot, "%s path %q is absolute or leaves the manifest's directory %s; paths are relative to it and stay inside it", modality, rel, dir.path))
	case dir.err != nil:
		return fail(rowErr(KindReadError, "cannot open the manifest's directory %s: %v", dir.path, unwrapPath(dir.err)))
	case dir.bucket != nil:
		return r.mediaObject(rec, seg, rel, dir)
	}
	f, err := dir.root.Open(rel)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && escapes(dir.path, rel) {
			return fail(rowErr(KindOutsideRoot, "%s path %q resolves (through a symlink) outside the manifest's directory %s", modality, rel, dir.path))
		}
		return fail(rowErr(KindReadError, "%s %q: %v", modality, rel, unwrapPath(err)))
	}
	defer f.Close()
	info, err := f.Stat()
	switch {
	case err != nil:
		return fail(rowErr(KindReadError, "%s %q: %v", modality, rel, unwrapPath(err)))
	case info.IsDir() && modality == ModVideo: // a frame directory (frames.go)
		return r.mediaFrames(rec, field, rel, dir)
	case !info.Mode().IsRegular():
		return fail(rowErr(KindReadError, "%s %q is not a regular file", modality, rel))
	case info.Size() > r.maxRecord:
		return fail(rowErr(KindTooLarge, "%s %q is %d bytes, over the %d-byte record limit (raise --max-record-size)", modality, rel, info.Size(), r.maxRecord))
	}
	data, err := readAllLimit(f, make([]byte, 0, info.Size()+1), r.maxRecord)
	rec.in += int64(len(data))
	rec.files += int64(len(data))
	switch {
	case err != nil:
		return fail(rowErr(KindReadError, "%s %q: %v", modality, rel, unwrapPath(err)))
	case int64(len(data)) > r.maxRecord:
		return fail(rowErr(KindTooLarge, "%s %q grew past the %d-byte record limit while being read", modality, rel, r.maxRecord))
	}
	seg.data = data
	return seg
}

// article is "n" before a modality name starting with a vowel ("an image",
// "an audio"), "" otherwise, for messages.
func article(modality string) string {
	if strings.ContainsRune("aeiou", rune(modality[0])) {
		return "n"
	}
	return ""
}

// escapes reports whether rel, resolved with its symlinks from dir, ends
// outside dir (os.Root refused it for that reason rather than another).
func escapes(dir, rel string) bool {
	base, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	target, err := filepath.EvalSymlinks(filepath.Join(dir, rel))
	if err != nil {
		return false
	}
	in, err := filepath.Rel(base, target)
	return err != nil || !filepath.IsLocal(in)
}
