package pipeline

import (
	"errors"
	"fmt"
)

// ErrorKind classifies why a row failed. It is the prefix of the row's
// `error` column ("bad_json: ...") and the key of the summary's error
// counts, so tools can group failures without parsing messages.
type ErrorKind string

// The error kinds a row can carry. Every row error has exactly one.
const (
	KindBadJSON      ErrorKind = "bad_json"      // a manifest line is not a JSON object
	KindMissingField ErrorKind = "missing_field" // the --text-field is absent or null
	KindFieldType    ErrorKind = "field_type"    // the text field is not a string, or the id field not a string/number
	KindReadError    ErrorKind = "read_error"    // the file could not be opened or read
	KindOutsideRoot  ErrorKind = "outside_root"  // a symlink points outside its input root
	KindTooLarge     ErrorKind = "too_large"     // the record or its tokens exceed the size limits
	KindUnknownType  ErrorKind = "unknown_type"  // a binary file of no known media type
	KindNoTokenizer  ErrorKind = "no_tokenizer"  // the modality has no registered tokenizer
	KindTokenize     ErrorKind = "tokenize"      // the modality's tokenizer rejected the input
	KindInternal     ErrorKind = "internal"      // a tokenizer panicked; a bug, reported as a row so the job survives
)

// RowError is a per-row failure: the row is kept with this message in its
// `error` column and null payload columns.
type RowError struct {
	Kind ErrorKind // the class of failure
	Msg  string    // what went wrong and, where it helps, what to do
}

// Error is the `error` column value: "<kind>: <message>".
func (e *RowError) Error() string { return string(e.Kind) + ": " + e.Msg }

func rowErr(kind ErrorKind, format string, args ...any) *RowError {
	return &RowError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// ErrStopped is returned (wrapped) by Run when the job stopped early because
// the error count passed Options.MaxErrors. Everything written up to that
// point is complete and readable; the summary's "stopped" field says why.
var ErrStopped = errors.New("stopped")

// ConfigError reports bad options or inputs found before any output is
// written (missing input path, existing output files, bad sizes). The CLI
// maps it to exit code 1.
type ConfigError struct{ Msg string }

// Error returns the message, which says what to change.
func (e *ConfigError) Error() string { return e.Msg }

func configErr(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}
