package text_test

import (
	"context"
	"fmt"

	"github.com/tokenfab/tokenfab/text"
)

// Encode a string with an embedded encoding; the ids are tiktoken's.
func ExampleTokenizer_Tokenize() {
	tok, err := text.New(text.Config{Encoding: "o200k_base"})
	if err != nil {
		panic(err)
	}
	ids, err := tok.Tokenize(context.Background(), []byte("hello world"))
	if err != nil {
		panic(err)
	}
	s, _ := tok.DecodeString(ids)
	fmt.Println(ids, s)
	// Output: [24912 2375] hello world
}

// Count tokens without building the id slice.
func ExampleTokenizer_Count() {
	tok, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.Count([]byte("The quick brown fox jumps over the lazy dog.")))
	// Output: 10
}

// BOS/EOS and special tokens come from the Config.
func ExampleNew() {
	tok, err := text.New(text.Config{Encoding: "cl100k_base", AddEOS: true})
	if err != nil {
		panic(err)
	}
	ids, _ := tok.Tokenize(context.Background(), []byte("hi"))
	fmt.Println(ids, tok.VocabSize())
	// Output: [6151 100257] 100277
}
