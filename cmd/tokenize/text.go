package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/tokenfab/tokenfab/text"
)

// textInput is the command's text: its arguments joined by single spaces,
// or stdin when there are none.
func textInput(cmd *cobra.Command, args []string) ([]byte, error) {
	if len(args) > 0 {
		return []byte(strings.Join(args, " ")), nil
	}
	b, err := io.ReadAll(cmd.InOrStdin())
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	return b, nil
}

// tokenizerAndInput loads the flags' tokenizer, then reads the command's
// text (textInput).
func (f *textFlags) tokenizerAndInput(cmd *cobra.Command, args []string) (*text.Tokenizer, []byte, error) {
	t, err := f.tokenizer()
	if err != nil {
		return nil, nil, err
	}
	in, err := textInput(cmd, args)
	if err != nil {
		return nil, nil, err
	}
	return t, in, nil
}

// parseIDs reads a JSON array of ids, or ids separated by spaces or commas.
func parseIDs(in []byte) ([]int32, error) {
	var ids []int32
	if trimmed := strings.TrimSpace(string(in)); strings.HasPrefix(trimmed, "[") {
		err := json.Unmarshal([]byte(trimmed), &ids)
		return ids, err
	}
	for _, f := range strings.FieldsFunc(string(in), func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		v, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not an int32 id", f)
		}
		ids = append(ids, int32(v))
	}
	if ids == nil {
		return nil, fmt.Errorf("no ids given")
	}
	return ids, nil
}

func newTextCmd() *cobra.Command {
	c := groupCmd(&cobra.Command{
		Use:   "text",
		Short: "Encode, decode or count text with a tiktoken encoding",
		Example: `  tokenize text encode "hello world"                   # [24912,2375]
  echo -n "hello world" | tokenize text count          # 2
  tokenize text encode --encoding cl100k_base "hello world" | tokenize text decode --encoding cl100k_base`,
	})
	var f textFlags
	f.register(c.PersistentFlags(), false) // shared by the three subcommands

	encode := &cobra.Command{
		Use:   "encode [TEXT...]",
		Short: "Print the ids of TEXT (or of stdin) as a JSON array",
		Long: `encode prints the token ids of its arguments (joined by single spaces) or,
without arguments, of stdin (every byte, including a trailing newline), as a
JSON array on one line. Special-token text is ordinary text unless
--allow-special names it. With --tokenizer these are the model's ids without
the post-processor's template (HF add_special_tokens=False, so no BOS/EOS);
tokenize run adds the template to every document.`,
		Example: `  tokenize text encode "hello world"
  tokenize text encode --allow-special all "<|endoftext|>"
  tokenize text encode --encoding cl100k_base < notes.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, in, err := f.tokenizerAndInput(cmd, args)
			if err != nil {
				return err
			}
			ids := t.Encode(nil, in)
			if ids == nil {
				ids = []int32{}
			}
			out, _ := json.Marshal(ids)
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", out)
			return err
		},
	}
	decode := &cobra.Command{
		Use:   "decode [IDS...]",
		Short: "Print the text of token ids: a JSON array or plain ids (arguments or stdin)",
		Long: `decode reads token ids from its arguments (joined by spaces, as encode and
count join theirs) or, without arguments, from stdin: a JSON array such as
[24912,2375], or plain ids separated by spaces or commas (24912 2375). It
writes the bytes those tokens stand for, exactly, with no newline added:
decode(encode(x)) gives x back, even for invalid UTF-8. An unknown id is an
error (exit 1).`,
		Example: `  tokenize text decode "[24912,2375]"
  tokenize text decode 24912 2375
  tokenize text encode "hi" | tokenize text decode`,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, in, err := f.tokenizerAndInput(cmd, args)
			if err != nil {
				return err
			}
			ids, err := parseIDs(in)
			if err != nil {
				return usagef("decode wants token ids, a JSON array such as [24912,2375] or plain ids such as 24912 2375: %v", err)
			}
			out, err := t.Decode(nil, ids)
			if err != nil {
				return inputError{err}
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	count := &cobra.Command{
		Use:   "count [TEXT...]",
		Short: "Print the number of tokens of TEXT (or of stdin)",
		Example: `  tokenize text count "hello world"
  tokenize text count --encoding cl100k_base < book.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, in, err := f.tokenizerAndInput(cmd, args)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), t.Count(in))
			return err
		},
	}
	c.AddCommand(encode, decode, count)
	return c
}
