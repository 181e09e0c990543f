package pipeline

import (
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// RecordFileWriter writes record batches into one part file. Close
// finishes the file (its footer) without closing the underlying writer.
type RecordFileWriter interface {
	Write(rec arrow.RecordBatch) error
	Close() error
}

// FileFormat is a part file format registered by another package (such
// as pipeline/parquetout), so that the pipeline itself does not link its
// dependencies.
type FileFormat struct {
	// Ext is the part files' extension, with its dot (".parquet").
	Ext string
	// Compressions are the Compression options it accepts (others are a
	// configuration error before anything is written).
	Compressions []Compression
	// Open starts a file on w with the job's schema and one of
	// Compressions.
	Open func(w io.Writer, schema *arrow.Schema, mem memory.Allocator, compression Compression) (RecordFileWriter, error)
}

// registered are the formats of RegisterFormat (written at init only).
var registered = map[Format]FileFormat{}

// RegisterFormat makes Options.Format f write files through ff. It panics
// when f is already a format (built in or registered) or ff is incomplete.
// Call it from an init function: the registry is not locked.
func RegisterFormat(f Format, ff FileFormat) {
	if _, ok := formats[f]; ok || f == FormatMegatron || ff.Ext == "" || ff.Open == nil {
		panic("pipeline: RegisterFormat " + string(f) + ": already a format, or no Ext/Open")
	}
	registered[f] = ff
	formats[f] = ff.Ext
}

// registeredFormat returns the registered format f, if any, or a
// configuration error when it does not accept compression c.
func registeredFormat(f Format, c Compression) (*FileFormat, error) {
	ff, ok := registered[f]
	if !ok {
		return nil, nil
	}
	if !slices.Contains(ff.Compressions, c) {
		return nil, configErr("--format %s does not take --compression %s (it takes %v)", f, c, ff.Compressions)
	}
	return &ff, nil
}
