package main

import "github.com/tokenfab/tokenfab/pipeline"

// columnNamed is the named column of an inspected file (zero when absent):
// tests select columns by name, as readers do, since modalities append
// columns at the end.
func columnNamed(rep *pipeline.FileReport, name string) pipeline.ColumnReport {
	for _, c := range rep.Columns {
		if c.Name == name {
			return c
		}
	}
	return pipeline.ColumnReport{}
}
