package pipeline

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FormatMegatron writes Megatron-LM's MMapIndexedDataset instead of Arrow:
// a pair part-NNNNN.bin (the token ids of every document, concatenated)
// and part-NNNNN.idx (header, sequence lengths and byte pointers, document
// indices), the files megatron.core.datasets.indexed_dataset reads. One
// successful text row is one document of one sequence; other rows only
// count in the summary. See docs/batch.md "Megatron-LM output".
const FormatMegatron Format = "megatron"

// Megatron .idx constants (megatron/core/datasets/indexed_dataset.py).
const (
	// MegatronIndexMagic opens every .idx file.
	MegatronIndexMagic = "MMIDIDX\x00\x00"
	// MegatronIndexVersion is the only .idx version Megatron reads.
	MegatronIndexVersion = 1
	// MegatronHeaderBytes is the size of the fixed .idx header: magic,
	// version (uint64), dtype code (uint8), sequence count and document
	// count (uint64 each).
	MegatronHeaderBytes = 9 + 8 + 1 + 8 + 8
	// MegatronOptimalLimit is DType.optimal_dtype's bound: a vocabulary of
	// fewer tokens gets uint16 ids, a larger one (or an unknown size)
	// int32.
	MegatronOptimalLimit = 65500
)

// Extensions of the Megatron file pair.
const (
	MegatronBinExt = ".bin"
	MegatronIdxExt = ".idx"
)

// megatronDTypes maps the token dtypes tokenfab writes to Megatron's
// DType code, item size and largest id.
var megatronDTypes = map[string]struct {
	code uint8
	size int
	max  int64
}{
	TokenUint16: {8, 2, 1<<16 - 1},
	TokenInt32:  {4, 4, 1<<31 - 1},
}

// MegatronDTypeCode is the .idx dtype code of a token dtype (8 for uint16,
// 4 for int32), or 0 for one tokenfab does not write.
func MegatronDTypeCode(dtype string) uint8 { return megatronDTypes[dtype].code }

// megatronConfig picks the token dtype of a megatron job: --token-dtype if
// given (refused when the vocabulary does not fit), else Megatron's
// optimal_dtype rule on the text vocabulary size.
func megatronConfig(o Options, mods map[string]Modality) (string, error) {
	switch {
	case o.PackLength > 0:
		return "", configErr("--pack does not apply to --format megatron: Megatron packs documents into --seq-length samples itself")
	case o.Compression != CompressNone:
		return "", configErr("--compression %s does not apply to --format megatron (Megatron memory-maps uncompressed files)", o.Compression)
	}
	t := mods[ModText]
	if t == nil {
		return "", configErr("--format megatron needs a text tokenizer")
	}
	vocab, known := t.Describe()["vocab_size"].(int)
	dtype := o.TokenDType
	if dtype == "" {
		dtype = TokenInt32
		if known && vocab < MegatronOptimalLimit {
			dtype = TokenUint16
		}
		return dtype, nil
	}
	dt, ok := megatronDTypes[dtype]
	if !ok {
		return "", configErr("token dtype %q: use int32 or uint16", dtype)
	}
	if known && int64(vocab-1) > dt.max {
		return "", configErr("--token-dtype %s holds ids up to %d but the vocabulary has %d tokens; use --token-dtype int32", dtype, dt.max, vocab)
	}
	return dtype, nil
}

// isMegatronName reports whether name is a Megatron output file.
func isMegatronName(name string) bool {
	return strings.HasPrefix(name, "part-") && (strings.HasSuffix(name, MegatronBinExt) || strings.HasSuffix(name, MegatronIdxExt))
}

// outputWriter is what Run needs of a writer of output files.
type outputWriter interface {
	rowSink
	close() error
	abort()
	written() []FileInfo
}

func (w *partWriter) written() []FileInfo { return w.files }

// megatronWriter writes successful text rows as documents of Megatron
// .bin/.idx pairs. A pair rolls over when the next document would take
// the .bin past maxFileBytes (a .bin exceeds it only when one document
// alone is larger). Both files of a pair are written under hidden temp
// names and fsynced; then the .bin is renamed, then the .idx — the commit
// point: a pair is complete exactly when its .idx has its final name, and
// a crash between the renames leaves a .bin without .idx that no marker
// lists (a rerun of the shard deletes it; unsharded, --overwrite does).
type megatronWriter struct {
	dir          string // local directory of temp files (out.staging())
	out          outDir
	name         func(seq int, ext string) string
	uniqueTmp    bool
	dtype        string
	code         uint8
	size         int
	max          int64
	maxFileBytes int64

	cur      *megatronFile
	next     int
	files    []FileInfo
	finished bool

	// Documents and Tokens written (over all files).
	docs, tokens int64
}

// megatronFile is the pair in progress.
type megatronFile struct {
	f        *os.File
	buf      *bufio.Writer
	cw       *countingWriter
	tmp      string // .bin temp path
	base     string // final path without extension
	lengths  []int32
	docIndex []int64 // sequence index at which each document starts, then the count
	scratch  []byte
}

func newMegatronWriter(c writerConfig, dtype string) (*megatronWriter, error) {
	dt, ok := megatronDTypes[dtype]
	if !ok {
		return nil, configErr("token dtype %q: use int32 or uint16", dtype)
	}
	if c.name == nil {
		c.name = partName
	}
	if c.maxFileBytes <= 0 {
		c.maxFileBytes = DefaultMaxFileBytes
	}
	if c.out == nil {
		c.out = localDir(c.dir)
	}
	return &megatronWriter{dir: c.out.staging(), out: c.out, name: c.name, uniqueTmp: c.uniqueTmp, dtype: dtype,
		code: dt.code, size: dt.size, max: dt.max, maxFileBytes: c.maxFileBytes}, nil
}

