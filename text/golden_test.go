package text

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

var (
	tokMu    sync.Mutex
	tokCache = map[string]*Tokenizer{}
)

// tok returns a shared tokenizer for enc, with every special token allowed
// when all is set.
func tok(t testing.TB, enc string, all bool) *Tokenizer {
	t.Helper()
	key := enc
	cfg := Config{Encoding: enc}
	if all {
		key += "+all"
		cfg.AllowedSpecial = []string{"all"}
	}
	tokMu.Lock()
	defer tokMu.Unlock()
	if tk, ok := tokCache[key]; ok {
		return tk
	}
	tk, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	tokCache[key] = tk
	return tk
}

func readJSONL(t *testing.T, name string, each func(line int, raw []byte)) {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.Root(), "fixtures", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		each(n, sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("%s is empty", name)
	}
}

type encodeCase struct {
	Encoding     string  `json:"encoding"`
	Text         *string `json:"text"`
	TextBytesHex string  `json:"text_bytes_hex"`
	IDs          []int32 `json:"ids"`
	Case         string  `json:"case"`
	Mode         string  `json:"mode"`
}

func checkEncodeCases(t *testing.T, file string) {
	modes := map[string]int{}
	readJSONL(t, file, func(line int, raw []byte) {
		var c encodeCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s:%d: %v", file, line, err)
		}
		var in []byte
		switch {
		case c.Text != nil:
			in = []byte(*c.Text)
		case c.TextBytesHex != "":
			var err error
			if in, err = hex.DecodeString(c.TextBytesHex); err != nil {
				t.Fatalf("%s:%d: %v", file, line, err)
			}
		default:
			t.Fatalf("%s:%d: no text", file, line)
		}
		var tk *Tokenizer
		switch c.Mode {
		case "ordinary", "encode_bytes":
			tk = tok(t, c.Encoding, false)
		case "allowed_special_all":
			tk = tok(t, c.Encoding, true)
		default:
			t.Fatalf("%s:%d: unknown mode %q", file, line, c.Mode)
		}
		modes[c.Mode]++
		got := tk.Encode(nil, in)
		want := c.IDs
		if want == nil {
			want = []int32{}
		}
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s:%d %s %s %q: got %v, want %v", file, line, c.Encoding, c.Case, in, got, want)
			return
		}
		if n := tk.Count(in); n != len(want) {
			t.Errorf("%s:%d %q: Count = %d, want %d", file, line, in, n, len(want))
		}
		back, err := tk.Decode(nil, got)
		if err != nil || !bytes.Equal(back, in) {
			t.Errorf("%s:%d %q: Decode = %q, %v", file, line, in, back, err)
		}
	})
	t.Logf("%s: %v", file, modes)
}

func TestGoldenTiktokenCases(t *testing.T)    { checkEncodeCases(t, "tiktoken_cases.jsonl") }
func TestGoldenTiktokenOfficial(t *testing.T) { checkEncodeCases(t, "tiktoken_official_tests.jsonl") }

func TestGoldenDecodeCases(t *testing.T) {
	n := 0
	readJSONL(t, "tiktoken_decode_cases.jsonl", func(line int, raw []byte) {
		var c struct {
			Encoding        string  `json:"encoding"`
			IDs             []int32 `json:"ids"`
			BytesHex        string  `json:"bytes_hex"`
			TextReplace     string  `json:"text_replace"`
			CompleteUTF8    bool    `json:"complete_utf8"`
			IDsInvalidAlone []int32 `json:"ids_invalid_alone"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		tk := tok(t, c.Encoding, false)
		if c.IDsInvalidAlone != nil {
			// Exactly these ids below 300 decode alone to invalid UTF-8.
			var got []int32
			for id := int32(0); id < 300; id++ {
				s, err := tk.DecodeString([]int32{id})
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := tk.Decode(nil, []int32{id}); string(b) != s {
					got = append(got, id)
				}
			}
			if !slices.Equal(got, c.IDsInvalidAlone) {
				t.Errorf("line %d: ids < 300 invalid alone = %v, want %v", line, got, c.IDsInvalidAlone)
			}
			n++
			return
		}
		want, _ := hex.DecodeString(c.BytesHex)
		b, err := tk.Decode(nil, c.IDs)
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("line %d: Decode(%v) = %x, %v; want %x", line, c.IDs, b, err, want)
		}
		s, err := tk.DecodeString(c.IDs)
		if err != nil || s != c.TextReplace {
			t.Errorf("line %d: DecodeString(%v) = %q, %v; want %q", line, c.IDs, s, err, c.TextReplace)
		}
		// Streaming one id at a time gives the same text.
		d := tk.NewStreamDecoder()
		var acc string
		for _, id := range c.IDs {
			out, err := d.Write([]int32{id})
			if err != nil {
				t.Fatal(err)
			}
			acc += out
		}
		if acc+d.Flush() != c.TextReplace {
			t.Errorf("line %d: stream = %q, want %q", line, acc, c.TextReplace)
		}
		n++
	})
	if n != 52 {
		t.Errorf("checked %d decode cases, want 52", n)
	}
}
