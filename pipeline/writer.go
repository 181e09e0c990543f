package pipeline

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Format is the Arrow IPC flavour of the output files.
type Format string

// Output formats.
const (
	// FormatArrow is the IPC file format (part-NNNNN.arrow): random access
	// and memory-mappable (pyarrow.ipc.open_file, polars.read_ipc).
	FormatArrow Format = "arrow"
	// FormatArrowStream is the IPC stream format (part-NNNNN.arrows), what
	// HF datasets.Dataset.from_file reads.
	FormatArrowStream Format = "arrow-stream"
)

// formats maps a format to its file extension.
var formats = map[Format]string{FormatArrow: ".arrow", FormatArrowStream: ".arrows"}

// Compression is the IPC buffer compression.
type Compression string

// Compressions. Compressed files are not zero-copy: readers decompress
// every buffer into memory.
const (
	CompressNone Compression = "none"
	CompressZstd Compression = "zstd"
	CompressLZ4  Compression = "lz4"
)

var compressions = map[Compression][]ipc.Option{
	CompressNone: nil, "": nil,
	CompressZstd: {ipc.WithZstd()},
	CompressLZ4:  {ipc.WithLZ4()},
}

// Size limits.
const (
	// MaxBatchBytes caps one record batch: arrow-go readers refuse message
	// bodies over 256 MiB by default.
	MaxBatchBytes = 256 << 20
	// DefaultBatchBytes is the batch flush target.
	DefaultBatchBytes = 32 << 20
	// DefaultBatchRows caps rows per batch so tiny rows still give batches
	// of a useful, bounded length.
	DefaultBatchRows = 65536
	// DefaultMaxFileBytes is the size at which a part file rolls over.
	DefaultMaxFileBytes = 1 << 30
)

// ipcWriter is what ipc.FileWriter and ipc.Writer share.
type ipcWriter interface {
	Write(rec arrow.RecordBatch) error
	Close() error
}

