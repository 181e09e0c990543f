package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// WriterOptions configure a Writer. The zero value is usable.
type WriterOptions struct {
	// Compression of the IPC buffers: CompressNone (default), CompressZstd
	// or CompressLZ4.
	Compression Compression
	// BatchBytes is the record batch flush target in bytes (default
	// DefaultBatchBytes, at most MaxBatchBytes); BatchRows caps rows per
	// batch (default DefaultBatchRows). Batch boundaries depend only on the
	// rows written, never on timing.
	BatchBytes int64
	BatchRows  int
	// JobOptions are extra settings recorded under "options" in the
	// tokenfab schema metadata. They must be JSON-encodable.
	JobOptions map[string]any
	// Allocator for Arrow buffers (default memory.NewGoAllocator()).
	Allocator memory.Allocator
}

// Segment is one input to tokenize and write as one row: the raw bytes of
// a text (UTF-8), an encoded image or an audio file, tokenized with the
// writer's modality named Modality.
type Segment struct {
	// ID, Source and Field fill the id, source and field columns (Field
	// "" is null). Index is the segment column (0 for a single item).
	ID, Source, Field string
	Index             int32
	// Modality names the tokenizer: "text", "image", "audio", "video".
	Modality string
	// Data is the raw input; the writer does not keep it.
	Data []byte
}

// Writer streams rows to an io.Writer as an Arrow IPC stream
// (application/vnd.apache.arrow.stream; pyarrow.ipc.open_stream reads it)
// with the same schema and schema metadata as the files of `tokenize run`
// for the same modalities (format "arrow-stream"). Rows are buffered into
// record batches; a batch is written when it reaches the byte or row
// target, on Flush, and on Close.
//
// A Writer is not safe for concurrent use; its modalities are, so several
// Writers may share them.
type Writer struct {
	lay    *layout
	schema *arrow.Schema
	mods   map[string]Modality
	ipc    *ipc.Writer
	bldr   *array.RecordBuilder

	batchBytes int64
	batchRows  int
	rows       int
	bytes      int64
	err        error // sticky write error
	closed     bool
}

// ErrWriterClosed is returned by the methods of a closed Writer.
var ErrWriterClosed = errors.New("pipeline: writer is closed")

// NewWriter starts an Arrow IPC stream on w for rows of the given
// modalities (at most one per Name()). The schema, built as for
// `tokenize run`, is written with the first batch (or by Close if no row
// was written). The error is a *ConfigError for bad options or modalities.
func NewWriter(w io.Writer, mods []Modality, opts WriterOptions) (*Writer, error) {
	if w == nil {
		return nil, configErr("NewWriter: nil io.Writer")
	}
	set := map[string]Modality{}
	for _, m := range mods {
		if m == nil {
			return nil, configErr("NewWriter: nil modality")
		}
		if _, dup := set[m.Name()]; dup {
			return nil, configErr("NewWriter: two tokenizers registered for modality %q", m.Name())
		}
		set[m.Name()] = m
	}
	copts, ok := compressions[opts.Compression]
	if !ok {
		return nil, configErr("unknown compression %q: use none, zstd or lz4", opts.Compression)
	}
	if opts.Compression == "" {
		opts.Compression = CompressNone
	}
	if opts.BatchBytes == 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if opts.BatchBytes < 0 || opts.BatchBytes > MaxBatchBytes {
		return nil, configErr("batch size %d bytes is out of range (1 B to %d MiB)", opts.BatchBytes, MaxBatchBytes>>20)
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.Allocator == nil {
		opts.Allocator = memory.NewGoAllocator()
	}
	describe := map[string]any{}
	for name, m := range set {
		describe[name] = m.Describe()
	}
	jobOpts := map[string]any{"format": string(FormatArrowStream), "compression": string(opts.Compression)}
	for k, v := range opts.JobOptions {
		jobOpts[k] = v
	}
	lay := newLayout(set)
	schema, err := lay.schema(describe, jobOpts)
	if err != nil {
		return nil, configErr("%v", err)
	}
	iopts := append([]ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(opts.Allocator)}, copts...)
	return &Writer{
		lay: lay, schema: schema, mods: set,
		ipc:        ipc.NewWriter(w, iopts...),
		bldr:       array.NewRecordBuilder(opts.Allocator, schema),
		batchBytes: opts.BatchBytes, batchRows: opts.BatchRows,
	}, nil
}

