package pipeline

import (
	"context"

	"github.com/tokenfab/tokenfab/text"
)

// textModality adapts a *text.Tokenizer to Modality.
type textModality struct{ t *text.Tokenizer }

// NewText wraps a text tokenizer as the "text" modality: each segment's
// bytes (UTF-8, or any bytes: invalid UTF-8 encodes losslessly) become
// input_ids (int32) with BOS/EOS as the tokenizer is configured, and
// num_tokens = len(input_ids).
func NewText(t *text.Tokenizer) Modality { return textModality{t} }

func (m textModality) Name() string { return ModText }

func (m textModality) Tokenize(ctx context.Context, data []byte) (Payload, error) {
	ids, err := m.t.Tokenize(ctx, data)
	if err != nil {
		return Payload{}, err
	}
	if ids == nil {
		ids = []int32{} // empty text is an empty list, not a null one
	}
	return Payload{NumTokens: len(ids), InputIDs: ids}, nil
}

// Describe gives the tokenizer's name, the sha256 of its rank file, its
// vocabulary size and its options, for the tokenfab metadata.
func (m textModality) Describe() map[string]any {
	return map[string]any{
		"name":       m.t.Name(),
		"sha256":     m.t.SHA256(),
		"vocab_size": m.t.VocabSize(),
		"options":    m.t.Options(),
	}
}
