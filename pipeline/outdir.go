package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// outDir is where a job's files are published: a local directory, or a
// bucket prefix (blobDir, pipeline/blob.go). Names are slash-separated and
// relative to it ("part-00000.arrow", "_done/part-00000.json"). Files are
// always written first under a local temp name in staging(), then published:
// renamed (local) or uploaded (object storage), so a final name holds a
// complete file or nothing.
type outDir interface {
	// String names the output in messages (the -o argument).
	String() string
	// staging is the local directory that holds temp files until publish.
	staging() string
	// mkdirs creates the output (and DoneDir when done is set).
	mkdirs(done bool) error
	// list returns the base names of the files directly in sub ("" or
	// DoneDir), in any order; a missing sub is empty.
	list(sub string) ([]string, error)
	// readFile returns a whole file; a missing one is an error wrapping
	// os.ErrNotExist.
	readFile(name string) ([]byte, error)
	// open opens a file for reading.
	open(name string) (io.ReadCloser, error)
	// remove deletes a file; a missing one is not an error.
	remove(name string) error
	// writeAtomic publishes data under name, replacing any file there.
	writeAtomic(name string, data []byte) error
	// createExclusive publishes data under name unless a file is there.
	createExclusive(name string, data []byte) error
	// publish moves the complete local file tmp (in staging) to name.
	publish(tmp, name string) error
	// close releases the output (and removes a private staging directory).
	close() error
}

// openOutDir opens -o: a local directory, or an object storage URL
// (s3://, gs://, azblob://; file:// is the local directory it names).
func openOutDir(dir string) (outDir, error) {
	if !IsURL(dir) {
		return localDir(dir), nil
	}
	loc, err := parseBlobURL(dir)
	if err != nil {
		return nil, configErr("-o %s: %v", dir, err)
	}
	if loc.local != "" {
		return localDir(loc.local), nil
	}
	return openBlobDir(loc)
}

// localDir is a local output directory: files are fsynced, renamed into
// place and the directory fsynced.
type localDir string

func (d localDir) String() string  { return string(d) }
func (d localDir) staging() string { return string(d) }
func (d localDir) close() error    { return nil }

func (d localDir) path(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

func (d localDir) mkdirs(done bool) error {
	p := string(d)
	if done {
		p = d.path(DoneDir)
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return configErr("cannot create output directory: %v", err)
	}
	return nil
}

func (d localDir) list(sub string) ([]string, error) {
	ents, err := os.ReadDir(d.path(sub))
	if errors.Is(err, os.ErrNotExist) && sub != "" {
		return nil, nil
	}
	if err != nil {
		return nil, configErr("cannot read output directory: %v", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, nil
}

func (d localDir) readFile(name string) ([]byte, error) { return os.ReadFile(d.path(name)) }

func (d localDir) open(name string) (io.ReadCloser, error) { return os.Open(d.path(name)) }

func (d localDir) remove(name string) error {
	if err := os.Remove(d.path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (d localDir) writeAtomic(name string, data []byte) error {
	return writeFileAtomic(d.path(path.Dir(name)), path.Base(name), data)
}

func (d localDir) createExclusive(name string, data []byte) error {
	p := d.path(name)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	return createExclusive(p, data)
}

func (d localDir) publish(tmp, name string) error {
	if err := os.Rename(tmp, d.path(name)); err != nil {
		return err
	}
	return syncDir(filepath.Dir(d.path(name)))
}

// hashFile returns the sha256 (hex) and size of a published file.
func hashFile(out outDir, name string) (string, int64, error) {
	f, err := out.open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, fmt.Errorf("reading %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
