package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// vocabModality is byteModality with a vocabulary size (what picks the
// megatron token dtype).
type vocabModality struct {
	byteModality
	vocab int
}

func (m vocabModality) Describe() map[string]any {
	d := m.byteModality.Describe()
	d["vocab_size"] = m.vocab
	return d
}

// megDataset is a .bin/.idx pair read back by this test's own reader,
// following Megatron's layout.
type megDataset struct {
	version  uint64
	code     uint8
	lengths  []int32
	pointers []int64
	docIndex []int64
	docs     [][]int32 // every document's ids
}

func readMegatron(t *testing.T, prefix string) megDataset {
	t.Helper()
	idx, err := os.ReadFile(prefix + ".idx")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(prefix + ".bin")
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) < MegatronHeaderBytes || string(idx[:9]) != "MMIDIDX\x00\x00" {
		t.Fatalf("%s.idx: bad header % x", prefix, idx[:min(len(idx), 34)])
	}
	le := binary.LittleEndian
	d := megDataset{version: le.Uint64(idx[9:]), code: idx[17]}
	nseq, ndoc := int(le.Uint64(idx[18:])), int(le.Uint64(idx[26:]))
	if want := 34 + 12*nseq + 8*ndoc; len(idx) != want {
		t.Fatalf("%s.idx: %d bytes, want %d for %d sequences and %d document indices", prefix, len(idx), want, nseq, ndoc)
	}
	off := 34
	for range nseq {
		d.lengths = append(d.lengths, int32(le.Uint32(idx[off:])))
		off += 4
	}
	for range nseq {
		d.pointers = append(d.pointers, int64(le.Uint64(idx[off:])))
		off += 8
	}
	for range ndoc {
		d.docIndex = append(d.docIndex, int64(le.Uint64(idx[off:])))
		off += 8
	}
	size := map[uint8]int{8: 2, 4: 4}[d.code]
	if size == 0 {
		t.Fatalf("%s.idx: dtype code %d", prefix, d.code)
	}
	seq := func(i int) []int32 {
		var ids []int32
		for k := range int(d.lengths[i]) {
			p := int(d.pointers[i]) + k*size
			if size == 2 {
				ids = append(ids, int32(le.Uint16(bin[p:])))
			} else {
				ids = append(ids, int32(le.Uint32(bin[p:])))
			}
		}
		return ids
	}
	var total int
	for _, l := range d.lengths {
		total += int(l) * size
	}
	if total != len(bin) {
		t.Fatalf("%s.bin: %d bytes, the lengths sum to %d", prefix, len(bin), total)
	}
	for k := 0; k+1 < len(d.docIndex); k++ {
		doc := []int32{}
		for i := d.docIndex[k]; i < d.docIndex[k+1]; i++ {
			doc = append(doc, seq(int(i))...)
		}
		d.docs = append(d.docs, doc)
	}
	return d
}

func byteIDs(s string) []int32 {
	ids := []int32{}
	for _, b := range []byte(s) {
		ids = append(ids, int32(b))
	}
	return ids
}

