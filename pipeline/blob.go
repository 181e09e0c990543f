package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/s3blob"    // s3://
	"gocloud.dev/gcerrors"
)

// Object storage (docs/batch.md, "Object storage"): inputs and -o may be
// s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or azblob://CONTAINER/PREFIX URLs,
// opened with gocloud.dev/blob; the query string goes to the driver
// (endpoint=, region=, use_path_style=, …) and credentials come from the
// store's standard environment. file:///ABS/DIR is the local directory
// DIR, read and written exactly like a plain path.

// gcsBuilt reports whether the gs:// driver is in this binary (build tag
// gcs, blob_gcs.go).
var gcsBuilt bool

// errNoGCS explains how to get gs:// support.
const errNoGCS = "gs:// is not built into this binary (the GCS driver adds gRPC and ~31 MB): " +
	"build it with `go build -tags gcs ./cmd/tokenize` (docs/batch.md, \"Object storage\")"

// URLSchemes are the URL schemes Run and Finalize accept for inputs and
// outputs.
var URLSchemes = []string{"s3", "gs", "azblob", "file"}

// IsURL reports whether s is an object storage URL (one of URLSchemes,
// followed by "://") rather than a local path.
func IsURL(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	return ok && slices.Contains(URLSchemes, strings.ToLower(scheme))
}

// blobLoc is a parsed object storage URL.
type blobLoc struct {
	scheme, bucket string
	prefix         string     // key prefix: "" or ending in "/"
	query          url.Values // driver options
	local          string     // file://: the local path, and nothing else is set
}

// display is the URL of key (relative to the bucket) without the query,
// as shown in the source column and messages.
func (l blobLoc) display(key string) string { return l.scheme + "://" + l.bucket + "/" + key }

func parseBlobURL(raw string) (blobLoc, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return blobLoc{}, fmt.Errorf("not a valid URL: %v", err)
	}
	scheme := strings.ToLower(u.Scheme)
	if !slices.Contains(URLSchemes, scheme) {
		return blobLoc{}, fmt.Errorf("unsupported URL scheme %q: use s3://, gs://, azblob:// or file://", u.Scheme)
	}
	if scheme == "gs" && !gcsBuilt {
		return blobLoc{}, errors.New(errNoGCS)
	}
	if u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return blobLoc{}, fmt.Errorf("a storage URL has no user, fragment or opaque part: want %s://BUCKET/PREFIX[?OPTIONS]", scheme)
	}
	if scheme == "file" {
		if u.Host != "" && u.Host != "localhost" {
			return blobLoc{}, fmt.Errorf("file URL with host %q: want file:///ABSOLUTE/PATH", u.Host)
		}
		if u.RawQuery != "" {
			return blobLoc{}, fmt.Errorf("file URLs take no options (got ?%s)", u.RawQuery)
		}
		if !path.IsAbs(u.Path) {
			return blobLoc{}, fmt.Errorf("file URL needs an absolute path: file:///ABSOLUTE/PATH")
		}
		return blobLoc{scheme: scheme, local: filepath.FromSlash(u.Path)}, nil
	}
	if u.Host == "" {
		return blobLoc{}, fmt.Errorf("no bucket: want %s://BUCKET/PREFIX", scheme)
	}
	p := strings.TrimPrefix(u.Path, "/")
	p = strings.TrimSuffix(p, "/")
	if p != "" {
		for _, seg := range strings.Split(p, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return blobLoc{}, fmt.Errorf("prefix %q has an empty, \".\" or \"..\" segment", u.Path)
			}
		}
		p += "/"
	}
	return blobLoc{scheme: scheme, bucket: u.Host, prefix: p, query: u.Query()}, nil
}

// openBucket opens the bucket of l through its gocloud driver. Nothing is
// fetched beyond this bucket: every key read later is under l.prefix.
func openBucket(ctx context.Context, l blobLoc) (*blob.Bucket, error) {
	u := url.URL{Scheme: l.scheme, Host: l.bucket, RawQuery: l.query.Encode()}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("opening %s: %v", l.display(l.prefix), err)
	}
	return b, nil
}

