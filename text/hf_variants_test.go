package text

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

func readHFJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	f, err := os.Open(hfPath(t, name))
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
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func js(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(s + ": " + err.Error())
	}
	return v
}

// TestHFComponentsLive: components the 7 real files do not use (NFD, NFKC,
// NFKD, Lowercase, Strip, Metaspace, Digits, Punctuation, Whitespace,
// WhitespaceSplit, String patterns, every Split behavior, invert, ByteLevel
// add_prefix_space and trim_offsets, Metaspace/Strip decoders) put into
// gpt2 and mistral files; ids, decode and char offsets must equal HF
// tokenizers (live) on corpus fixtures.
func TestHFComponentsLive(t *testing.T) {
	type variant struct {
		base string
		set  map[string]string
	}
	variants := map[string]variant{
		"nfkc_lower_strip": {"gpt2", map[string]string{
			"normalizer": `{"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Lowercase"},{"type":"Strip","strip_left":true,"strip_right":true}]}`}},
		"punct_digits_prefix": {"gpt2", map[string]string{
			"pre_tokenizer": `{"type":"Sequence","pretokenizers":[{"type":"Punctuation","behavior":"Isolated"},{"type":"Digits","individual_digits":true},` +
				`{"type":"Split","pattern":{"String":" "},"behavior":"MergedWithPrevious","invert":false},{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}]}`,
			"post_processor": `{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}`}},
		"nfd_ws_contiguous": {"gpt2", map[string]string{
			"normalizer":    `{"type":"NFD"}`,
			"pre_tokenizer": `{"type":"Sequence","pretokenizers":[{"type":"Whitespace"},{"type":"Split","pattern":{"Regex":"[aeiou]+"},"behavior":"Contiguous","invert":true},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]}`}},
		"wssplit_digits_contig": {"gpt2", map[string]string{
			"pre_tokenizer": `{"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},{"type":"Digits","individual_digits":false},{"type":"Split","pattern":{"Regex":"(?<=[a-z])(?=[A-Z])"},"behavior":"Removed","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]}`}},
		"metaspace_first": {"mistral", map[string]string{
			"normalizer":    `null`,
			"pre_tokenizer": `{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":true}`,
			"decoder":       `{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":true}`}},
		"nfkd_mergednext": {"mistral", map[string]string{
			"normalizer":    `{"type":"Sequence","normalizers":[{"type":"NFKD"},{"type":"Replace","pattern":{"Regex":" +"},"content":"▁"}]}`,
			"pre_tokenizer": `{"type":"Split","pattern":{"String":"▁"},"behavior":"MergedWithNext","invert":false}`,
			"decoder":       `{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":2,"stop":1}]}`}},
	}
	files := []string{"udhr_hi.txt", "udhr_ja.txt", "code_go_strings.txt", "emoji_gitmoji_subjects.txt", "json_gitmojis.txt", "udhr_ru.txt"}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			m := readHFJSON(t, v.base)
			for k, val := range v.set {
				m[k] = js(val)
			}
			data, _ := json.Marshal(m)
			path := filepath.Join(t.TempDir(), "tokenizer.json")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			tk, err := LoadHF(path)
			if err != nil {
				t.Fatal(err)
			}
			py := startHFPython(t, path)
			for _, f := range files {
				fp := filepath.Join(testenv.Root(), "fixtures", "text", f)
				in, err := os.ReadFile(fp)
				if err != nil {
					t.Fatal(err)
				}
				want := py.encode(t, fp, false, true)
				got := tk.Encode(nil, in)
				if !slices.Equal(got, want.IDs) {
					k := 0
					for k < len(got) && k < len(want.IDs) && got[k] == want.IDs[k] {
						k++
					}
					t.Errorf("%s: ids differ at %d: got %v want %v", f, k, got[k:min(k+6, len(got))], want.IDs[k:min(k+6, len(want.IDs))])
					continue
				}
				if s, err := tk.DecodeString(got); err != nil || want.Decoded == nil || s != *want.Decoded {
					t.Errorf("%s: DecodeString differs from HF decode (%v)", f, err)
				}
				_, offs := tk.EncodeWithOffsets(in, false)
				for k, o := range offs {
					if o.CharStart != int(want.Offsets[k][0]) || o.CharEnd != int(want.Offsets[k][1]) {
						t.Errorf("%s: token %d offsets (%d,%d), want %v", f, k, o.CharStart, o.CharEnd, want.Offsets[k])
						break
					}
				}
			}
		})
	}
}
