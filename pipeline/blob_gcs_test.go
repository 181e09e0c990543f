package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestGCSBuildTag: without -tags gcs a gs:// input or output is a
// configuration error that says how to get it; with the tag the URL parses.
func TestGCSBuildTag(t *testing.T) {
	l, err := parseBlobURL("gs://bucket/pre/fix")
	if gcsBuilt {
		if err != nil || l.bucket != "bucket" || l.prefix != "pre/fix/" {
			t.Fatalf("with -tags gcs: %+v, %v", l, err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "go build -tags gcs") {
		t.Fatalf("without -tags gcs: %v, want the build-tag hint", err)
	}
	dir := t.TempDir()
	for _, o := range []Options{
		{Inputs: []string{"gs://bucket/in"}, OutputDir: dir, Modalities: []Modality{byteModality{}}},
		{Inputs: []string{dir}, OutputDir: "gs://bucket/out", Modalities: []Modality{byteModality{}}},
	} {
		_, err := Run(context.Background(), o)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "-tags gcs") {
			t.Errorf("Run(%v -o %s) = %v, want a ConfigError with the build-tag hint", o.Inputs, o.OutputDir, err)
		}
	}
}
