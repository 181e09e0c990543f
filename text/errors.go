package text

import (
	"fmt"
	"strings"
)

// Configuration errors New returns that a front end may want to say in its
// own terms (the CLI names its flags); test them with errors.Is / errors.As.
var (
	// ErrNoPattern: a rank file that is no known encoding needs
	// Config.Pattern, the pre-tokenizer regex family.
	ErrNoPattern = configError("a rank file that is no known encoding needs a pre-tokenizer pattern")
	// ErrUnknownPattern: Config.Pattern names no pre-tokenizer.
	ErrUnknownPattern = configError("unknown pre-tokenizer pattern")
	// ErrNoBOS: AddBOS without Config.BOS on an encoding that has no BOS
	// token of its own (the OpenAI encodings have none).
	ErrNoBOS = configError("adding a BOS token needs a BOS token")
)

// Patterns are the pre-tokenizer names Config.Pattern accepts.
var Patterns = []string{"gpt2", "cl100k", "o200k", "llama3", "qwen2"}

type configError string

func (e configError) Error() string { return "text: " + string(e) }

// SpecialTokenError: a token named as BOS, EOS or allowed special is not a
// special token of the encoding.
type SpecialTokenError struct {
	Role     string   // "BOS", "EOS" or "allowed special"
	Token    string   // the text given
	Encoding string   // the encoding's name
	Known    []string // its special tokens, sorted
}

func (e *SpecialTokenError) Error() string {
	return fmt.Sprintf("text: %s token %q is not a special token of %s (known: %s); add it to Config.SpecialTokens",
		e.Role, e.Token, e.Encoding, knownList(e.Known))
}

func knownList(k []string) string {
	if len(k) == 0 {
		return "none"
	}
	return strings.Join(k, " ")
}
