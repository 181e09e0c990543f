package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gocloud.dev/blob"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
)

// Object storage (docs/batch.md "Object storage") against a real S3 server:
// versitygw on loopback, reached through gocloud's s3blob like any S3.

// s3Env starts versitygw with buckets in and out, and points the standard
// AWS environment at it.
func s3Env(t *testing.T) *testenv.S3Server {
	t.Helper()
	srv := testenv.StartS3(t, "tokenfabkey", "tokenfabsecret123")
	t.Setenv("AWS_ACCESS_KEY_ID", srv.Access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.Secret)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // no instance metadata lookups
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, b := range []string{"src", "dst"} {
		srv.MakeBucket(t, b)
	}
	return srv
}

func openTestBucket(t *testing.T, srv *testenv.S3Server, name string) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), srv.URL(name, ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// upload copies the local tree dir to bucket under prefix.
func upload(t *testing.T, b *blob.Bucket, dir, prefix string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return b.WriteAll(context.Background(), prefix+filepath.ToSlash(rel), data, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// download copies every object under prefix to a new local directory.
func download(t *testing.T, b *blob.Bucket, prefix string) string {
	t.Helper()
	dir := t.TempDir()
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		a, err := it.Next(context.Background())
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := b.ReadAll(context.Background(), a.Key)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(a.Key, prefix)))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// blobCorpus is fixtures/sample plus names that test the walk order,
// hidden files, and a manifest whose media paths are relative to it (one
// leaves its directory, one names a missing file).
func blobCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sample := filepath.Join(testenv.Root(), "fixtures", "sample")
	files := map[string]string{
		"a-b.txt": "dash", "a/b.txt": "in a directory", "a.txt": "dot", "a/FAIL.txt": "this says FAIL",
		".hidden.txt": "skipped", "d/.git/config": "skipped too",
		"pairs/pairs.jsonl": `{"id": "p1", "text": "a cat", "image": "img/hopper.gif"}
{"id": "p2", "image": "../sample/images/hopper.gif"}
{"id": "p3", "text": "missing", "image": "img/missing.png"}
{"id": "p4", "image": "/etc/passwd"}
`,
	}
	writeTree(t, dir, files)
	gif, err := os.ReadFile(filepath.Join(sample, "images", "hopper.gif"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{"pairs/img/hopper.gif": string(gif)})
	if err := os.CopyFS(filepath.Join(dir, "sample"), os.DirFS(sample)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func blobOpts(t *testing.T, inputs []string, out string, n, i int) Options {
	_, img := newImageTok(t, image.Config{Preset: "vit-base-patch16-224", PatchDType: "uint8"})
	return Options{Inputs: inputs, OutputDir: out, Modalities: []Modality{byteModality{jitter: true}, img},
		ImageField: "image", Workers: 2, BatchRows: 5, MaxFileBytes: 1 << 20, NumShards: n, ShardIndex: i}
}

// partFiles returns the part file names of a local output, sorted.
func partFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "part-*"))
	if len(m) == 0 {
		t.Fatalf("no part files in %s", dir)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// sameFiles fails unless dirs a and b hold byte-identical files names.
func sameFiles(t *testing.T, a, b string, names []string) {
	t.Helper()
	for _, n := range names {
		x, err := os.ReadFile(filepath.Join(a, n))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Fatalf("%s differs between %s (%d bytes) and %s (%d bytes)", n, a, len(x), b, len(y))
		}
	}
}

func TestObjectStorageMatchesLocalDisk(t *testing.T) {
	srv := s3Env(t)
	ctx := context.Background()
	in, outB := openTestBucket(t, srv, "src"), openTestBucket(t, srv, "dst")
	corpus := blobCorpus(t)
	upload(t, in, corpus, "corpus/")
	// Outside the input prefix: no manifest line may reach it.
	if err := in.WriteAll(ctx, "secret.txt", []byte("never read"), nil); err != nil {
		t.Fatal(err)
	}
	s3in := srv.URL("src", "corpus")

	// The reference: local disk in, local disk out.
	local := t.TempDir()
	sum, err := Run(ctx, blobOpts(t, []string{corpus}, local, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped["hidden"] != 2 || sum.Errors.Total == 0 {
		t.Fatalf("reference run: skipped %v, %d errors", sum.Skipped, sum.Errors.Total)
	}
	want, _ := readParts(t, local)
	names := partFiles(t, local)

	// Local in, S3 out: byte-identical part files, and the summary.
	if _, err := Run(ctx, blobOpts(t, []string{corpus}, srv.URL("dst", "plain"), 0, 0)); err != nil {
		t.Fatal(err)
	}
	got := download(t, outB, "plain/")
	sameFiles(t, local, got, names)
	if g := partFiles(t, got); !reflect.DeepEqual(g, names) {
		t.Fatalf("S3 output has %v, local %v", g, names)
	}
	if _, err := os.Stat(filepath.Join(got, SummaryName)); err != nil {
		t.Fatal(err)
	}
	// A second run into the same prefix is refused, as for a directory.
	if _, err := Run(ctx, blobOpts(t, []string{corpus}, srv.URL("dst", "plain"), 0, 0)); err == nil ||
		!strings.Contains(err.Error(), "already holds") {
		t.Fatalf("rerun without --overwrite: %v", err)
	}

	// S3 in, S3 out: the same rows as the local run, in the same order;
	// only the source column names the bucket instead of the directory.
	sum, err = Run(ctx, blobOpts(t, []string{s3in}, srv.URL("dst", "froms3"), 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped["hidden"] != 2 {
		t.Fatalf("skipped %v", sum.Skipped)
	}
	fromS3, _ := readParts(t, download(t, outB, "froms3/"))
	mapped := make([]outRow, len(want))
	for i, r := range want {
		r.Source = strings.Replace(r.Source, corpus, "s3://src/corpus", 1)
		r.Error = strings.ReplaceAll(r.Error, corpus, "s3://src/corpus")
		mapped[i] = r
	}
	if !reflect.DeepEqual(fromS3, mapped) {
		for i := range min(len(fromS3), len(mapped)) {
			if !reflect.DeepEqual(fromS3[i], mapped[i]) {
				t.Fatalf("row %d: S3 %+v\nlocal %+v", i, fromS3[i], mapped[i])
			}
		}
		t.Fatalf("S3 run has %d rows, local %d", len(fromS3), len(mapped))
	}
	checkBlobRows(t, fromS3)

	// Two shards, local in: byte-identical parts and manifest.json.
	local2 := t.TempDir()
	for i := range 2 {
		if _, err := Run(ctx, blobOpts(t, []string{corpus}, local2, 2, i)); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(ctx, blobOpts(t, []string{corpus}, srv.URL("dst", "sharded"), 2, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Finalize(local2, LayoutPlain); err != nil {
		t.Fatal(err)
	}
	if _, err := Finalize(srv.URL("dst", "sharded"), LayoutPlain); err != nil {
		t.Fatal(err)
	}
	got2 := download(t, outB, "sharded/")
	names2 := partFiles(t, local2)
	if len(names2) < 2 {
		t.Fatalf("2 shards wrote %v", names2)
	}
	sameFiles(t, local2, got2, append(names2, ManifestName, SuccessName, "_done/part-00000.json", "_done/part-00001.json"))

	// Two shards, S3 in and out, run in reverse order, finalize on the
	// URL: the unsharded S3 run's rows.
	s3out := srv.URL("dst", "s3sharded")
	for i := 1; i >= 0; i-- {
		if _, err := Run(ctx, blobOpts(t, []string{s3in}, s3out, 2, i)); err != nil {
			t.Fatal(err)
		}
	}
	man, err := Finalize(s3out, LayoutPlain)
	if err != nil {
		t.Fatal(err)
	}
	dl := download(t, outB, "s3sharded/")
	var rows []outRow
	for _, f := range man.Files {
		r, _ := readFile(t, filepath.Join(dl, f.Name))
		rows = append(rows, r...)
	}
	if !reflect.DeepEqual(rows, fromS3) {
		t.Fatalf("2-shard S3 run: %d rows, unsharded %d; they differ", len(rows), len(fromS3))
	}

	// Resume: a done shard validates by re-hashing its objects.
	sum, err = Run(ctx, blobOpts(t, []string{s3in}, s3out, 2, 1))
	if err != nil || !sum.Shard.AlreadyDone {
		t.Fatalf("rerun of a done shard: %v, %+v", err, sum.Shard)
	}
	// A damaged object: finalize refuses, the shard's rerun rewrites it
	// with the same bytes, finalize passes again.
	victim := man.Files[len(man.Files)-1]
	orig, _ := os.ReadFile(filepath.Join(dl, victim.Name))
	if err := outB.WriteAll(ctx, "s3sharded/"+victim.Name, orig[:len(orig)/2], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Finalize(s3out, LayoutPlain); err == nil || !strings.Contains(err.Error(), victim.Name) {
		t.Fatalf("finalize over a damaged object: %v", err)
	}
	sum, err = Run(ctx, blobOpts(t, []string{s3in}, s3out, 2, victim.Shard))
	if err != nil || sum.Shard.AlreadyDone {
		t.Fatalf("rerun of the damaged shard: %v, %+v", err, sum.Shard)
	}
	if again, _ := outB.ReadAll(ctx, "s3sharded/"+victim.Name); !bytes.Equal(again, orig) {
		t.Fatal("the redone shard wrote other bytes")
	}
	if _, err := Finalize(s3out, LayoutPlain); err != nil {
		t.Fatal(err)
	}
	// Only the output's keys were written: no temp or stray objects.
	for _, k := range listKeys(t, outB, "s3sharded/") {
		if strings.Contains(k, ".tmp") {
			t.Fatalf("temp object %s left behind", k)
		}
	}
}

// checkBlobRows checks the manifest rows read from the bucket: media
// resolved inside the manifest's prefix, escapes refused.
func checkBlobRows(t *testing.T, rows []outRow) {
	t.Helper()
	byID := map[string][]outRow{}
	for _, r := range rows {
		byID[r.ID] = append(byID[r.ID], r)
	}
	if p1 := byID["p1"]; len(p1) != 2 || p1[1].Modality != ModImage || p1[1].Error != "" || p1[1].NumTokens == 0 {
		t.Fatalf("p1 (text + image from the manifest's prefix): %+v", p1)
	}
	for _, id := range []string{"p2", "p4"} {
		if r := byID[id]; len(r) != 1 || !strings.HasPrefix(r[0].Error, "outside_root") {
			t.Fatalf("%s (a path leaving the manifest's prefix): %+v", id, r)
		}
	}
	if p3 := byID["p3"]; len(p3) != 2 || !strings.Contains(p3[1].Error, "no such file") {
		t.Fatalf("p3 (a missing object): %+v", p3)
	}
	var order []string
	for _, r := range rows {
		if r.ID == "a-b.txt" || r.ID == "a/b.txt" || r.ID == "a.txt" || r.ID == "a/FAIL.txt" {
			order = append(order, r.ID)
		}
	}
	// The directory walk's order: a/ (as the name "a") sorts before a-b.txt.
	if want := []string{"a/FAIL.txt", "a/b.txt", "a-b.txt", "a.txt"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

func listKeys(t *testing.T, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		a, err := it.Next(context.Background())
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, a.Key)
	}
}

func TestObjectStorageBadURLs(t *testing.T) {
	srv := s3Env(t)
	ctx := context.Background()
	in := openTestBucket(t, srv, "src")
	if err := in.WriteAll(ctx, "x/a.txt", []byte("hello"), nil); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cases := []struct{ in, out, want string }{
		{"s3:///prefix", out, "no bucket"},
		{"s3://src/x/../y", out, `".."`},
		{srv.URL("src", "x") + "&bogus=1", out, `unknown query parameter "bogus"`},
		{srv.URL("src", "nothing"), out, "no objects under s3://src/nothing/"},
		{srv.URL("nosuchbucket", "x"), out, "nosuchbucket"},
		{"file://host/x", out, "want file:///ABSOLUTE/PATH"},
		{srv.URL("src", "x"), srv.URL("src", "x"), "is also an input"},
		{srv.URL("src", "x/sub"), srv.URL("src", "x"), "inside the output prefix"},
		{srv.URL("src", "x"), srv.URL("nosuchbucket", "o"), "not accessible"},
	}
	for _, c := range cases {
		_, err := Run(ctx, blobOpts(t, []string{c.in}, c.out, 0, 0))
		var ce *ConfigError
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%s -o %s) = %v, want a ConfigError with %q", c.in, c.out, err, c.want)
		}
	}
	// A URL naming one object reads that object.
	sum, err := Run(ctx, blobOpts(t, []string{srv.URL("src", "x/a.txt")}, filepath.Join(out, "one"), 0, 0))
	if err != nil || sum.Records != 1 {
		t.Fatalf("one object: %v, %+v", err, sum)
	}
	rows, _ := readParts(t, filepath.Join(out, "one"))
	if len(rows) != 1 || rows[0].ID != "a.txt" || rows[0].Source != "s3://src/x/a.txt" || len(rows[0].IDs) != 5 {
		t.Fatalf("rows %+v", rows)
	}
	// --format megatron: the .bin/.idx pair uploaded (.idx last) is the
	// local pair, byte for byte.
	sample := filepath.Join(testenv.Root(), "fixtures", "sample")
	meg := func(out string) Options {
		return Options{Inputs: []string{sample}, OutputDir: out, Format: FormatMegatron,
			Modalities: []Modality{vocabModality{byteModality{}, 256}}}
	}
	if _, err := Run(ctx, meg(filepath.Join(out, "meg"))); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, meg(srv.URL("dst", "meg"))); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, filepath.Join(out, "meg"), download(t, openTestBucket(t, srv, "dst"), "meg/"),
		[]string{"part-00000" + MegatronBinExt, "part-00000" + MegatronIdxExt})

	// file:// is the local directory.
	sum, err = Run(ctx, blobOpts(t, []string{"file://" + filepath.ToSlash(filepath.Join(testenv.Root(), "fixtures", "sample"))},
		"file://"+filepath.ToSlash(filepath.Join(out, "f")), 0, 0))
	if err != nil || sum.Records == 0 {
		t.Fatalf("file URLs: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "f", "part-00000.arrow")); err != nil {
		t.Fatal(err)
	}
}
