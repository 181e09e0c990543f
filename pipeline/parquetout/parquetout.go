// Package parquetout registers the Parquet part file format with the
// pipeline: importing it makes pipeline.Options.Format "parquet" (and
// `tokenize run --format parquet`, in a binary built with -tags parquet)
// write part-NNNNN.parquet files, ZSTD-compressed, one row group per record
// batch. It lives apart so that the default binary does not link the
// Parquet writer.
//
// The Arrow schema (field types and the job's metadata) is stored in the
// file (pqarrow.WithStoreSchema), so readers restore the Arrow types
// (uint8 patches, fixed_size_list patches inside lists); token columns are
// not dictionary encoded (ids are near-unique, a dictionary only costs
// time). One difference from the Arrow files: a top-level fixed_size_list
// column (grid_thw; input_ids with --pack) is written as a list, because
// pqarrow refuses a null fixed_size_list between valid ones ("lists with
// non-zero length null components are not supported"). FileSchema gives
// the files' schema.
package parquetout

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tokenfab/tokenfab/pipeline"
)

// Format is the pipeline format this package registers.
const Format pipeline.Format = "parquet"

// Ext is the part files' extension.
const Ext = ".parquet"

// ZstdLevel is the ZSTD level of every column chunk.
const ZstdLevel = 3

func init() {
	pipeline.RegisterFormat(Format, pipeline.FileFormat{Ext: Ext,
		// Parquet is always ZSTD: "none" (the CLI default) and "zstd" both mean it.
		Compressions: []pipeline.Compression{pipeline.CompressNone, pipeline.CompressZstd, ""},
		Open:         open})
}

// nopCloser keeps pqarrow from closing the pipeline's file: the pipeline
// flushes, fsyncs and renames it.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// WriterProperties are the Parquet properties of every file.
func WriterProperties(mem memory.Allocator) *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Zstd), parquet.WithCompressionLevel(ZstdLevel),
		parquet.WithDictionaryDefault(false),
		parquet.WithMaxRowGroupLength(pipeline.DefaultBatchRows),
		parquet.WithAllocator(mem))
}

// FileSchema is the Arrow schema of the Parquet files of a job whose Arrow
// schema is s: every top-level fixed_size_list field becomes a list of the
// same element field (metadata kept).
func FileSchema(s *arrow.Schema) *arrow.Schema {
	fields := s.Fields()
	for i, f := range fields {
		if t, ok := f.Type.(*arrow.FixedSizeListType); ok {
			fields[i].Type = arrow.ListOfField(t.ElemField())
		}
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

// FileRecord converts rec (schema s) to FileSchema(s): each top-level
// fixed_size_list column becomes a list holding the same values, with
// zero-length null entries. The caller releases the result.
func FileRecord(rec arrow.RecordBatch, fs *arrow.Schema, mem memory.Allocator) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		fsl, ok := rec.Column(i).(*array.FixedSizeList)
		if !ok {
			cols[i] = rec.Column(i)
			cols[i].Retain()
			continue
		}
		var err error
		if cols[i], err = fslToList(fsl, fs.Field(i).Type.(*arrow.ListType), mem); err != nil {
			return nil, fmt.Errorf("column %s: %w", fs.Field(i).Name, err)
		}
	}
	return array.NewRecordBatch(fs, cols, rec.NumRows()), nil
}

// fslToList copies the valid entries' values of a into a list array.
func fslToList(a *array.FixedSizeList, lt *arrow.ListType, mem memory.Allocator) (arrow.Array, error) {
	n := int64(a.DataType().(*arrow.FixedSizeListType).Len())
	child, off := a.ListValues(), int64(a.Offset())
	offsets := make([]int32, a.Len()+1)
	valid := memory.NewResizableBuffer(mem)
	defer valid.Release()
	valid.Resize(int(bitutil.BytesForBits(int64(a.Len()))))
	clear(valid.Bytes())
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	start, total := -1, int64(0)
	flush := func(end int) {
		if start >= 0 {
			parts = append(parts, array.NewSlice(child, (off+int64(start))*n, (off+int64(end))*n))
			start = -1
		}
	}
	for i := 0; i < a.Len(); i++ {
		if a.IsValid(i) {
			bitutil.SetBit(valid.Bytes(), i)
			if start < 0 {
				start = i
			}
			total += n
		} else {
			flush(i)
		}
		if total > 1<<31-1 {
			return nil, fmt.Errorf("more than 2^31-1 values in one batch")
		}
		offsets[i+1] = int32(total)
	}
	flush(a.Len())
	var values arrow.Array
	if len(parts) == 0 {
		values = array.NewSlice(child, 0, 0)
	} else {
		var err error
		if values, err = array.Concatenate(parts, mem); err != nil {
			return nil, err
		}
	}
	defer values.Release()
	data := array.NewData(lt, a.Len(), []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets))},
		[]arrow.ArrayData{values.Data()}, a.NullN(), 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// writer converts each batch to the file schema and writes it as one row
// group.
type writer struct {
	fw     *pqarrow.FileWriter
	schema *arrow.Schema // FileSchema of the job's schema
	mem    memory.Allocator
}

func (w *writer) Write(rec arrow.RecordBatch) error {
	out, err := FileRecord(rec, w.schema, w.mem)
	if err != nil {
		return err
	}
	defer out.Release()
	return w.fw.Write(out)
}

func (w *writer) Close() error { return w.fw.Close() }

func open(w io.Writer, schema *arrow.Schema, mem memory.Allocator, _ pipeline.Compression) (pipeline.RecordFileWriter, error) {
	fs := FileSchema(schema)
	fw, err := pqarrow.NewFileWriter(fs, nopCloser{w}, WriterProperties(mem),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		return nil, err
	}
	return &writer{fw: fw, schema: fs, mem: mem}, nil
}
