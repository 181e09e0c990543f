package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	rpt "github.com/tokenfab/tokenfab/report"
)

func newReportCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "report DIR [-o DIR/report.html]",
		Short: "Write a self-contained HTML report of an output directory",
		Long: `report reads every part file of an output directory written by tokenize run
(part-*.arrow or .arrows; sharded part-*-of-*; manifest.json order when
finalized) and its summaries, and writes one HTML file with the charts
embedded as PNG data: URIs: num_tokens histograms per modality, text tokens
per byte, context-window fit (text rows over 4k/8k/32k/128k tokens), errors
by kind and throughput (docs/report.md).

DIR may be an s3://, azblob:// (or, with -tags gcs, gs://) output prefix: its
part files and markers are fetched into a temp directory first, and the
report goes to ./report.html unless -o says otherwise.`,
		Example: `  tokenize report out
  tokenize report out -o /tmp/report.html
  tokenize report 's3://datasets/tok-v1?region=eu-west-1' -o report.html`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, cleanup, err := localCopy(args[0])
			if err != nil {
				return err
			}
			defer cleanup()
			if out == "" {
				out = filepath.Join(dir, "report.html")
				if dir != args[0] { // fetched from a bucket: write here, not into the temp copy
					out = "report.html"
				}
			}
			st, err := rpt.Build(dir)
			if errors.Is(err, rpt.ErrNotReportable) {
				return inputError{err} // exit 1: the directory, not the disk
			} else if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := rpt.Render(&b, st); err != nil {
				return err
			}
			if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
				return err
			}
			status := ""
			if inc := st.Out.Incomplete(); inc != "" {
				status = " (" + inc + ")"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s in %s%s -> %s\n", args[0], plural(st.Rows, "row"), plural(int64(len(st.Out.Files)), "file"), status, out)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "HTML file to write (default DIR/report.html; ./report.html for a URL)")
	return c
}
