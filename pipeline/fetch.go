package pipeline

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Fetch copies from object storage what report, show and inspect read, so
// they work on an output that lives in a bucket. src is an s3://, gs:// or
// azblob:// URL (query options as for Run):
//   - an output prefix (s3://b/out): every file directly under it (part
//     files, _SUMMARY.json, manifest.json, …) and under _done/ is copied
//     into the local directory dst (created), keeping their names; it
//     returns dst;
//   - a single object whose name has an extension (…/part-00003.arrow): it
//     is copied into dst under its base name, and the local path returned.
//
// Hidden names (temp files) are skipped. Errors: a *ConfigError for a URL
// that is not an object storage URL or names no object, or the store's
// error. file:// URLs need no fetch: Fetch returns their local path.
func Fetch(src, dst string) (string, error) {
	if !IsURL(src) {
		return "", configErr("%s is not an object storage URL (s3://, gs://, azblob://)", src)
	}
	loc, err := parseBlobURL(src)
	if err != nil {
		return "", configErr("%s: %v", src, err)
	}
	if loc.local != "" {
		return loc.local, nil
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	// One object: the last path segment has an extension.
	if base := path.Base(strings.TrimSuffix(loc.prefix, "/")); loc.prefix != "" && path.Ext(base) != "" {
		parent := strings.TrimSuffix(strings.TrimSuffix(loc.prefix, "/"), base)
		d, err := openOutDir(prefixURL(loc, parent))
		if err != nil {
			return "", err
		}
		defer d.close()
		p := filepath.Join(dst, base)
		if err := copyOut(d, base, p); err != nil {
			return "", err
		}
		return p, nil
	}
	d, err := openOutDir(prefixURL(loc, loc.prefix))
	if err != nil {
		return "", err
	}
	defer d.close()
	n := 0
	for _, sub := range []string{"", DoneDir} {
		names, err := d.list(sub)
		if err != nil {
			return "", err
		}
		for _, name := range names {
			if strings.HasPrefix(name, ".") {
				continue
			}
			rel := path.Join(sub, name)
			if err := os.MkdirAll(filepath.Join(dst, filepath.FromSlash(sub)), 0o755); err != nil {
				return "", err
			}
			if err := copyOut(d, rel, filepath.Join(dst, filepath.FromSlash(rel))); err != nil {
				return "", err
			}
			n++
		}
	}
	if n == 0 {
		return "", configErr("no objects under %s", src)
	}
	return dst, nil
}

// prefixURL is the URL of loc's bucket at key prefix p, with loc's query.
func prefixURL(loc blobLoc, p string) string {
	u := url.URL{Scheme: loc.scheme, Host: loc.bucket, Path: "/" + p, RawQuery: loc.query.Encode()}
	return u.String()
}

// copyOut copies the file name of d to the local path p.
func copyOut(d outDir, name, p string) error {
	r, err := d.open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("fetching %s: %w", name, err)
	}
	return f.Close()
}
