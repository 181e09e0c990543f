package main

import (
	"bytes"
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
by kind and throughput (docs/report.md).`,
		Example: `  tokenize report out
  tokenize report out -o /tmp/report.html`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				out = filepath.Join(args[0], "report.html")
			}
			st, err := rpt.Build(args[0])
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := rpt.Render(&b, st); err != nil {
				return err
			}
			if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d rows in %d files -> %s\n", args[0], st.Rows, len(st.Out.Files), out)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "HTML file to write (default DIR/report.html)")
	return c
}
