package text

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// tinyHF is a small valid tokenizer.json: byte-level BPE over a 260-token
// vocab with every component kind the loader knows.
func tinyHF() string {
	var b strings.Builder
	b.WriteString(`{"version":"1.0","truncation":null,"padding":null,"added_tokens":[` +
		`{"id":260,"content":"<|eot|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},` +
		`{"id":261,"content":"hello","single_word":true,"lstrip":true,"rstrip":true,"normalized":true,"special":false}],` +
		`"normalizer":{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"Replace","pattern":{"String":"\t"},"content":"  "}]},` +
		`"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},` +
		`{"type":"Split","pattern":{"Regex":"\\s+|[a-z]+"},"behavior":"Isolated","invert":false},` +
		`{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]},` +
		`"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|eot|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],` +
		`"pair":[],"special_tokens":{"<|eot|>":{"id":"<|eot|>","ids":[260],"tokens":["<|eot|>"]}}},` +
		`"decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},` +
		`"model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,` +
		`"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,"vocab":{`)
	for i := 0; i < 256; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quoteJSON(string(byteToRune[i])))
		b.WriteString(":")
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString(`,"he":256,"ll":257,"hell":258,"hello":259},"merges":["h e","l l","he ll","hell o"]}}`)
	return b.String()
}

// tinyVocab is the 256 byte tokens of tinyHF, ids = byte values.
func tinyVocab() string {
	var b strings.Builder
	for i := 0; i < 256; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quoteJSON(string(byteToRune[i])))
		b.WriteString(":")
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

func quoteJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func writeTemp(t testing.TB, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHFTiny(t *testing.T) {
	tk, err := LoadHF(writeTemp(t, tinyHF()))
	if err != nil {
		t.Fatal(err)
	}
	// The added token "hello" is also in the model vocab, so it keeps id 259
	// (HF's add_tokens); as a single word it absorbs the spaces around it.
	// Expected values printed by HF tokenizers 0.23.3 for this file.
	got := tk.Encode(nil, []byte("xhello hello 12<|eot|>"))
	want := []int32{120, 259, 259, 49, 50, 260}
	if !equalIDs(got, want) {
		t.Fatalf("Encode = %v, want %v", got, want)
	}
	ids, offs := tk.EncodeWithOffsets([]byte("xhello hello 12<|eot|>"), true)
	wantOffs := [][2]int{{0, 0}, {0, 1}, {1, 6}, {6, 13}, {13, 14}, {14, 15}, {15, 22}}
	if !equalIDs(ids, append([]int32{260}, want...)) || len(offs) != len(wantOffs) {
		t.Fatalf("EncodeWithOffsets = %v %v", ids, offs)
	}
	for i, o := range offs {
		if o.CharStart != wantOffs[i][0] || o.CharEnd != wantOffs[i][1] {
			t.Errorf("offset %d = %+v, want %v", i, o, wantOffs[i])
		}
	}
	if got := tk.Encode(nil, []byte("a\thello\tb hello")); !equalIDs(got, []int32{97, 259, 98, 259}) {
		t.Errorf("tab case: %v", got)
	}
	ids, _ = tk.Tokenize(t.Context(), []byte("he"))
	if !equalIDs(ids, []int32{260, 256}) {
		t.Fatalf("Tokenize = %v", ids)
	}
	if s, err := tk.DecodeString(got); err != nil || s != "xhellohello12<|eot|>" {
		t.Fatalf("DecodeString = %q, %v", s, err)
	}
	if _, err := tk.Decode(nil, []int32{999}); err == nil {
		t.Fatal("Decode of an unknown id: no error")
	}
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHFBadFiles: unsupported components and broken files give errors that
// name the problem; nothing panics.
func TestHFBadFiles(t *testing.T) {
	base := tinyHF()
	cases := []struct{ name, old, new, want string }{
		{"precompiled", `{"type":"NFC"}`, `{"type":"Precompiled","precompiled_charsmap":"AA=="}`, `normalizer "Precompiled" is not supported`},
		{"unigram", `"type":"BPE"`, `"type":"Unigram"`, `model type "Unigram" is not supported`},
		{"dropout", `"dropout":null`, `"dropout":0.1`, `model.dropout 0.1 is not supported`},
		{"prefix", `"continuing_subword_prefix":null`, `"continuing_subword_prefix":"##"`, `continuing_subword_prefix "##" is not supported`},
		{"pretok", `{"type":"Digits","individual_digits":true}`, `{"type":"BertPreTokenizer"}`, `pre_tokenizer "BertPreTokenizer" is not supported`},
		{"decoder", `"decoder":{"type":"ByteLevel"`, `"decoder":{"type":"WordPiece"`, `decoder "WordPiece" is not supported`},
		{"post", `"post_processor":{"type":"TemplateProcessing"`, `"post_processor":{"type":"BertProcessing"`, `post_processor "BertProcessing" is not supported`},
		{"behavior", `"behavior":"Isolated"`, `"behavior":"Sideways"`, `behavior "Sideways"`},
		{"regex", `"\\s+|[a-z]+"`, `"(unclosed"`, `pre_tokenizer Split: regex`},
		{"merge token", `"l l"`, `"l q9"`, `token "q9" is not in model.vocab`},
		{"merge result", `"l l"`, `"l h"`, `merged token "lh" is not in model.vocab`},
		{"bad merge", `"l l"`, `"l l l"`, `is not two tokens separated by one space`},
		{"dup id", `"he":256`, `"he":257`, `share id 257`},
		{"neg id", `"he":256`, `"he":-4`, `has id -4`},
		{"truncation", `"truncation":null`, `"truncation":{"max_length":5}`, `truncation is not supported`},
		{"version", `"version":"1.0"`, `"version":"2.0"`, `unknown version "2.0"`},
		{"template", `"ids":[260]`, `"ids":[-1]`, `has id -1`},
		{"template B", `{"Sequence":{"id":"A","type_id":0}}`, `{"Sequence":{"id":"B","type_id":0}}`, `only $A`},
		{"unk", `"unk_token":null`, `"unk_token":"<nope>"`, `unk_token "<nope>" is not in model.vocab`},
		{"bytelevel not last", `{"type":"Digits","individual_digits":true},`, `{"type":"ByteLevel"},`, `after ByteLevel is not supported`},
	}
	for _, c := range cases {
		if !strings.Contains(base, c.old) {
			t.Fatalf("%s: %q not in the base file", c.name, c.old)
		}
		_, err := LoadHF(writeTemp(t, strings.Replace(base, c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), "tokenizer.json") {
			t.Errorf("%s: error %q does not say tokenizer.json", c.name, err)
		}
	}
	if _, err := LoadHF(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := New(Config{TokenizerJSON: writeTemp(t, base), Encoding: "cl100k_base"}); err == nil {
		t.Error("TokenizerJSON with Encoding: no error")
	}
}

// TestHFTruncated cuts a real tokenizer.json at many points: each must give
// an error (never a panic, never a tokenizer).
func TestHFTruncated(t *testing.T) {
	f, err := os.Open(hfPath(t, "gpt2"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 1, 10, 100, 1000, len(data) / 3, len(data) / 2, len(data) - 100, len(data) - 2} {
		if _, err := parseHF(data[:cut]); err == nil {
			t.Errorf("cut at %d: no error", cut)
		}
	}
	// A truncated gzip is an error too.
	raw, _ := os.ReadFile(hfPath(t, "gpt2"))
	if _, err := LoadHF(writeTemp(t, string(raw[:len(raw)/2]))); err == nil {
		t.Error("truncated gzip: no error")
	}
}

// FuzzLoadHF: any bytes either fail to load with an error or give a
// tokenizer that encodes and decodes without panicking.
func FuzzLoadHF(f *testing.F) {
	// Small seeds (the fuzzer minimizes every new input; big ones make that slow).
	base := strings.Replace(tinyHF(), tinyVocab(), `"h":104,"e":101,"l":108,"o":111,"1":49,"2":50,"Ġ":32,"x":120`, 1)
	f.Add([]byte(base))
	f.Add([]byte(strings.Replace(base, `"Isolated"`, `"MergedWithNext"`, 1)))
	f.Add([]byte(strings.Replace(base, `"ByteLevel","add_prefix_space":false`, `"ByteLevel","add_prefix_space":true`, 1)))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"<0x41>":3,"<unk>":4},"merges":[["a","b"]],"byte_fallback":true,"unk_token":"<unk>","fuse_unk":true},` +
		`"pre_tokenizer":{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":true},"normalizer":{"type":"Lowercase"},` +
		`"decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":1}]}}`))
	f.Add([]byte(`{"model":{"vocab":{},"merges":[]}}`))
	f.Add([]byte(`{}`))
	old := hfRegexTimeout
	hfRegexTimeout = 50 * time.Millisecond
	f.Cleanup(func() { hfRegexTimeout = old })
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseHF(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tokenizer.json") {
				t.Fatalf("error without the tokenizer.json prefix: %v", err)
			}
			return
		}
		tk := &Tokenizer{hf: h, v: h.m.v, name: "fuzz"}
		for _, s := range []string{"", "Hello wörld 123 <|eot|> hello\t\u0301x", "\xff\xfe a", strings.Repeat("ab", 80)} {
			ids := tk.Encode(nil, []byte(s))
			_, offs := tk.EncodeWithOffsets([]byte(s), true)
			for _, o := range offs {
				if o.Start < 0 || o.End > len(s) || o.Start > o.End {
					t.Fatalf("offset %+v out of range for %q", o, s)
				}
			}
			if str, err := tk.DecodeString(ids); err == nil && !utf8.ValidString(str) {
				t.Fatalf("DecodeString gave invalid UTF-8 %q", str)
			}
		}
	})
}