func writeJSONL(t *testing.T, path string, texts []string) {
	t.Helper()
	var b strings.Builder
	for i, s := range texts {
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprint(i), "text": s})
		b.Write(append(line, '\n'))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileHash(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func TestMegatronRoundTrip(t *testing.T) {
	in := filepath.Join(t.TempDir(), "docs.jsonl")
	texts := []string{"hello", "", "this one says FAIL", "wörld\n", "a"}
	writeJSONL(t, in, texts)
	out := t.TempDir()
	sum, err := Run(context.Background(), Options{Inputs: []string{in}, OutputDir: out, Format: FormatMegatron,
		Modalities: []Modality{vocabModality{byteModality{jitter: true}, 256}}, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	d := readMegatron(t, filepath.Join(out, "part-00000"))
	if d.version != 1 || d.code != 8 {
		t.Fatalf("version %d, dtype code %d: want 1, 8 (uint16 for a 256-token vocabulary)", d.version, d.code)
	}
	// The FAIL row is not a document; the empty text is one with no sequence.
	want := [][]int32{byteIDs("hello"), {}, byteIDs("wörld\n"), byteIDs("a")}
	if !reflect.DeepEqual(d.docs, want) {
		t.Fatalf("documents %v, want %v", d.docs, want)
	}
	if !reflect.DeepEqual(d.docIndex, []int64{0, 1, 1, 2, 3}) || !reflect.DeepEqual(d.lengths, []int32{5, 7, 1}) ||
		!reflect.DeepEqual(d.pointers, []int64{0, 10, 24}) {
		t.Fatalf("doc_idx %v lengths %v pointers %v", d.docIndex, d.lengths, d.pointers)
	}
	if sum.Documents != 4 || sum.DocumentTokens != 13 || sum.Rows != 5 || sum.Errors.Total != 1 || len(sum.Files) != 2 {
		t.Fatalf("summary: documents %d tokens %d rows %d errors %d files %d", sum.Documents, sum.DocumentTokens, sum.Rows, sum.Errors.Total, len(sum.Files))
	}
	for i, name := range []string{"part-00000.bin", "part-00000.idx"} {
		f := sum.Files[i]
		if f.Name != name || f.Rows != 4 || f.SHA256 != fileHash(t, filepath.Join(out, name)) {
			t.Fatalf("file %d: %+v", i, f)
		}
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 3 { // .bin, .idx, _SUMMARY.json
		t.Fatalf("output holds %d entries, want 3", len(ents))
	}
	// A second run into the same directory is refused: .bin/.idx are outputs.
	_, err = Run(context.Background(), Options{Inputs: []string{in}, OutputDir: out, Format: FormatMegatron,
		Modalities: []Modality{vocabModality{byteModality{}, 256}}})
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("rerun without --overwrite: %v", err)
	}
}

func TestMegatronDTypeAndRefusals(t *testing.T) {
	in := filepath.Join(t.TempDir(), "docs.jsonl")
	writeJSONL(t, in, []string{"xyz"})
	run := func(vocab int, o Options) (megDataset, error) {
		o.Inputs, o.OutputDir, o.Format = []string{in}, t.TempDir(), FormatMegatron
		o.Modalities = []Modality{vocabModality{byteModality{}, vocab}}
		if _, err := Run(context.Background(), o); err != nil {
			return megDataset{}, err
		}
		return readMegatron(t, filepath.Join(o.OutputDir, "part-00000")), nil
	}
	// optimal_dtype: uint16 below 65500 tokens, else int32.
	for _, c := range []struct {
		vocab int
		dtype string
		code  uint8
	}{{65499, "", 8}, {65500, "", 4}, {200000, "", 4}, {256, TokenInt32, 4}, {65536, TokenUint16, 8}} {
		d, err := run(c.vocab, Options{TokenDType: c.dtype})
		if err != nil || d.code != c.code || !reflect.DeepEqual(d.docs, [][]int32{byteIDs("xyz")}) {
			t.Fatalf("vocab %d dtype %q: code %d docs %v err %v; want code %d", c.vocab, c.dtype, d.code, d.docs, err, c.code)
		}
	}
	for _, o := range []Options{{TokenDType: TokenUint16}, {PackLength: 8}, {Compression: CompressZstd}, {TokenDType: "int64"}} {
		_, err := run(70000, o)
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("%+v: want a ConfigError, got %v", o, err)
		}
	}
}

func TestMegatronRollover(t *testing.T) {
	in := filepath.Join(t.TempDir(), "docs.jsonl")
	var texts []string
	var want [][]int32
	for i := range 30 {
		s := strings.Repeat(string(rune('a'+i%26)), 1+i%9)
		texts = append(texts, s)
		want = append(want, byteIDs(s))
	}
	writeJSONL(t, in, texts)
	out := t.TempDir()
	sum, err := Run(context.Background(), Options{Inputs: []string{in}, OutputDir: out, Format: FormatMegatron,
		Modalities: []Modality{vocabModality{byteModality{}, 256}}, MaxFileBytes: 24})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]int32
	var names []string
	for i := 0; ; i++ {
		prefix := filepath.Join(out, fmt.Sprintf("part-%05d", i))
		if _, err := os.Stat(prefix + ".idx"); err != nil {
			break
		}
		names = append(names, filepath.Base(prefix)+".bin", filepath.Base(prefix)+".idx")
		if st, _ := os.Stat(prefix + ".bin"); st.Size() > 24 {
			t.Fatalf("%s.bin has %d bytes, over the 24-byte limit", prefix, st.Size())
		}
		got = append(got, readMegatron(t, prefix).docs...)
	}
	if len(names) < 8 || !reflect.DeepEqual(got, want) {
		t.Fatalf("%d files; documents %v, want %v", len(names), got, want)
	}
	var listed []string
	for _, f := range sum.Files {
		listed = append(listed, f.Name)
	}
	sort.Strings(names)
	if !reflect.DeepEqual(listed, names) {
		t.Fatalf("summary lists %v, want %v", listed, names)
	}
}

// TestMegatronWriterAtomic: while a pair is written only hidden temp files
// exist; close renames both; abort leaves nothing.
func TestMegatronWriterAtomic(t *testing.T) {
	dir := t.TempDir()
	finals := func() []string {
		var out []string
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), ".") {
				out = append(out, e.Name())
			} else if !strings.HasPrefix(e.Name(), ".part-") || !strings.HasSuffix(e.Name(), ".tmp") {
				t.Fatalf("temp file %s does not match .part-*.tmp (the cleanup pattern)", e.Name())
			}
		}
		return out
	}
	w, err := newMegatronWriter(writerConfig{dir: dir, name: shardPartName(1, 2), uniqueTmp: true}, TokenUint16)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := w.append(&row{modality: ModText, p: Payload{InputIDs: []int32{int32(i), 7}, NumTokens: 2}}); err != nil {
			t.Fatal(err)
		}
		if f := finals(); len(f) != 0 {
			t.Fatalf("final-named files before close: %v", f)
		}
	}
	if err := w.append(&row{modality: ModText, p: Payload{InputIDs: []int32{70000}}}); err == nil {
		t.Fatal("id 70000 accepted as uint16")
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	if f := finals(); !reflect.DeepEqual(f, []string{"part-00001-of-00002-0000.bin", "part-00001-of-00002-0000.idx"}) {
		t.Fatalf("after close: %v", f)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("temp files left after close: %d entries", len(ents))
	}
	d := readMegatron(t, filepath.Join(dir, "part-00001-of-00002-0000"))
	if len(d.docs) != 5 || !reflect.DeepEqual(d.docs[4], []int32{4, 7}) {
		t.Fatalf("documents %v", d.docs)
	}

	dir2 := t.TempDir()
	w, _ = newMegatronWriter(writerConfig{dir: dir2}, TokenInt32)
	w.append(&row{modality: ModText, p: Payload{InputIDs: []int32{1, 2, 3}}})
	w.abort()
	if ents, _ := os.ReadDir(dir2); len(ents) != 0 {
		t.Fatalf("abort left %d files", len(ents))
	}
}

