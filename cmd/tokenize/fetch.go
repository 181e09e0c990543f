package main

import (
	"os"

	"github.com/tokenfab/tokenfab/pipeline"
)

// localCopy lets report, show and inspect read an output in object
// storage: a URL (s3://, gs://, azblob://) is fetched into a temp
// directory (pipeline.Fetch: a prefix with its part files and markers, or
// one object) and the local path returned; a local path is returned as is.
// cleanup removes the temp copy.
func localCopy(arg string) (local string, cleanup func(), err error) {
	if !pipeline.IsURL(arg) {
		return arg, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "tokenfab-fetch-*")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	local, err = pipeline.Fetch(arg, tmp)
	if err != nil {
		cleanup()
		return "", nil, inputError{err}
	}
	return local, cleanup, nil
}