func (w *megatronWriter) written() []FileInfo { return w.files }

// tmpPath is a hidden temp path for the final base name (".part-….tmp",
// the pattern prepareOutput and prepareShard clean up).
func (w *megatronWriter) tmpPath(final string) string {
	name := "." + final
	if w.uniqueTmp {
		var r [6]byte
		rand.Read(r[:])
		name += "." + hex.EncodeToString(r[:])
	}
	return filepath.Join(w.dir, name+".tmp")
}

func (w *megatronWriter) open() error {
	base := w.name(w.next, "")
	tmp := w.tmpPath(base + MegatronBinExt)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("creating output file: %w", err)
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	w.cur = &megatronFile{f: f, buf: buf, cw: &countingWriter{w: buf, h: sha256.New()}, tmp: tmp,
		base: base, docIndex: []int64{0}}
	w.next++
	return nil
}

// append writes a successful text row as one document; other rows are
// not written. A document of zero tokens has no sequence (its document
// index repeats), as in Megatron's preprocess_data.py.
func (w *megatronWriter) append(r *row) error {
	if w.finished {
		return fmt.Errorf("megatron writer is closed")
	}
	if r.err != nil || r.modality != ModText {
		return nil
	}
	ids := r.p.InputIDs
	n := int64(len(ids)) * int64(w.size)
	if w.cur != nil && len(w.cur.docIndex) > 1 && w.cur.cw.n+n > w.maxFileBytes {
		if err := w.finish(); err != nil {
			return err
		}
	}
	if w.cur == nil {
		if err := w.open(); err != nil {
			return err
		}
	}
	p := w.cur
	if len(ids) > 0 {
		if cap(p.scratch) < int(n) {
			p.scratch = make([]byte, n)
		}
		b := p.scratch[:n]
		for i, id := range ids {
			if id < 0 || int64(id) > w.max {
				return fmt.Errorf("token id %d of %s does not fit the %s token dtype; use --token-dtype int32", id, r.source, w.dtype)
			}
			if w.size == 2 {
				binary.LittleEndian.PutUint16(b[2*i:], uint16(id))
			} else {
				binary.LittleEndian.PutUint32(b[4*i:], uint32(id))
			}
		}
		if _, err := p.cw.Write(b); err != nil {
			return fmt.Errorf("writing %s: %w", p.tmp, err)
		}
		p.lengths = append(p.lengths, int32(len(ids)))
	}
	p.docIndex = append(p.docIndex, int64(len(p.lengths)))
	w.docs++
	w.tokens += int64(len(ids))
	return nil
}

// megatronIndex is the .idx content for the given sequence lengths and
// document indices (starting with 0) of a .bin of itemSize-byte ids.
func megatronIndex(code uint8, itemSize int, lengths []int32, docIndex []int64) []byte {
	out := make([]byte, 0, MegatronHeaderBytes+12*len(lengths)+8*len(docIndex))
	out = append(out, MegatronIndexMagic...)
	out = binary.LittleEndian.AppendUint64(out, MegatronIndexVersion)
	out = append(out, code)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(lengths)))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(docIndex)))
	for _, l := range lengths {
		out = binary.LittleEndian.AppendUint32(out, uint32(l))
	}
	var ptr int64
	for _, l := range lengths {
		out = binary.LittleEndian.AppendUint64(out, uint64(ptr))
		ptr += int64(l) * int64(itemSize)
	}
	for _, d := range docIndex {
		out = binary.LittleEndian.AppendUint64(out, uint64(d))
	}
	return out
}

// finish completes the pair in progress: .bin flushed and fsynced, .idx
// written and fsynced, both under temp names; then .bin renamed, .idx
// renamed (the commit point), and the directory fsynced.
func (w *megatronWriter) finish() error {
	p := w.cur
	w.cur = nil
	binFinal, idxFinal := p.base+MegatronBinExt, p.base+MegatronIdxExt
	idxTmp := w.tmpPath(filepath.Base(idxFinal))
	idx := megatronIndex(w.code, w.size, p.lengths, p.docIndex)
	err := p.buf.Flush()
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = writeSynced(idxTmp, idx)
	}
	if err == nil {
		err = w.out.publish(p.tmp, binFinal)
	}
	if err == nil {
		err = w.out.publish(idxTmp, idxFinal) // the commit point
	}
	if err != nil {
		os.Remove(p.tmp)
		os.Remove(idxTmp)
		return fmt.Errorf("finishing %s: %w", idxFinal, err)
	}
	docs := int64(len(p.docIndex) - 1)
	ih := sha256.Sum256(idx)
	w.files = append(w.files,
		FileInfo{Name: filepath.Base(binFinal), Rows: docs, Bytes: p.cw.n, SHA256: hex.EncodeToString(p.cw.h.Sum(nil))},
		FileInfo{Name: filepath.Base(idxFinal), Rows: docs, Bytes: int64(len(idx)), SHA256: hex.EncodeToString(ih[:])})
	return nil
}

// writeSynced creates path with data and fsyncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// close finishes the last pair. A job without documents still writes one
// (empty) pair, so every run and every shard has a dataset to point at.
func (w *megatronWriter) close() error {
	if w.finished {
		return nil
	}
	w.finished = true
	if w.cur == nil && len(w.files) == 0 {
		if err := w.open(); err != nil {
			return err
		}
	}
	if w.cur != nil {
		return w.finish()
	}
	return nil
}

// abort drops the pair in progress; renamed pairs stay (they are complete).
func (w *megatronWriter) abort() {
	if w.finished {
		return
	}
	w.finished = true
	if w.cur != nil {
		w.cur.f.Close()
		os.Remove(w.cur.tmp)
		w.cur = nil
	}
}