// Schema is the stream's schema, with the `tokenfab` and `huggingface`
// metadata.
func (w *Writer) Schema() *arrow.Schema { return w.schema }

// Write tokenizes seg with its modality and appends one row. A failure of
// the input (bad bytes, too large, no tokenizer for the modality, a
// tokenizer panic) is not an error of Write: the row is written with its
// `error` column set, and returned as the *RowError, with the Payload
// zero. Write returns a non-RowError only for ctx errors (nothing is
// written) and write errors (the stream is then unusable).
func (w *Writer) Write(ctx context.Context, seg Segment) (Payload, error) {
	if err := w.usable(); err != nil {
		return Payload{}, err
	}
	if err := ctx.Err(); err != nil {
		return Payload{}, err
	}
	r := row{id: seg.ID, source: seg.Source, field: seg.Field, modality: seg.Modality, segment: seg.Index}
	if m := w.mods[seg.Modality]; m == nil {
		r.err = noTokenizer(seg.Modality)
	} else {
		r.p, r.err = tokenize(ctx, m, seg.Data)
	}
	if r.err != nil && ctx.Err() != nil {
		return Payload{}, ctx.Err() // cancelled mid-way: not the input's fault
	}
	if r.err == nil {
		r.err = w.check(&r)
	}
	if r.err != nil {
		r.p = Payload{}
	}
	if err := w.append(&r); err != nil {
		return Payload{}, err
	}
	if r.err != nil {
		return Payload{}, r.err
	}
	return r.p, nil
}

// WritePayload appends one row holding a payload already tokenized by one
// of the writer's modalities (rowErr nil), or a failed row (rowErr set,
// p ignored). The payload is checked against the schema: one the columns
// cannot hold is written as an "internal" error row and that error is
// returned. Other errors are ctx and write errors.
func (w *Writer) WritePayload(ctx context.Context, seg Segment, p Payload, rowErr *RowError) error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r := row{id: seg.ID, source: seg.Source, field: seg.Field, modality: seg.Modality, segment: seg.Index, err: rowErr, p: p}
	if r.err == nil {
		r.err = w.check(&r)
	}
	if r.err != nil {
		r.p = Payload{}
	}
	if err := w.append(&r); err != nil {
		return err
	}
	if r.err != nil && rowErr == nil {
		return r.err
	}
	return nil
}

// check rejects payloads the schema cannot hold (as Run does).
func (w *Writer) check(r *row) *RowError {
	if err := w.lay.check(&r.p); err != nil {
		return err
	}
	if n := w.lay.rowBytes(r); n > MaxBatchBytes {
		return rowErr(KindTooLarge, "the row would take %d bytes, over the %d MiB record batch limit; split the input", n, MaxBatchBytes>>20)
	}
	return nil
}

func (w *Writer) usable() error {
	if w.closed {
		return ErrWriterClosed
	}
	return w.err
}

// append adds a row, flushing before it if the batch would pass its byte
// target and after it at the row cap.
func (w *Writer) append(r *row) error {
	return appendBatched(w.lay, w.bldr, &w.rows, &w.bytes, w.batchBytes, w.batchRows, r, w.Flush)
}

// Flush writes the buffered rows as one record batch (nothing if there
// are none). It does not flush w's own buffers, if any.
func (w *Writer) Flush() error {
	if err := w.usable(); err != nil {
		return err
	}
	if w.rows == 0 {
		return nil
	}
	rec := w.bldr.NewRecordBatch()
	defer rec.Release()
	w.rows, w.bytes = 0, 0
	if err := w.ipc.Write(rec); err != nil {
		w.err = fmt.Errorf("writing a record batch: %w", err)
		return w.err
	}
	return nil
}

// Close writes the buffered rows and the end-of-stream marker. A stream
// with no rows still holds the schema. Close does not close the
// underlying io.Writer; calling it again returns nil.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	err := w.Flush()
	w.closed = true
	if cerr := w.ipc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing the Arrow stream: %w", cerr)
	}
	w.bldr.Release()
	return err
}
