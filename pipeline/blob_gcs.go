//go:build gcs

package pipeline

// gs:// is opt-in (go build -tags gcs): the GCS driver pulls in gRPC and
// about 31 MB of binary (97 MB instead of 66 MB), the cost the Parquet
// writer is kept behind a tag for.
import _ "gocloud.dev/blob/gcsblob" // gs://

func init() { gcsBuilt = true }
