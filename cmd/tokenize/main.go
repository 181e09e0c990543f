// Command tokenize turns files, directories and JSONL manifests into token
// ids written as Apache Arrow files, and offers text encode/decode/count and
// an output inspector. Flags are parsed here; the work is in package
// pipeline (and text for `tokenize text`).
//
// Exit codes: 0 success (per-record errors are rows, not failures), 1 usage
// or configuration error, 2 stopped by --max-errors, 3 I/O or internal
// error, 130 interrupted (SIGINT/SIGTERM). After 2, 3 (when the failure was
// not the output itself) and 130 the files written are complete and
// readable, and _SUMMARY.json says why the job stopped.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tokenfab/tokenfab/pipeline"
)

// Exit codes (docs/pipeline.md, "Exit codes").
const (
	exitOK          = 0
	exitUsage       = 1
	exitStopped     = 2
	exitFailed      = 3
	exitInterrupted = 130
)

// usageError marks errors in the command line or configuration.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// inputError is a well-formed command whose input is wrong (an unknown
// token id to decode): exit 1, like a usage error, but without the usage
// hint, which would not help.
type inputError struct{ error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and maps its outcome to an exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	fmt.Fprintf(stderr, "tokenize: %v\n", err)
	if code == exitUsage && errors.As(err, new(usageError)) {
		fmt.Fprintln(stderr, "Run 'tokenize --help' (or 'tokenize COMMAND --help') for usage.")
	}
	return code
}

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	var ue usageError
	var ie inputError
	var ce *pipeline.ConfigError
	switch {
	case errors.As(err, &ue), errors.As(err, &ie), errors.As(err, &ce):
		return exitUsage
	case errors.Is(err, pipeline.ErrStopped):
		return exitStopped
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailed
}

func newRoot() *cobra.Command {
	root := groupCmd(&cobra.Command{
		Use:   "tokenize",
		Short: "Tokenize datasets (text and images now; audio, video later) into Apache Arrow files",
		Long: `tokenize turns files, directories and JSONL manifests into token ids written
as Apache Arrow IPC files that pyarrow, polars, numpy and Hugging Face
datasets read directly. Text ids are byte-identical to OpenAI tiktoken; image
patches match the Hugging Face (PIL-backend) image processors.

Exit codes: 0 success (per-record errors are rows with the error column set),
1 usage or configuration error, 2 stopped by --max-errors, 3 I/O or internal
error, 130 interrupted. Output files are always complete or absent.`,
		Example: `  tokenize run fixtures/sample -o out
  tokenize text encode "hello world"
  tokenize inspect out/part-00000.arrow`,
		SilenceUsage:  true,
		SilenceErrors: true,
	})
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newRunCmd(), newTextCmd(), newInspectCmd(), newTrainBPECmd(), newServeCmd())
	root.AddCommand(newFinalizeCmd(), newTrainCodebookCmd())
	root.AddCommand(newReportCmd())
	root.AddCommand(newShowCmd())
	return root
}

// usageArgs wraps an argument validator so its errors exit with code 1.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// groupCmd is a command that only holds subcommands: without one it prints
// help, and an unknown one is a usage error.
func groupCmd(c *cobra.Command) *cobra.Command {
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
		}
		return cmd.Help()
	}
	return c
}