// blobErr turns a gocloud error into a short message.
func blobErr(err error) error {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fmt.Errorf("%w (%v)", os.ErrNotExist, err)
	case gcerrors.PermissionDenied:
		return fmt.Errorf("permission denied (check the credentials in the environment): %v", err)
	}
	return err
}

// object is an input object: a record (or a manifest) read from a bucket.
type object struct {
	b       *blob.Bucket
	loc     blobLoc
	key     string
	size    int64
	modTime time.Time
}

func (o *object) open() (io.ReadCloser, error) {
	r, err := o.b.NewReader(context.Background(), o.key, nil)
	if err != nil {
		return nil, blobErr(err)
	}
	return r, nil
}

// keyLess orders keys as the directory walk orders paths: component by
// component, each in byte order ("a/b" before "a-b", as the directory a
// comes before the file a-b).
func keyLess(a, b string) int {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := strings.Compare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}

// scanBucket lists the objects under an input URL like a walked directory:
// sorted by path components, hidden names (a component starting with ".")
// skipped, and the job's own output prefix skipped when it lies inside.
// A URL naming one object (no object under PREFIX/) reads that object.
func (s *inputSet) scanBucket(raw string, exclude string) error {
	ctx := context.Background()
	loc, err := parseBlobURL(raw)
	if err != nil {
		return configErr("input %s: %v", raw, err)
	}
	b, err := openBucket(ctx, loc)
	if err != nil {
		return configErr("input %s: %v", raw, err)
	}
	s.buckets = append(s.buckets, b)
	var exPrefix string
	if IsURL(exclude) {
		if el, err := parseBlobURL(exclude); err == nil && el.scheme == loc.scheme && el.bucket == loc.bucket &&
			el.prefix != "" && strings.HasPrefix(el.prefix, loc.prefix) {
			exPrefix = el.prefix
		}
	}
	var objs []*object
	hidden := map[string]bool{}
	sawOut := false
	it := b.List(&blob.ListOptions{Prefix: loc.prefix})
	for {
		a, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return configErr("input %s: listing %s: %v", raw, loc.display(loc.prefix), blobErr(err))
		}
		rel := strings.TrimPrefix(a.Key, loc.prefix)
		switch {
		case a.IsDir || strings.HasSuffix(a.Key, "/"): // a "directory" placeholder
			continue
		case exPrefix != "" && strings.HasPrefix(a.Key, exPrefix):
			sawOut = true
			continue
		case !fs.ValidPath(rel):
			s.skipped["invalid_key"]++
			continue
		}
		if h := hiddenPrefix(rel); h != "" {
			hidden[h] = true
			continue
		}
		objs = append(objs, &object{b: b, loc: loc, key: a.Key, size: a.Size, modTime: a.ModTime})
	}
	s.skipped["hidden"] += int64(len(hidden))
	if sawOut {
		s.skipped["output_dir"]++
	}
	if len(objs) == 0 && len(hidden) == 0 && loc.prefix != "" {
		// Maybe the URL names one object.
		key := strings.TrimSuffix(loc.prefix, "/")
		if a, err := b.Attributes(ctx, key); err == nil {
			s.entries = append(s.entries, entry{source: loc.display(key), id: path.Base(key), rel: path.Base(key), size: a.Size,
				obj: &object{b: b, loc: loc, key: key, size: a.Size, modTime: a.ModTime}})
			s.bytes += a.Size
			return nil
		} else if gcerrors.Code(err) != gcerrors.NotFound {
			return configErr("input %s: %v", raw, blobErr(err))
		}
	}
	if len(objs) == 0 {
		return configErr("input %s: no objects under %s", raw, loc.display(loc.prefix))
	}
	slices.SortFunc(objs, func(x, y *object) int { return keyLess(x.key, y.key) })
	for _, o := range objs {
		rel := strings.TrimPrefix(o.key, loc.prefix)
		s.entries = append(s.entries, entry{source: loc.display(o.key), id: rel, rel: rel, size: o.size, obj: o})
		s.bytes += o.size
	}
	return nil
}

// hiddenPrefix returns the path up to rel's first component starting with
// "." ("" if none): the walk skips that file or directory as a whole.
func hiddenPrefix(rel string) string {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ".") {
			return strings.Join(parts[:i+1], "/")
		}
	}
	return ""
}

