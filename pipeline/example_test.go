package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/tokenfab/tokenfab/pipeline"
	"github.com/tokenfab/tokenfab/text"
)

// Stream tokenized rows to any io.Writer (a file, an HTTP response) as an
// Arrow IPC stream with the schema of `tokenize run`, and read it back.
func ExampleWriter() {
	tok, err := text.New(text.Config{Encoding: "o200k_base"})
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	w, err := pipeline.NewWriter(&buf, []pipeline.Modality{pipeline.NewText(tok)}, pipeline.WriterOptions{})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for i, doc := range []string{"hello world", "tokenfab"} {
		if _, err := w.Write(ctx, pipeline.Segment{ID: fmt.Sprint(i), Source: "example", Modality: pipeline.ModText, Data: []byte(doc)}); err != nil {
			panic(err)
		}
	}
	// An unknown modality is not a Write failure: the row keeps the error.
	_, rowErr := w.Write(ctx, pipeline.Segment{ID: "2", Source: "example", Modality: pipeline.ModImage, Data: []byte{0xff}})
	fmt.Println("row error:", rowErr != nil)
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := ipc.NewReader(&buf) // pyarrow: pa.ipc.open_stream(buf)
	if err != nil {
		panic(err)
	}
	defer r.Release()
	fmt.Println(r.Schema().Field(7).Name, r.Schema().Field(7).Type)
	for r.Next() {
		rec := r.RecordBatch()
		ids := rec.Column(7).(*array.List)
		nt := rec.Column(6).(*array.Int32)
		for i := 0; i < int(rec.NumRows()); i++ {
			if ids.IsNull(i) {
				kind, _, _ := strings.Cut(rec.Column(5).(*array.String).Value(i), ":")
				fmt.Println(i, "error:", kind)
				continue
			}
			s, e := ids.ValueOffsets(i)
			fmt.Println(i, nt.Value(i), ids.ListValues().(*array.Int32).Int32Values()[s:e])
		}
	}
	// Output:
	// row error: true
	// input_ids list<item: int32, nullable>
	// 0 2 [24912 2375]
	// 1 2 [10346 64333]
	// 2 error: no_tokenizer
}
