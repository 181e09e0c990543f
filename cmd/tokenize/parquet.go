//go:build parquet

package main

// Built with -tags parquet, `tokenize run --format parquet` writes
// ZSTD Parquet part files (pipeline/parquetout); the default binary does
// not link the Parquet writer.
import _ "github.com/tokenfab/tokenfab/pipeline/parquetout"