// objectDir is the manifestDir of a manifest object: its media paths are
// keys under the manifest's own prefix.
func objectDir(o *object) *manifestDir {
	dir := path.Dir(o.key)
	prefix := ""
	if dir != "." {
		prefix = dir + "/"
	}
	return &manifestDir{path: o.loc.display(strings.TrimSuffix(prefix, "/")), bucket: o.b, prefix: prefix}
}

// mediaObject reads the media file rel (already checked to be a local,
// relative path) of a manifest object from the manifest's prefix.
func (r *reader) mediaObject(rec *record, seg segment, rel string, dir *manifestDir) segment {
	fail := func(err *RowError) segment { seg.err = err; return seg }
	modality := seg.modality
	key := dir.prefix + path.Clean(filepath.ToSlash(rel))
	ctx := context.Background()
	a, err := dir.bucket.Attributes(ctx, key)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			// The local walk's words, so a bucket and a directory give the same rows.
			return fail(rowErr(KindReadError, "%s %q: %v", modality, rel, syscall.ENOENT))
		}
		return fail(rowErr(KindReadError, "%s %q: %v", modality, rel, blobErr(err)))
	}
	if a.Size > r.maxRecord {
		return fail(rowErr(KindTooLarge, "%s %q is %d bytes, over the %d-byte record limit (raise --max-record-size)", modality, rel, a.Size, r.maxRecord))
	}
	rd, err := dir.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return fail(rowErr(KindReadError, "%s %q: %v", modality, rel, blobErr(err)))
	}
	defer rd.Close()
	data, err := readAllLimit(rd, make([]byte, 0, a.Size+1), r.maxRecord)
	rec.in += int64(len(data))
	rec.files += int64(len(data))
	switch {
	case err != nil:
		return fail(rowErr(KindReadError, "%s %q: %v", modality, rel, blobErr(err)))
	case int64(len(data)) > r.maxRecord:
		return fail(rowErr(KindTooLarge, "%s %q grew past the %d-byte record limit while being read", modality, rel, r.maxRecord))
	}
	seg.data = data
	return seg
}

// blobDir is an output prefix in a bucket. Part files are written to a
// private local staging directory and uploaded when complete: a gocloud
// Writer makes the object visible only when Close succeeds, and an upload
// that fails is aborted by cancelling its context, so a key holds a complete
// file or nothing. Small files (summary, markers) are single PUTs.
type blobDir struct {
	loc blobLoc
	b   *blob.Bucket
	ctx context.Context
	tmp string
}

func openBlobDir(loc blobLoc) (*blobDir, error) {
	ctx := context.Background()
	b, err := openBucket(ctx, loc)
	if err != nil {
		return nil, configErr("-o: %v", err)
	}
	tmp, err := os.MkdirTemp("", "tokenfab-staging-*")
	if err != nil {
		b.Close()
		return nil, configErr("cannot create a local staging directory: %v", err)
	}
	return &blobDir{loc: loc, b: b, ctx: ctx, tmp: tmp}, nil
}

func (d *blobDir) String() string  { return d.loc.display(strings.TrimSuffix(d.loc.prefix, "/")) }
func (d *blobDir) staging() string { return d.tmp }

func (d *blobDir) close() error {
	os.RemoveAll(d.tmp)
	return d.b.Close()
}

func (d *blobDir) key(name string) string { return d.loc.prefix + name }

func (d *blobDir) mkdirs(bool) error {
	ok, err := d.b.IsAccessible(d.ctx)
	if err == nil && !ok {
		err = errors.New("the bucket does not exist")
	}
	if err != nil {
		return configErr("output %s is not accessible: %v", d, blobErr(err))
	}
	return nil
}

func (d *blobDir) list(sub string) ([]string, error) {
	prefix := d.loc.prefix
	if sub != "" {
		prefix += sub + "/"
	}
	var names []string
	it := d.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	for {
		a, err := it.Next(d.ctx)
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, configErr("listing %s: %v", d.loc.display(prefix), blobErr(err))
		}
		if !a.IsDir {
			names = append(names, strings.TrimPrefix(a.Key, prefix))
		}
	}
}

