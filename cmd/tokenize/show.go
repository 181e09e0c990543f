package main

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	rpt "github.com/tokenfab/tokenfab/report"
)

func newShowCmd() *cobra.Command {
	var (
		rowN int
		out  string
		grid bool
	)
	c := &cobra.Command{
		Use:   "show FILE.arrow --row N -o OUT.png|OUT.html",
		Short: "Render one output row: image from its patches, mel heatmap, video contact sheet, text tokens",
		Long: `show reads row N (0-based, counted over the file's batches) of an Arrow IPC
file or stream written by tokenize run and renders it (docs/report.md):

  image  the resized image put back together from its uint8 patches, grid_thw
         and the preset's patch layout (byte-exact; --grid draws the patches)
  audio  the mel spectrogram as a heatmap
  video  the sampled frames from video_patches, with their timestamps
  text   HTML with each token coloured (decoded with the job's tokenizer);
         also a row of packed output (--pack), its length ids

-o OUT.png writes a PNG (not for text rows); -o OUT.html writes HTML (the
PNG embedded for non-text rows). FILE may be an s3://, azblob:// (or, with
-tags gcs, gs://) URL of one part file: it is fetched first.`,
		Example: `  tokenize show out/part-00000.arrow --row 3 -o row3.png
  tokenize show out/part-00000.arrow --row 3 --grid -o row3-grid.png
  tokenize show out/part-00000.arrow --row 0 -o row0.html`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("row") {
				return usagef("--row N is required: the row to render (0-based; tokenize inspect %s gives the row count)", args[0])
			}
			ext := strings.ToLower(filepath.Ext(out))
			if out == "" || (ext != ".png" && ext != ".html") {
				return usagef("-o must name a .png or .html file")
			}
			file, cleanup, err := localCopy(args[0])
			if err != nil {
				return err
			}
			defer cleanup()
			if st, err := os.Stat(file); err == nil && st.IsDir() { // as inspect says it: exit 1
				return inputError{fmt.Errorf("%s is a directory; pass a part file, e.g. %s", args[0], filepath.Join(args[0], "part-00000.arrow"))}
			}
			r, err := rpt.ReadRow(file, rowN)
			if err != nil {
				return showErr(err)
			}
			var b bytes.Buffer
			if (r.Modality == "text" && r.Error == "") || r.Packed {
				if ext != ".html" {
					if r.Packed {
						return usagef("row %d is a packed sequence of text ids (--pack %d): use -o OUT.html", rowN, r.PackLength)
					}
					return usagef("row %d is text: use -o OUT.html", rowN)
				}
				if err := rpt.WriteTextHTML(&b, r); err != nil {
					return showErr(err)
				}
			} else {
				img, err := rpt.Picture(r, grid)
				if err != nil {
					return showErr(err)
				}
				if err := png.Encode(&b, img); err != nil {
					return err
				}
				if ext == ".html" {
					var page bytes.Buffer
					caption := fmt.Sprintf("%s row %d, %s, %d tokens", filepath.Base(file), rowN, r.Modality, r.NumTokens)
					if err := rpt.WritePNGPage(&page, r.ID, caption, b.Bytes()); err != nil {
						return err
					}
					b = page
				}
			}
			if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
				return err
			}
			what := r.ID + ", " + r.Modality
			if r.Packed {
				what = fmt.Sprintf("packed, %d tokens", r.NumTokens)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: row %d (%s) -> %s\n", args[0], rowN, what, out)
			return nil
		},
	}
	c.Flags().IntVar(&rowN, "row", 0, "row number (0-based; required)")
	c.Flags().StringVarP(&out, "output", "o", "", "output file: .png or .html")
	c.Flags().BoolVar(&grid, "grid", false, "draw the patch grid over images and video frames")
	return c
}

// showErr gives errors about the row asked for (out of range, an error row,
// nothing to show) exit 1; others (I/O) stay exit 3.
func showErr(err error) error {
	if errors.Is(err, rpt.ErrRow) {
		return inputError{err}
	}
	return err
}