func TestMegatronShardsFinalizeAndResume(t *testing.T) {
	in := shardCorpus(t)
	ctx := context.Background()
	opts := func(out string, n, i int) Options {
		o := shardOpts(in, out, n, i)
		o.Format, o.Modalities = FormatMegatron, []Modality{vocabModality{byteModality{jitter: true}, 256}}
		return o
	}
	plain := t.TempDir()
	psum, err := Run(ctx, opts(plain, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var want [][]int32
	for i := range 50 {
		p := filepath.Join(plain, fmt.Sprintf("part-%05d", i))
		if _, err := os.Stat(p + ".idx"); err != nil {
			break
		}
		want = append(want, readMegatron(t, p).docs...)
	}
	if int64(len(want)) != psum.Documents || psum.Errors.Total < 2 || psum.Documents >= psum.Rows {
		t.Fatalf("unsharded: %d documents read, summary %d documents, %d rows, %d errors", len(want), psum.Documents, psum.Rows, psum.Errors.Total)
	}
	out := t.TempDir()
	for i := 1; i >= 0; i-- {
		if _, err := Run(ctx, opts(out, 2, i)); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	man, err := Finalize(out, LayoutPlain)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]int32
	for _, f := range man.Files {
		if f.SHA256 != fileHash(t, filepath.Join(out, f.Name)) {
			t.Fatalf("%s: sha256 differs from the manifest", f.Name)
		}
		if strings.HasSuffix(f.Name, ".idx") {
			got = append(got, readMegatron(t, filepath.Join(out, strings.TrimSuffix(f.Name, ".idx"))).docs...)
		}
	}
	if !reflect.DeepEqual(got, want) || man.Documents != psum.Documents || man.DocumentTokens != psum.DocumentTokens {
		t.Fatalf("2 shards: %d documents (manifest %d, %d tokens), want %d (%d tokens)", len(got), man.Documents, man.DocumentTokens, len(want), psum.DocumentTokens)
	}
	if man.Files[0].Name != "part-00000-of-00002-0000.bin" || man.Files[1].Name != "part-00000-of-00002-0000.idx" {
		t.Fatalf("manifest files %v", man.Files[:2])
	}
	// A done shard is skipped; a damaged .idx makes finalize refuse and the
	// rerun rewrite identical bytes.
	s, err := Run(ctx, opts(out, 2, 1))
	if err != nil || !s.Shard.AlreadyDone || s.Documents == 0 || s.Documents != man.Documents {
		t.Fatalf("rerun of a done shard: %+v %v", s, err)
	}
	idx := filepath.Join(out, "part-00001-of-00002-0000.idx")
	before := fileHash(t, idx)
	if err := os.WriteFile(idx, []byte("MMIDIDX"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Finalize(out, LayoutPlain); err == nil {
		t.Fatal("finalize accepted a damaged .idx")
	}
	if s, err := Run(ctx, opts(out, 2, 1)); err != nil || s.Shard.AlreadyDone {
		t.Fatalf("rerun of a damaged shard: %v", err)
	}
	if fileHash(t, idx) != before {
		t.Fatal("the rerun wrote different bytes")
	}
	if _, err := Finalize(out, LayoutPlain); err != nil {
		t.Fatal(err)
	}
}