func (d *blobDir) readFile(name string) ([]byte, error) {
	data, err := d.b.ReadAll(d.ctx, d.key(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.loc.display(d.key(name)), blobErr(err))
	}
	return data, nil
}

func (d *blobDir) open(name string) (io.ReadCloser, error) {
	r, err := d.b.NewReader(d.ctx, d.key(name), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.loc.display(d.key(name)), blobErr(err))
	}
	return r, nil
}

func (d *blobDir) remove(name string) error {
	if err := d.b.Delete(d.ctx, d.key(name)); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("deleting %s: %w", d.loc.display(d.key(name)), blobErr(err))
	}
	return nil
}

func (d *blobDir) writeAtomic(name string, data []byte) error {
	if err := d.b.WriteAll(d.ctx, d.key(name), data, nil); err != nil {
		return fmt.Errorf("writing %s: %w", d.loc.display(d.key(name)), blobErr(err))
	}
	return nil
}

// createExclusive writes with If-None-Match (gocloud's IfNotExist) where
// the store supports it; a lost race leaves the first writer's file.
func (d *blobDir) createExclusive(name string, data []byte) error {
	if ok, err := d.b.Exists(d.ctx, d.key(name)); err == nil && ok {
		return nil
	}
	err := d.b.WriteAll(d.ctx, d.key(name), data, &blob.WriterOptions{IfNotExist: true})
	if err != nil && gcerrors.Code(err) != gcerrors.FailedPrecondition {
		return fmt.Errorf("writing %s: %w", d.loc.display(d.key(name)), blobErr(err))
	}
	return nil
}

// publish uploads the finished local file tmp as name, then deletes tmp.
func (d *blobDir) publish(tmp, name string) error {
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	defer f.Close()
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	w, err := d.b.NewWriter(ctx, d.key(name), &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("uploading %s: %w", d.loc.display(d.key(name)), blobErr(err))
	}
	if _, err := io.Copy(w, f); err != nil {
		cancel() // abort: the key is not created
		w.Close()
		return fmt.Errorf("uploading %s: %w", d.loc.display(d.key(name)), blobErr(err))
	}
	if err := w.Close(); err != nil { // the commit point
		return fmt.Errorf("uploading %s: %w", d.loc.display(d.key(name)), blobErr(err))
	}
	return nil
}

// resolveURLs turns file:// inputs and output into the local paths they
// name, and checks the syntax of the other URLs, before anything is read.
func (o *Options) resolveURLs() error {
	fix := func(what string, p *string) error {
		if !IsURL(*p) {
			return nil
		}
		loc, err := parseBlobURL(*p)
		if err != nil {
			return configErr("%s %s: %v", what, *p, err)
		}
		if loc.local != "" {
			*p = loc.local
		}
		return nil
	}
	if err := fix("-o", &o.OutputDir); err != nil {
		return err
	}
	o.Inputs = slices.Clone(o.Inputs)
	for i := range o.Inputs {
		if err := fix("input", &o.Inputs[i]); err != nil {
			return err
		}
	}
	return nil
}

// outputNotInputURL is outputNotInput for an -o in object storage: an
// input prefix equal to it or inside it is refused; an -o inside an input
// prefix is skipped by the listing.
func outputNotInputURL(inputs []string, out string) error {
	ol, err := parseBlobURL(out)
	if err != nil {
		return configErr("-o %s: %v", out, err)
	}
	for _, in := range inputs {
		if !IsURL(in) {
			continue
		}
		il, err := parseBlobURL(in)
		if err != nil || il.scheme != ol.scheme || il.bucket != ol.bucket {
			continue
		}
		switch {
		case il.prefix == ol.prefix:
			return configErr("-o %s is also an input: the run would read its own output files as data; write to another prefix (a new prefix under the input is fine: it is skipped)", out)
		case strings.HasPrefix(il.prefix, ol.prefix):
			return configErr("input %s is inside the output prefix -o %s: the run would mix its output with its input (and --overwrite could delete it); choose an -o that does not contain the inputs", in, out)
		}
	}
	return nil
}
