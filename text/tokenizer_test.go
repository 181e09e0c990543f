package text

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

func TestEmbeddedMetadata(t *testing.T) {
	// n_vocab and sha256 as tiktoken 0.14.0 reports them.
	want := map[string]struct {
		vocab int
		sha   string
	}{
		"r50k_base":   {50257, "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"},
		"p50k_base":   {50281, "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069"},
		"p50k_edit":   {50284, "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069"},
		"cl100k_base": {100277, "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"},
		"o200k_base":  {200019, "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"},
	}
	if got := Encodings(); !slices.Equal(got, slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	})) {
		t.Errorf("Encodings() = %v", got)
	}
	for name, w := range want {
		tk := tok(t, name, false)
		if tk.VocabSize() != w.vocab || tk.SHA256() != w.sha || tk.Name() != name {
			t.Errorf("%s: VocabSize %d SHA256 %s Name %s; want %d %s", name, tk.VocabSize(), tk.SHA256(), tk.Name(), w.vocab, w.sha)
		}
	}
	if sp := tok(t, "p50k_edit", false).SpecialTokens(); len(sp) != 4 || sp["<|fim_middle|>"] != 50282 {
		t.Errorf("p50k_edit specials = %v", sp)
	}
}

func TestSpecialTextIsOrdinaryByDefault(t *testing.T) {
	got := tok(t, "cl100k_base", false).Encode(nil, []byte("<|endoftext|>"))
	if want := []int32{27, 91, 8862, 728, 428, 91, 29}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestTokenizeBOSEOS(t *testing.T) {
	tk, err := New(Config{Encoding: "cl100k_base", AddBOS: true, BOS: "<|fim_prefix|>", AddEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tk.Tokenize(context.Background(), []byte("hello world"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{100258, 15339, 1917, 100257}; !slices.Equal(ids, want) {
		t.Errorf("Tokenize = %v, want %v", ids, want)
	}
	o := tk.Options()
	if o["add_bos"] != true || o["eos"] != "<|endoftext|>" || o["pattern"] != "cl100k" || o["encoding"] != "cl100k_base" {
		t.Errorf("Options = %v", o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tk.Tokenize(ctx, []byte("x")); err == nil {
		t.Error("Tokenize with a cancelled context: no error")
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	custom := filepath.Join(dir, "mine.tiktoken")
	src, err := os.ReadFile(filepath.Join(testenv.Root(), "text", "encodings", "r50k_base.tiktoken"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(custom, src, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Encoding is empty"},
		{Config{Encoding: "cl200k"}, "unknown encoding"},
		{Config{Encoding: filepath.Join(dir, "nope.tiktoken")}, "no such file"},
		{Config{Encoding: custom}, "needs a pre-tokenizer pattern (" + custom + "); set Config.Pattern: gpt2, cl100k, o200k, llama3, qwen2"},
		{Config{Encoding: custom, Pattern: "gpt5"}, `unknown pre-tokenizer pattern "gpt5"`},
		{Config{Encoding: "cl100k_base", AllowedSpecial: []string{"<|im_start|>"}}, "not a special token"},
		{Config{Encoding: "cl100k_base", AddBOS: true}, "adding a BOS token needs a BOS token: set Config.BOS"},
		{Config{Encoding: "cl100k_base", AddBOS: true, BOS: "<s>"}, "not a special token"},
		{Config{Encoding: "r50k_base", AddEOS: true, EOS: "</s>"}, "not a special token"},
		{Config{Encoding: "r50k_base", SpecialTokens: map[string]int32{"<x>": 100}}, "already the rank"},
		{Config{Encoding: "r50k_base", SpecialTokens: map[string]int32{"<x>": 50256}}, "share id"},
		{Config{Encoding: custom, Pattern: "gpt2", SpecialTokens: map[string]int32{"": 60000}}, "empty text"},
	}
	for _, c := range cases {
		_, err := New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want error containing %q", c.cfg, err, c.want)
		}
	}
	// The same file under a custom name works once Pattern is given.
	tk, err := New(Config{Encoding: custom, Pattern: "gpt2", SpecialTokens: map[string]int32{"<|endoftext|>": 50256},
		AllowedSpecial: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode(nil, []byte("hello <|endoftext|>")); !slices.Equal(got, []int32{31373, 220, 50256}) {
		t.Errorf("custom file: %v", got)
	}
	if tk.Name() != "mine" || tk.SHA256() != tok(t, "r50k_base", false).SHA256() {
		t.Errorf("custom file: Name %q SHA256 %s", tk.Name(), tk.SHA256())
	}
	// A file path named like an embedded encoding takes its pattern and specials.
	tk, err = New(Config{Encoding: filepath.Join(testenv.Root(), "text", "encodings", "cl100k_base.tiktoken"), AllowedSpecial: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode(nil, []byte("hello <|endoftext|>")); !slices.Equal(got, []int32{15339, 220, 100257}) {
		t.Errorf("cl100k by path: %v", got)
	}
}

func TestMalformedRankFile(t *testing.T) {
	var all bytes.Buffer
	for b := range 256 {
		all.WriteString(b64([]byte{byte(b)}) + " " + itoa(b) + "\n")
	}
	base := all.String()
	cases := []struct{ body, want string }{
		{base + "aGk=\n", "line 257: want `base64-token rank`"},
		{base + "aGk= x1\n", "line 257: rank \"x1\""},
		{base + "a!k= 300\n", "line 257: token \"a!k=\" is not"},
		{base + "aGk= 300 4\n", "line 257"},
		{base + "\naGk= 255\n", "rank 255 appears twice"},
		{base + "QQ== 300\n", "token \"A\" has two ranks"},
		{base + "aGk= 99999999999\n", "line 257: rank"},
		{"", "no ranks"},
		{"aGk= 0\n", "lacks the single-byte token 0x00"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		p := filepath.Join(dir, "bad"+itoa(i)+".tiktoken")
		if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := New(Config{Encoding: p, Pattern: "gpt2"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: err = %v, want it to contain %q", i, err, c.want)
		}
	}
	// A well-formed minimal file (all bytes + one merge, CRLF lines) works.
	p := filepath.Join(dir, "ok.tiktoken")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(base, "\n", "\r\n")+b64([]byte("hi"))+" 256\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tk, err := New(Config{Encoding: p, Pattern: "gpt2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode(nil, []byte("hi hi")); !slices.Equal(got, []int32{256, ' ', 256}) {
		t.Errorf("minimal file: %v", got)
	}
}

func TestDecodeUnknownID(t *testing.T) {
	tk := tok(t, "cl100k_base", false)
	for _, id := range []int32{100256, 100261, 100277, -1, 1 << 30} {
		dst := []byte("keep")
		got, err := tk.Decode(dst, []int32{15339, id})
		if err == nil || !strings.Contains(err.Error(), itoa(int(id))) || string(got) != "keep" {
			t.Errorf("Decode(%d) = %q, %v; want an error naming the id and dst unchanged", id, got, err)
		}
		if _, err := tk.DecodeString([]int32{id}); err == nil {
			t.Errorf("DecodeString(%d): no error", id)
		}
		if _, err := tk.NewStreamDecoder().Write([]int32{id}); err == nil {
			t.Errorf("StreamDecoder.Write(%d): no error", id)
		}
	}
	if s, err := tk.DecodeString([]int32{100257, 100276}); err != nil || s != "<|endoftext|><|endofprompt|>" {
		t.Errorf("special ids decode to %q, %v", s, err)
	}
}

// TestInvalidUTF8 checks lossless encoding of arbitrary bytes, and that
// DecodeString and the stream decoder agree with each other.
func TestInvalidUTF8RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab \n\t\xe7\x9a\x84\xf0\x9f\x91\x8d\xed\xa0\x80\xc0\xff'sS1<|endoftext|>")
	for _, enc := range Encodings() {
		tk := tok(t, enc, false)
		tkAll := tok(t, enc, true)
		for range 300 {
			in := make([]byte, r.IntN(300))
			for i := range in {
				if r.IntN(4) == 0 {
					in[i] = byte(r.IntN(256))
				} else {
					in[i] = alphabet[r.IntN(len(alphabet))]
				}
			}
			roundTrip(t, tk, in)
			roundTrip(t, tkAll, in)
		}
	}
}

func roundTrip(t testing.TB, tk *Tokenizer, in []byte) {
	t.Helper()
	ids := tk.Encode(nil, in)
	back, err := tk.Decode(nil, ids)
	if err != nil || !bytes.Equal(back, in) {
		t.Fatalf("%s: %q → %v → %q (%v)", tk.Name(), in, ids, back, err)
	}
	if c := tk.Count(in); c != len(ids) {
		t.Fatalf("%s: Count(%q) = %d, Encode gave %d ids", tk.Name(), in, c, len(ids))
	}
	s, err := tk.DecodeString(ids)
	if err != nil {
		t.Fatal(err)
	}
	if utf8.Valid(in) && s != string(in) {
		t.Fatalf("DecodeString of valid %q = %q", in, s)
	}
	if !utf8.ValidString(s) {
		t.Fatalf("DecodeString gave invalid UTF-8 %q", s)
	}
	// Any split of the ids into Write calls gives the same text.
	d := tk.NewStreamDecoder()
	var acc strings.Builder
	for i := 0; i < len(ids); {
		n := 1 + (i*7+len(in))%3
		n = min(n, len(ids)-i)
		out, err := d.Write(ids[i : i+n])
		if err != nil {
			t.Fatal(err)
		}
		acc.WriteString(out)
		i += n
	}
	acc.WriteString(d.Flush())
	if acc.String() != s {
		t.Fatalf("%s: stream decode %q, DecodeString %q", tk.Name(), acc.String(), s)
	}
}

// TestMergeAgainstNaive checks both merge paths against a direct transcription
// of the rule (repeatedly merge the lowest-ranked adjacent pair, leftmost).
func TestMergeAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabets := []string{"ab", "aab ", "abcdefgh", "的一是", "  \n", "0123456789"}
	for _, enc := range []string{"cl100k_base", "o200k_base", "r50k_base"} {
		v := tok(t, enc, false).v
		s := new(scratch)
		for range 400 {
			al := alphabets[r.IntN(len(alphabets))]
			n := 2 + r.IntN(260)
			piece := make([]byte, 0, n)
			for len(piece) < n {
				piece = append(piece, al[r.IntN(len(al))])
			}
			want := naiveMerge(v, piece)
			if got := v.mergeLarge(piece, s); !slices.Equal(got, want) {
				t.Fatalf("%s mergeLarge(%q) = %v, want %v", enc, piece, got, want)
			}
			if len(piece) < largePiece {
				var out [largePiece]int32
				m := v.mergeSmall(piece, &out)
				if !slices.Equal(out[:m], want) {
					t.Fatalf("%s mergeSmall(%q) = %v, want %v", enc, piece, out[:m], want)
				}
			}
		}
	}
}

func naiveMerge(v *vocab, piece []byte) []int32 {
	parts := make([][]byte, len(piece))
	for i := range piece {
		parts[i] = piece[i : i+1]
	}
	for {
		best, at := noRank, -1
		for i := 0; i+1 < len(parts); i++ {
			if r := v.rank(append(slices.Clip(parts[i]), parts[i+1]...)); r < best {
				best, at = r, i
			}
		}
		if at < 0 {
			break
		}
		parts[at] = append(slices.Clip(parts[at]), parts[at+1]...)
		parts = slices.Delete(parts, at+1, at+2)
	}
	ids := make([]int32, len(parts))
	for i, p := range parts {
		ids[i] = v.rank(p)
	}
	return ids
}

func TestEncodeZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	in, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "text", "udhr_ru.txt"))
	if err != nil {
		t.Fatal(err)
	}
	in = append(in, strings.Repeat("z", 3000)...) // a long piece: the pooled heap path
	for _, enc := range []string{"cl100k_base", "o200k_base", "r50k_base"} {
		tk := tok(t, enc, false)
		dst := tk.Encode(nil, in)
		if a := testing.AllocsPerRun(20, func() { dst = tk.Encode(dst[:0], in) }); a != 0 {
			t.Errorf("%s: Encode allocates %.1f times per call in steady state", enc, a)
		}
		if a := testing.AllocsPerRun(20, func() { tk.Count(in) }); a != 0 {
			t.Errorf("%s: Count allocates %.1f times per call", enc, a)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func itoa(i int) string { return strconv.Itoa(i) }

// TestConcurrentUse: one Tokenizer shared by goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.Root(), "fixtures", "text", "*.txt"))
	tk := tok(t, "o200k_base", true)
	want := map[string][]int32{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		want[f] = tk.Encode(nil, b)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 3 * len(files) {
				f := files[(i+g)%len(files)]
				b, _ := os.ReadFile(f)
				ids, err := tk.Tokenize(context.Background(), b)
				if err == nil && (!slices.Equal(ids, want[f]) || tk.Count(b) != len(ids)) {
					err = os.ErrInvalid
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestWords(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for n := 1; n <= 24; n++ {
		for range 50 {
			p := make([]byte, n)
			for i := range p {
				p[i] = byte(r.IntN(256))
			}
			var want [16]byte
			copy(want[:], p)
			lo, hi := words(p)
			var got [16]byte
			binary.LittleEndian.PutUint64(got[:], lo)
			binary.LittleEndian.PutUint64(got[8:], hi)
			if got != want {
				t.Fatalf("words(%x) = %x, want %x", p, got, want)
			}
		}
	}
}

func TestEmbeddedChecksum(t *testing.T) {
	b := builtins["r50k_base"]
	data, err := encodingFiles.ReadFile("encodings/" + b.file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseChecked(b, data); err != nil {
		t.Fatalf("intact file: %v", err)
	}
	bad := slices.Clone(data)
	bad[100] ^= 1
	if _, err := parseChecked(b, bad); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("corrupt file: err = %v, want a sha256 mismatch", err)
	}
}
