package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/text"
)

// TestPiecesSentencePiece: with Mistral's tokenizer.json (Metaspace "▁",
// byte fallback, a decoder that strips the leading space of a sequence)
// every token after the first keeps its space, a character split over byte
// tokens shows whole on the token that completes it, and the pieces
// concatenate to the decoded row. WriteTextHTML shows them.
func TestPiecesSentencePiece(t *testing.T) {
	path := filepath.Join(testenv.Root(), "fixtures", "hf", "mistral.tokenizer.json.gz")
	tok, err := text.LoadHF(path)
	if err != nil {
		t.Fatal(err)
	}
	const in = "The cat of the world ✓ 𝄞"
	ids := tok.Encode(nil, []byte(in))
	meta := &Meta{Tokenizers: map[string]map[string]any{"text": {"name": "mistral",
		"options": map[string]any{"tokenizer_json": path}}}}
	td, err := NewTextDecoder(meta)
	if err != nil {
		t.Fatal(err)
	}
	pieces, special, err := td.Pieces(ids)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := tok.DecodeString(ids)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k, p := range pieces {
		got = append(got, string(p))
		if special[k] {
			t.Errorf("id %d marked special", ids[k])
		}
	}
	if cat := strings.Join(got, ""); cat != whole || !strings.HasSuffix(whole, "The cat of the world ✓ 𝄞") {
		t.Errorf("pieces %q join to %q, decoded row %q", got, cat, whole)
	}
	of := -1
	for k, id := range ids {
		if id == 302 { // "▁of"
			of = k
		}
	}
	if of < 0 || got[of] != " of" {
		t.Fatalf("ids %v: pieces %q, want \" of\" for id 302", ids, got)
	}
	// 𝄞 is not in the vocabulary: four byte tokens, three empty pieces and
	// the character on the last.
	n := len(got)
	if got[n-1] != "𝄞" || got[n-2] != "" || got[n-3] != "" || got[n-4] != "" {
		t.Errorf("last pieces %q, want the byte-fallback character on the last", got[n-5:])
	}
	var b bytes.Buffer
	if err := WriteTextHTML(&b, &Row{Modality: "text", InputIDs: ids, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `">`+" of</span>") || !strings.Contains(b.String(), `">`+" cat</span>") {
		t.Errorf("HTML lacks the spaced tokens:\n%s", b.String())
	}
}
