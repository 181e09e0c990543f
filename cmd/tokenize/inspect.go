package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenfab/tokenfab/pipeline"
)

func newInspectCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "inspect FILE.arrow|FILE.arrows...",
		Short: "Show the schema, metadata, rows, errors and token statistics of output files",
		Long: `inspect reads Arrow IPC files or streams (the format is detected from the
content) and prints their schema, schema metadata, row and batch counts, error
rows by kind, and num_tokens statistics: total, mean, min, p50, p99, max
(nearest-rank percentiles over rows without an error).

A FILE may be an s3://, azblob:// (or, with -tags gcs, gs://) URL of one part
file: it is fetched into a temp directory first.

Exit codes: 0 when every FILE was read; 1 when a FILE is missing, unreadable
or not an Arrow IPC file/stream (the others are still reported).`,
		Example: `  tokenize inspect out/part-00000.arrow
  tokenize inspect --json out/part-*.arrow`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var bad []string
			for _, p := range args {
				rep, err := inspectOne(p)
				if err != nil {
					if len(args) == 1 {
						return inputError{err}
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "tokenize: %v\n", err)
					bad = append(bad, p)
					continue
				}
				if asJSON {
					b, _ := json.MarshalIndent(rep, "", "  ")
					fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
					continue
				}
				printReport(cmd.OutOrStdout(), rep)
			}
			if len(bad) > 0 {
				return inputError{fmt.Errorf("%d of %d files could not be read as Arrow: %s", len(bad), len(args), strings.Join(bad, ", "))}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

// inspectOne inspects a local file or a fetched copy of an object.
func inspectOne(p string) (*pipeline.FileReport, error) {
	local, cleanup, err := localCopy(p)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	rep, err := pipeline.Inspect(local)
	if rep != nil {
		rep.Path = p // the URL, not the temp copy
	}
	return rep, err
}

func printReport(w io.Writer, r *pipeline.FileReport) {
	kind := map[pipeline.Format]string{pipeline.FormatArrow: "Arrow IPC file", pipeline.FormatArrowStream: "Arrow IPC stream"}[r.Format]
	fmt.Fprintf(w, "%s: %s, %d bytes, %d batches, %d rows\n", r.Path, kind, r.Bytes, r.Batches, r.Rows)
	fmt.Fprintln(w, "schema:")
	for _, c := range r.Columns {
		null := ""
		if !c.Nullable {
			null = " not null"
		}
		fmt.Fprintf(w, "  %-12s %s%s\n", c.Name, c.Type, null)
	}
	fmt.Fprintln(w, "metadata:")
	keys := make([]string, 0, len(r.Metadata))
	for k := range r.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var pretty bytes.Buffer
		v := r.Metadata[k]
		if json.Indent(&pretty, []byte(v), "    ", "  ") == nil {
			v = pretty.String()
		}
		fmt.Fprintf(w, "  %s: %s\n", k, v)
	}
	fmt.Fprintf(w, "errors: %d of %d rows\n", r.Errors, r.Rows)
	kinds := make([]string, 0, len(r.ErrorsByKind))
	for k := range r.ErrorsByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %s: %d\n", k, r.ErrorsByKind[k])
	}
	t := r.Tokens
	what := "num_tokens"
	if _, ok := r.Metadata["tokenfab"]; ok && !hasColumn(r, "num_tokens") && hasColumn(r, "length") {
		what = "packed length" // --pack: real ids per row, padding excluded
	}
	fmt.Fprintf(w, "tokens (%s): total %d over %d rows; mean %.1f, min %d, p50 %d, p99 %d, max %d\n",
		what, t.Total, t.Rows, t.Mean, t.Min, t.P50, t.P99, t.Max)
	if len(r.TokensByModality) > 0 {
		fmt.Fprintf(w, "  by modality: %s\n", modalityTokens(r.TokensByModality, metadataUnits(r.Metadata["tokenfab"])))
	}
}

func hasColumn(r *pipeline.FileReport, name string) bool {
	for _, c := range r.Columns {
		if c.Name == name {
			return true
		}
	}
	return false
}

// metadataUnits reads what num_tokens counts per modality from the
// tokenfab schema metadata (tokenizers.M.num_tokens).
func metadataUnits(meta string) map[string]string {
	var md struct {
		Tokenizers map[string]map[string]any `json:"tokenizers"`
	}
	u := map[string]string{}
	if json.Unmarshal([]byte(meta), &md) != nil {
		return u
	}
	for m, d := range md.Tokenizers {
		desc, _ := d["num_tokens"].(string)
		u[m] = unitOf(m, desc)
	}
	return u
}
