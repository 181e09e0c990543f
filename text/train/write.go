package train

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/tokenfab/tokenfab/text/internal/pretok"
)

// WriteTiktoken writes the ranks as a tiktoken rank file: one
// `base64(token bytes) SP rank` line per token, in rank order (what
// tiktoken.load.load_tiktoken_bpe and text.New read). Special tokens are
// not in the file; pass r.Special as text.Config.SpecialTokens (and
// r.Pattern as Config.Pattern, since the file's name is no encoding's).
func (r *Result) WriteTiktoken(w io.Writer) error {
	bw := bufio.NewWriter(w)
	var b64 []byte
	for rank, tok := range r.Tokens {
		b64 = base64.StdEncoding.AppendEncode(b64[:0], tok)
		b64 = append(b64, ' ')
		b64 = strconv.AppendInt(b64, int64(rank), 10)
		b64 = append(b64, '\n')
		bw.Write(b64)
	}
	return bw.Flush()
}

// byteLevel is HF's ByteLevel spelling of tok: each byte b as the
// character byteRune[b].
func byteLevel(tok []byte) string {
	var sb strings.Builder
	for _, b := range tok {
		sb.WriteRune(byteRune[b])
	}
	return sb.String()
}

// jsonString is s as a JSON string without HTML escaping.
func jsonString(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
}

// hfPattern is the pre-tokenizer regex for tokenizer.json: pretok's text,
// except that tiktoken's possessive `\p{N}{1,3}+` (cl100k) is written
// `\p{N}{1,3}`: in Oniguruma, which HF tokenizers uses, `{1,3}+` is not
// possessive but "one or more runs of 1-3", so it would join any number of
// digits. Nothing follows it in its alternative, so the greedy form is the
// same match.
func hfPattern(name string) string {
	return strings.ReplaceAll(pretok.Pattern(name), `{1,3}+`, `{1,3}`)
}

// WriteTokenizerJSON writes a Hugging Face tokenizers tokenizer.json that
// gives the same ids as the rank file under tiktoken's rules: pre-tokenizer
// Sequence[Split(hfPattern(r.Pattern), Isolated), ByteLevel(
// add_prefix_space=false, use_regex=false)]; model BPE with
// ignore_merges=true (a pre-token that is a token is kept whole, as tiktoken
// does), the vocab (ids = ranks, tokens in ByteLevel characters, special
// tokens included) and the merges in rank order of the token they make
// (training order for distinct tokens; a merge into an existing token
// follows that token's first merge, so its priority is the token's rank as in
// tiktoken); special tokens as added_tokens; ByteLevel decoder. Loaded by
// tokenizers 0.23.3 (checked by the tests).
func (r *Result) WriteTokenizerJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	ws := func(s string) { bw.WriteString(s) }

	ws("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
	for i, s := range r.SpecialOrder {
		if i > 0 {
			ws(",")
		}
		ws("\n    {\"id\": " + strconv.Itoa(int(r.Special[s])) + ", \"content\": ")
		bw.Write(jsonString(s))
		ws(", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}")
	}
	if len(r.SpecialOrder) > 0 {
		ws("\n  ")
	}
	ws("],\n  \"normalizer\": null,\n")
	ws("  \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [\n")
	ws("    {\"type\": \"Split\", \"pattern\": {\"Regex\": ")
	bw.Write(jsonString(hfPattern(r.Pattern)))
	ws("}, \"behavior\": \"Isolated\", \"invert\": false},\n")
	ws("    {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": false}\n  ]},\n")
	ws("  \"post_processor\": null,\n")
	ws("  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n")
	ws("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n")
	ws("    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n")
	ws("    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": true,\n")
	ws("    \"vocab\": {")
	for id, tok := range r.Tokens {
		if id > 0 {
			ws(",")
		}
		ws("\n      ")
		bw.Write(jsonString(byteLevel(tok)))
		ws(": " + strconv.Itoa(id))
	}
	for _, s := range r.SpecialOrder {
		ws(",\n      ")
		bw.Write(jsonString(s))
		ws(": " + strconv.Itoa(int(r.Special[s])))
	}
	ws("\n    },\n    \"merges\": [")
	order := make([]int, len(r.Merges))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(r.Merges[i].Result, r.Merges[j].Result) })
	for k, i := range order {
		if k > 0 {
			ws(",")
		}
		ws("\n      [")
		bw.Write(jsonString(byteLevel(r.Tokens[r.Merges[i].Left])))
		ws(", ")
		bw.Write(jsonString(byteLevel(r.Tokens[r.Merges[i].Right])))
		ws("]")
	}
	ws("\n    ]\n  }\n}\n")
	return bw.Flush()
}
