package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokenfab/tokenfab/pipeline"
)

// layouts are the --layout values.
var layouts = map[string]pipeline.Layout{"none": pipeline.LayoutPlain, "hf": pipeline.LayoutHF}

func newFinalizeCmd() *cobra.Command {
	var layout string
	c := &cobra.Command{
		Use:   "finalize DIR|URL",
		Short: "Validate every shard of a sharded run and write manifest.json and _SUCCESS",
		Long: `finalize checks that every shard of the sharded job in DIR is done (each
_done/part-NNNNN.json marker exists and every file it lists has the recorded
sha256) and that no other part file lies there, then writes manifest.json
(the part files in row order, counts, schema metadata) and _SUCCESS, last.
With --layout hf it also writes state.json and dataset_info.json, so
datasets.load_from_disk(DIR) works; that needs a --format arrow-stream run.
It changes no part file and may be rerun. DIR may be an s3://, gs:// or
azblob:// URL (docs/batch.md "Object storage"): markers are read and every
part object re-hashed from the store.`,
		Example: `  tokenize finalize out
  tokenize finalize out-hf --layout hf
  tokenize finalize 's3://datasets/tok-v1?region=eu-west-1'`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, ok := layouts[layout]
			if !ok {
				return usagef("--layout %q: want none or hf", layout)
			}
			m, err := pipeline.Finalize(args[0], l)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "tokenize: finalized %s: %s, %s, %s, %s, %s\n", args[0],
				plural(int64(m.NumShards), "shard"), plural(int64(len(m.Files)), "file"), plural(m.Rows, "row"),
				plural(m.Tokens, "token"), plural(m.Errors, "error"))
			return nil
		},
	}
	c.Flags().StringVar(&layout, "layout", "none", "extra layout: none, or hf (state.json + dataset_info.json for datasets.load_from_disk; needs --format arrow-stream)")
	return c
}