// countingWriter counts and hashes (sha256) bytes on their way to the file.
type countingWriter struct {
	w io.Writer
	n int64
	h hash.Hash
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

// partFile is one output file being written under a temporary name.
type partFile struct {
	f       *os.File
	buf     *bufio.Writer
	cw      *countingWriter
	w       ipcWriter
	tmp     string
	final   string
	rows    int64
	batches int
}

// FileInfo describes one finished output file (in the summary).
type FileInfo struct {
	Name    string `json:"name"`    // base name, e.g. part-00000.arrow
	Rows    int64  `json:"rows"`    // rows in the file
	Batches int    `json:"batches"` // record batches in the file
	Bytes   int64  `json:"bytes"`   // file size
	SHA256  string `json:"sha256"`  // hex sha256 of the file's bytes
}

// partWriter writes rows into record batches and batches into part files.
// Batch and file boundaries depend only on the rows, never on timing, so the
// same rows give the same bytes.
type partWriter struct {
	dir          string // local directory of temp files (out.staging())
	out          outDir
	ext          string
	custom       *FileFormat // a registered format (formats.go), or nil: IPC
	compression  Compression
	opts         []ipc.Option
	mem          memory.Allocator
	schema       *arrow.Schema
	lay          *layout
	batchBytes   int64
	batchRows    int
	maxFileBytes int64
	name         func(seq int) string // final base name of part file seq
	uniqueTmp    bool                 // temp names carry a random suffix

	schemaBytes int64 // bound on the schema message (written twice in a file)

	bldr     *array.RecordBuilder
	rows     int
	bytes    int64
	cur      *partFile
	next     int
	files    []FileInfo
	finished bool

	publishing chan error // the file being published in the background, if any
	publishErr error      // the first publish error
}

type writerConfig struct {
	dir          string // a local output directory, when out is nil
	out          outDir // where files are published
	format       Format
	compression  Compression
	mem          memory.Allocator
	schema       *arrow.Schema // built by lay.schema
	lay          *layout
	batchBytes   int64
	batchRows    int
	maxFileBytes int64
	// name gives part file seq's base name (default part-NNNNN.ext).
	name func(seq int, ext string) string
	// uniqueTmp gives every temp file a random suffix, so two processes
	// writing the same shard (a double-started pod) never share one.
	uniqueTmp bool
}

func newPartWriter(c writerConfig) (*partWriter, error) {
	ext, ok := formats[c.format]
	if !ok {
		return nil, configErr("unknown format %q: use arrow or arrow-stream (or megatron; parquet needs a binary built with -tags parquet)", c.format)
	}
	custom, err := registeredFormat(c.format, c.compression) // formats.go
	if err != nil {
		return nil, err
	}
	copts, ok := compressions[c.compression]
	if !ok {
		return nil, configErr("unknown compression %q: use none, zstd or lz4", c.compression)
	}
	if c.batchBytes <= 0 || c.batchBytes > MaxBatchBytes {
		return nil, configErr("batch size %d bytes is out of range (1 B to %d MiB)", c.batchBytes, MaxBatchBytes>>20)
	}
	if c.batchRows <= 0 {
		c.batchRows = DefaultBatchRows
	}
	if c.maxFileBytes <= 0 {
		c.maxFileBytes = DefaultMaxFileBytes
	}
	if c.mem == nil {
		c.mem = memory.NewGoAllocator()
	}
	opts := append([]ipc.Option{ipc.WithSchema(c.schema), ipc.WithAllocator(c.mem)}, copts...)
	var schemaBytes int64 = 4096
	for _, v := range c.schema.Metadata().Values() {
		schemaBytes += 2 * int64(len(v))
	}
	if c.name == nil {
		c.name = partName
	}
	if c.out == nil {
		c.out = localDir(c.dir)
	}
	c.dir = c.out.staging()
	return &partWriter{out: c.out,
		name: func(seq int) string { return c.name(seq, ext) }, uniqueTmp: c.uniqueTmp,
		dir: c.dir, ext: ext, custom: custom, compression: c.compression, opts: opts, mem: c.mem, schema: c.schema, lay: c.lay, schemaBytes: schemaBytes,
		batchBytes: c.batchBytes, batchRows: c.batchRows, maxFileBytes: c.maxFileBytes,
		bldr: array.NewRecordBuilder(c.mem, c.schema),
	}, nil
}

// partName is the final name of part file i.
func partName(i int, ext string) string { return fmt.Sprintf("part-%05d%s", i, ext) }

// append adds one row, flushing first if the row would push the batch past
// its byte target, and after if the row cap is reached.
func (w *partWriter) append(r *row) error {
	return appendBatched(w.lay, w.bldr, &w.rows, &w.bytes, w.batchBytes, w.batchRows, r, w.flush)
}

// appendBatched adds r to bldr, calling flush first if the row would push
// the pending batch (rows, bytes) past batchBytes, and after it once the
// batch holds batchRows rows. flush must reset rows and bytes.
func appendBatched(lay *layout, bldr *array.RecordBuilder, rows *int, bytes *int64, batchBytes int64, batchRows int, r *row, flush func() error) error {
	n := lay.rowBytes(r)
	if *rows > 0 && *bytes+n > batchBytes {
		if err := flush(); err != nil {
			return err
		}
	}
	for i := range lay.cols {
		lay.cols[i].append(bldr.Field(i), r)
	}
	*rows++
	*bytes += n
	if *rows >= batchRows {
		return flush()
	}
	return nil
}

// flush writes the pending rows as one record batch, rolling over to a new
// file first when this batch would take the current one past maxFileBytes.
func (w *partWriter) flush() error {
	if w.rows == 0 {
		return nil
	}
	if w.cur != nil && w.cur.batches > 0 && w.cur.cw.n+w.bytes+w.overhead(w.cur.batches+1) > w.maxFileBytes {
		if err := w.finishFile(); err != nil {
			return err
		}
	}
	if w.cur == nil {
		if err := w.openFile(); err != nil {
			return err
		}
	}
	rec := w.bldr.NewRecordBatch()
	defer rec.Release()
	if err := w.cur.w.Write(rec); err != nil {
		return fmt.Errorf("writing a record batch to %s: %w", w.cur.tmp, err)
	}
	w.cur.rows += rec.NumRows()
	w.cur.batches++
	w.rows, w.bytes = 0, 0
	return nil
}

// overhead bounds what a file adds beyond the row estimate when it holds
// batches batches: per batch, the message header and 64-byte padding of
// each buffer (bufferCount over the schema); per file, the footer's schema
// and block index. A fixed, generous bound keeps roll-over a function of the
// rows alone and files under maxFileBytes.
func (w *partWriter) overhead(batches int) int64 {
	perBatch := int64(1024 + 64*bufferCount(w.schema))
	return int64(batches)*(perBatch+24) + w.schemaBytes
}

// bufferCount bounds the IPC buffers of one batch of s: validity, offsets
// and data per (nested) field.
func bufferCount(s *arrow.Schema) int {
	var count func(t arrow.DataType) int
	count = func(t arrow.DataType) int {
		if n, ok := t.(arrow.NestedType); ok {
			c := 2
			for _, f := range n.Fields() {
				c += count(f.Type)
			}
			return c
		}
		return 3
	}
	total := 0
	for _, f := range s.Fields() {
		total += count(f.Type)
	}
	return total
}

func (w *partWriter) openFile() error {
	final := w.name(w.next) // published name
	// The temp name is hidden (and fixed, unless uniqueTmp): a crashed run
	// leaves dot-files, never a half-written part-NNNNN file.
	tmpName := "." + w.name(w.next)
	if w.uniqueTmp {
		var r [6]byte
		rand.Read(r[:])
		tmpName += "." + hex.EncodeToString(r[:])
	}
	tmp := filepath.Join(w.dir, tmpName+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("creating output file: %w", err)
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	cw := &countingWriter{w: buf, h: sha256.New()}
	var iw ipcWriter
	if w.custom != nil {
		rw, err := w.custom.Open(cw, w.schema, w.mem, w.compression)
		if err != nil {
			f.Close()
			os.Remove(tmp)
			return fmt.Errorf("starting %s: %w", tmp, err)
		}
		iw = rw
	} else if w.ext == formats[FormatArrow] {
		fw, err := ipc.NewFileWriter(cw, w.opts...)
		if err != nil {
			f.Close()
			os.Remove(tmp)
			return fmt.Errorf("starting Arrow file %s: %w", tmp, err)
		}
		iw = fw
	} else {
		iw = ipc.NewWriter(cw, w.opts...)
	}
	w.cur = &partFile{f: f, buf: buf, cw: cw, w: iw, tmp: tmp, final: final}
	w.next++
	return nil
}

// finishFile closes the IPC writer (footer or end-of-stream marker) and
// hands the file to a background publisher: fsync, then rename (or upload)
// the temp file to its final name, so a part file is either complete or
// absent. Publishing in the background keeps the workers busy while the
// disk or the object store catches up (an fsync of a 256 MiB file stalled
// the whole pipeline for up to a second). Files are published one at a
// time, in order; the first publish error is returned by the next
// finishFile or by close.
func (w *partWriter) finishFile() error {
	p := w.cur
	w.cur = nil
	err := p.w.Close()
	if err == nil {
		err = p.buf.Flush()
	}
	if err != nil {
		p.f.Close()
		os.Remove(p.tmp)
		return fmt.Errorf("finishing %s: %w", p.final, err)
	}
	if err := w.published(); err != nil {
		p.f.Close()
		os.Remove(p.tmp)
		return err
	}
	w.files = append(w.files, FileInfo{Name: p.final, Rows: p.rows, Batches: p.batches, Bytes: p.cw.n,
		SHA256: hex.EncodeToString(p.cw.h.Sum(nil))})
	done := make(chan error, 1)
	w.publishing = done
	go func() {
		err := p.f.Sync()
		if cerr := p.f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = w.out.publish(p.tmp, p.final) // rename, or upload
		}
		if err != nil {
			os.Remove(p.tmp)
			err = fmt.Errorf("finishing %s: %w", p.final, err)
		}
		done <- err
	}()
	return nil
}

// published waits for the file being published, if any, and returns the
// first publish error (a failed publish fails the job).
func (w *partWriter) published() error {
	if w.publishing != nil {
		w.publishErr = <-w.publishing
		w.publishing = nil
	}
	return w.publishErr
}

// close flushes the last batch and finishes the last file. A job with no
// rows still gets part-00000 holding just the schema, so readers always
// find the columns. It returns once every file is published.
func (w *partWriter) close() error {
	if w.finished {
		return nil
	}
	w.finished = true
	defer w.bldr.Release()
	if err := w.flush(); err != nil {
		w.abortFile()
		w.published()
		return err
	}
	if w.cur == nil && len(w.files) == 0 {
		if err := w.openFile(); err != nil {
			w.published()
			return err
		}
	}
	if w.cur != nil {
		if err := w.finishFile(); err != nil {
			w.published()
			return err
		}
	}
	return w.published()
}

// abort drops the file in progress (used when writing itself failed, so
// what is on disk is only whole, renamed files).
func (w *partWriter) abort() {
	if w.finished {
		return
	}
	w.finished = true
	w.abortFile()
	w.published() // no publisher outlives the job
	w.bldr.Release()
}

func (w *partWriter) abortFile() {
	if w.cur == nil {
		return
	}
	w.cur.w.Close() // releases the writer's buffers; the file is discarded anyway
	w.cur.f.Close()
	os.Remove(w.cur.tmp)
	w.cur = nil
}

// syncDir makes renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// writeFileAtomic writes data to dir/name via a temp file, fsync and rename.
// The temp name is unique, so concurrent writers (shards of one job) never
// share one.
func writeFileAtomic(dir, name string, data []byte) error {
	var r [6]byte
	rand.Read(r[:])
	tmp := filepath.Join(dir, "."+name+"."+hex.EncodeToString(r[:])+".tmp")
	err := writeSynced(tmp, data)
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return syncDir(dir)
}

// isOutputName reports whether a file name is one a job writes, i.e. one
// that --overwrite may replace.
func isOutputName(name string) bool {
	if name == SummaryName {
		return true
	}
	if !strings.HasPrefix(name, "part-") {
		return false
	}
	if isMegatronName(name) {
		return true
	}
	for _, ext := range formats {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}
