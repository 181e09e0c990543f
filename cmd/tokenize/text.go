package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

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
--allow-special names it.`,
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
		Use:   "decode [JSON-ARRAY]",
		Short: "Print the text of a JSON array of ids (argument or stdin)",
		Long: `decode reads a JSON array of token ids (the argument, or stdin) and writes
the bytes those tokens stand for, exactly, with no newline added: decode(encode(x))
gives x back, even for invalid UTF-8. An unknown id is an error (exit 1).`,
		Example: `  tokenize text decode "[24912,2375]"
  tokenize text encode "hi" | tokenize text decode`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, in, err := f.tokenizerAndInput(cmd, args)
			if err != nil {
				return err
			}
			var ids []int32
			if err := json.Unmarshal(in, &ids); err != nil {
				return usagef("decode wants a JSON array of int32 ids such as [24912,2375]: %v", err)
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
