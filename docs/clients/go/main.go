// Command go is a tiny client of `tokenize serve` (docs/serve.md): it
// tokenizes a text as JSON, counts its tokens, and asks for an image's
// patches as an Arrow IPC stream.
//
//	go run ./cmd/tokenize serve &
//	go run ./docs/clients/go -url http://127.0.0.1:8080 -image fixtures/sample/images/elephant-660-480.jpg
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// apiError is the body of every error answer.
type apiError struct {
	Error struct{ Code, Message string } `json:"error"`
}

// post sends body and returns the answer, or an error built from the
// JSON error body.
func post(url, contentType, accept string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e apiError
		json.Unmarshal(b, &e)
		return nil, fmt.Errorf("%s: %s: %s (Retry-After %q)", resp.Status, e.Error.Code, e.Error.Message, resp.Header.Get("Retry-After"))
	}
	return b, nil
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server base URL")
	imagePath := flag.String("image", "", "an image file to tokenize (optional)")
	flag.Parse()

	// Text → ids (JSON).
	body, _ := json.Marshal(map[string]string{"text": "hello world", "encoding": "o200k_base"})
	b, err := post(*base+"/v1/tokenize", "application/json", "", body)
	if err != nil {
		log.Fatal(err)
	}
	var tok struct {
		InputIDs  []int32 `json:"input_ids"`
		NumTokens int     `json:"num_tokens"`
	}
	if err := json.Unmarshal(b, &tok); err != nil {
		log.Fatal(err)
	}
	fmt.Println("ids", tok.InputIDs, "num_tokens", tok.NumTokens)

	// Count only.
	b, err = post(*base+"/v1/count?encoding=cl100k_base", "text/plain; charset=utf-8", "", []byte("The quick brown fox jumps over the lazy dog."))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print("count ", string(b))

	if *imagePath == "" {
		return
	}
	// Image → one Arrow row (patches, grid_thw).
	img, err := os.ReadFile(*imagePath)
	if err != nil {
		log.Fatal(err)
	}
	b, err = post(*base+"/v1/tokenize?modality=image&preset=qwen2-vl", "application/octet-stream",
		"application/vnd.apache.arrow.stream", img)
	if err != nil {
		log.Fatal(err)
	}
	r, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Release()
	for r.Next() {
		rec := r.RecordBatch()
		s := rec.Schema()
		grid := rec.Column(s.FieldIndices("grid_thw")[0]).(*array.FixedSizeList).ListValues().(*array.Int32).Int32Values()
		nt := rec.Column(s.FieldIndices("num_tokens")[0]).(*array.Int32).Value(0)
		patches := rec.Column(s.FieldIndices("patches")[0]).(*array.List)
		start, end := patches.ValueOffsets(0)
		fmt.Println("image grid_thw", grid, "num_tokens", nt, "patches", end-start, "×", patches.DataType())
	}
	if err := r.Err(); err != nil {
		log.Fatal(err)
	}
}
