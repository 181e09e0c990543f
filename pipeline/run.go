package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Options configure one job. The zero value of every field but Inputs,
// OutputDir and Modalities is a usable default.
type Options struct {
	// Inputs are files and directories, processed in this order.
	Inputs []string
	// OutputDir receives part-NNNNN.arrow[s] and _SUMMARY.json; it is
	// created if missing.
	OutputDir string
	// Overwrite allows replacing part files and a summary already in
	// OutputDir; without it Run refuses (ConfigError) before reading input.
	Overwrite bool
	// Modalities are the registered tokenizers, at most one per Name().
	// Segments of other modalities become no_tokenizer error rows.
	Modalities []Modality
	// TextField and IDField name the manifest fields (default "text", "id").
	TextField, IDField string
	// ImageField, if set, names a manifest field holding an image path,
	// relative to the manifest's directory (which it cannot leave: it is
	// opened through os.Root). A line with text and an image gives two
	// rows with the same id: the text (segment 0), then the image.
	ImageField string
	// AudioField, if set, names a manifest field holding an audio file
	// path, with the same rule as ImageField; its row comes after the
	// line's text and image rows.
	AudioField string
	// VideoField and VideoAudio: video records (pipeline/video.go).
	// VideoField names a manifest field holding a video path, with the
	// rule of ImageField; its row comes after the line's text, image and
	// audio rows. VideoAudio gives every video segment a second row with
	// the same id, modality audio: its first audio stream, tokenized by the
	// audio modality, which must be NewVideoAudio's.
	VideoField string
	VideoAudio bool
	// GIFAsVideo: animated GIF files (two or more frames) and animated
	// WebP files are video records, tokenized by the video modality (which
	// must be registered) instead of the image one; still GIFs and WebPs
	// stay images. Only files found in the inputs: a manifest's image field
	// is always an image.
	GIFAsVideo bool
	// Format and Compression of the part files (default arrow, none).
	Format      Format
	Compression Compression
	// Workers is the number of tokenizing goroutines (default GOMAXPROCS).
	// It never changes the output bytes.
	Workers int
	// BatchBytes is the record batch flush target in bytes (default 32 MiB,
	// at most MaxBatchBytes); BatchRows caps rows per batch (default 65536).
	BatchBytes int64
	BatchRows  int
	// MaxFileBytes is the part file roll-over size (default 1 GiB). A file
	// exceeds it only when one batch alone is larger.
	MaxFileBytes int64
	// MaxRecordBytes caps one record's input (a file, a manifest line);
	// larger ones become too_large rows (default 64 MiB).
	MaxRecordBytes int64
	// InFlightBytes bounds the bytes held between reading and writing: the
	// input of records not yet written plus the tokenized rows waiting for
	// their turn (default 64 MiB). A record larger than that still passes,
	// alone; tokenized rows can overshoot it by at most one record per
	// worker, because a worker only starts while the budget has room (or
	// its record is the next one to be written).
	InFlightBytes int64
	// LimitErrors enables MaxErrors: once more than MaxErrors rows have
	// failed the job stops (after writing that row), leaving valid files,
	// and Run returns an error wrapping ErrStopped.
	LimitErrors bool
	MaxErrors   int64
	// JobOptions are extra settings recorded under "options" in the
	// tokenfab metadata (e.g. the CLI's flags). They must be deterministic.
	JobOptions map[string]any
	// NumShards > 0 makes this run shard ShardIndex (0-based) of a job of
	// NumShards shards (docs/batch.md): it writes only its share of the
	// input files, as part-IIIII-of-NNNNN-SSSS files, then the marker
	// _done/part-IIIII.json; a rerun skips a shard whose marker validates
	// and redoes the others. 0 (the default) is an unsharded job writing
	// part-NNNNN files. Overwrite does not apply to sharded runs.
	NumShards, ShardIndex int
	// PackLength > 0 writes packed sequences for LLM pretraining instead of
	// one row per segment: the input_ids of successful text rows, in order,
	// cut into rows of exactly PackLength tokens (input_ids
	// fixed_size_list<TokenDType, PackLength>, plus length); the remainder
	// is a last row padded with PackPadID whose length says how many ids
	// are real. Other rows only count in the summary.
	PackLength int
	// TokenDType of packed ids: int32 (default) or uint16 (refused when the
	// vocabulary does not fit).
	TokenDType string
	// Allocator for Arrow buffers (default memory.NewGoAllocator()).
	Allocator memory.Allocator
	// Progress, if set, is called from one goroutine after every record.
	Progress func(Progress)
}

// Progress is a running count, for progress bars.
type Progress struct {
	// Records, Rows, Errors (error rows) and Tokens written so far.
	Records, Rows, Errors, Tokens int64
	// BytesIn of TotalBytes (the sum of the input file sizes) read so far.
	BytesIn, TotalBytes int64
}

const (
	defaultMaxRecord = 64 << 20
	defaultInFlight  = 64 << 20
)

// Run executes a job: it scans the inputs, tokenizes every segment with the
// registered modalities on a bounded worker pool, writes rows in input order
// and writes the summary. Per-record failures are rows, not errors. Run
// returns a *ConfigError before writing anything when the options or inputs
// are wrong, an error wrapping ErrStopped past MaxErrors, ctx.Err() when
// cancelled, and I/O errors from writing; in each case the files already
// written stay valid and the summary (if it could be written) says why.
func Run(ctx context.Context, opts Options) (*Summary, error) {
	start := time.Now()
	o, mods, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := o.resolveURLs(); err != nil { // object storage: pipeline/blob.go
		return nil, err
	}
	absOut, _ := filepath.Abs(o.OutputDir)
	if IsURL(o.OutputDir) {
		absOut = o.OutputDir
	}
	if err := outputNotInput(o.Inputs, o.OutputDir); err != nil {
		return nil, err
	}
	set, err := scanInputs(o.Inputs, absOut)
	if err != nil {
		return nil, err
	}
	defer set.close()
	describe := map[string]any{}
	for name, m := range mods {
		describe[name] = m.Describe()
	}
	jobOpts := map[string]any{"text_field": o.TextField, "id_field": o.IDField,
		"format": string(o.Format), "compression": string(o.Compression)}
	if o.ImageField != "" {
		jobOpts["image_field"] = o.ImageField
	}
	if o.AudioField != "" {
		jobOpts["audio_field"] = o.AudioField
	}
	for k, v := range o.JobOptions {
		jobOpts[k] = v
	}
	lay := newLayout(mods)
	wlay := lay // what the files hold
	var packMax int64
	if o.PackLength > 0 {
		if packMax, err = packConfig(o, mods); err != nil {
			return nil, err
		}
		jobOpts["pack_length"], jobOpts["token_dtype"], jobOpts["pack_pad_id"] = o.PackLength, o.TokenDType, PackPadID
		wlay = packLayout(o.PackLength, o.TokenDType)
	}
	if o.Format == FormatMegatron { // pipeline/megatron.go
		if o.TokenDType, err = megatronConfig(o, mods); err != nil {
			return nil, err
		}
		jobOpts["token_dtype"] = o.TokenDType
	}
	schema, err := wlay.schema(describe, jobOpts)
	if err != nil {
		return nil, configErr("%v", err)
	}
	wc := writerConfig{dir: o.OutputDir, format: o.Format, compression: o.Compression,
		mem: o.Allocator, schema: schema, lay: wlay, batchBytes: o.BatchBytes, batchRows: o.BatchRows, maxFileBytes: o.MaxFileBytes}
	summaryName := SummaryName
	var shard *ShardInfo
	od, err := openOutDir(o.OutputDir) // a local directory or a bucket prefix
	if err != nil {
		return nil, err
	}
	defer od.close()
	wc.out = od
	lock, err := lockRun(o) // pipeline/lock.go: one writer per output (per shard)
	if err != nil {
		return nil, err
	}
	defer lock.release()
	wc.uniqueTmp = true
	if o.NumShards > 0 {
		var done *Marker
		shard, done, err = planShard(o, od, schema, set)
		if err != nil {
			return nil, err
		}
		if done != nil {
			return doneSummary(o, shard, done), nil
		}
		wc.name = shardPartName(o.ShardIndex, o.NumShards)
		summaryName = shardSummaryName(o.ShardIndex, o.NumShards)
	} else if err := prepareOutput(od, o.Overwrite); err != nil {
		return nil, err
	}
	var pw *partWriter
	var out outputWriter
	if o.Format == FormatMegatron {
		out, err = newMegatronWriter(wc, o.TokenDType)
	} else if pw, err = newPartWriter(wc); err == nil {
		out = pw
	}
	if err != nil {
		return nil, err
	}

	sum := newSummary(o.Inputs, o.OutputDir)
	sum.Workers = o.Workers
	sum.Shard = shard
	rd := &reader{textField: o.TextField, idField: o.IDField, imageField: o.ImageField, audioField: o.AudioField, maxRecord: o.MaxRecordBytes,
		needsData: func(m string) bool { return mods[m] != nil }, skipped: map[string]int64{}}
	rd.videoField, rd.videoAudio, rd.gifAsVideo = o.VideoField, o.VideoAudio, o.GIFAsVideo // pipeline/video.go
	defer rd.close()
	var sink rowSink = out
	pk := &packer{w: pw, l: o.PackLength, max: packMax}
	if o.PackLength > 0 {
		sink = pk
	}
	stopped, werr := execute(ctx, o, mods, lay, set, rd, sink, sum)
	if werr == nil && o.PackLength > 0 {
		werr = pk.finish()
	}
	if werr != nil {
		out.abort()
	} else if cerr := out.close(); cerr != nil {
		werr = cerr
	}
	if werr != nil && stopped == "" {
		stopped = "write error: " + werr.Error()
	}
	for k, v := range set.skipped {
		sum.Skipped[k] += v
	}
	for k, v := range rd.skipped {
		sum.Skipped[k] += v
	}
	sum.Stopped = stopped
	sum.Completed = stopped == ""
	if mw, ok := out.(*megatronWriter); ok {
		sum.Documents, sum.DocumentTokens = mw.docs, mw.tokens
	}
	sum.finish(time.Since(start).Seconds(), out.written())
	data, err := sum.marshal()
	if err == nil {
		err = od.writeAtomic(summaryName, data)
	}
	if err == nil && werr == nil && sum.Completed && shard != nil {
		err = writeMarker(od, shard.marker(sum)) // last: the shard is done
	}
	switch {
	case werr != nil:
		return sum, werr
	case err != nil:
		return sum, err
	case ctx.Err() != nil:
		next := "the output is incomplete: rerun with --overwrite to redo the job (an unsharded run does not resume; with --num-shards N a rerun redoes only the shards not done, docs/batch.md)"
		if shard != nil {
			next = fmt.Sprintf("shard %d is not done: rerun the same command to redo it (finished shards are kept)", shard.Index)
		}
		return sum, &interruptedError{fmt.Sprintf("interrupted (SIGINT/SIGTERM) after %d records; the %s written %s complete, but %s",
			sum.Records, countNoun(len(sum.Files), "file"), map[bool]string{true: "is", false: "are"}[len(sum.Files) == 1], next), ctx.Err()}
	case stopped != "":
		return sum, fmt.Errorf("%w: %s", ErrStopped, stopped)
	}
	return sum, nil
}

func (o Options) withDefaults() (Options, map[string]Modality, error) {
	if o.OutputDir == "" {
		return o, nil, configErr("no output directory: pass -o DIR")
	}
	mods := map[string]Modality{}
	for _, m := range o.Modalities {
		if m == nil {
			return o, nil, configErr("nil modality in Options.Modalities")
		}
		if _, dup := mods[m.Name()]; dup {
			return o, nil, configErr("two tokenizers registered for modality %q", m.Name())
		}
		mods[m.Name()] = m
	}
	def := func(p *int64, v int64) {
		if *p <= 0 {
			*p = v
		}
	}
	switch {
	case o.NumShards < 0:
		return o, nil, configErr("--num-shards %d: want 1 or more (0: an unsharded job)", o.NumShards)
	case o.NumShards > 0 && (o.ShardIndex < 0 || o.ShardIndex >= o.NumShards):
		return o, nil, configErr("shard index %d is out of range for %d shards: want 0 to %d", o.ShardIndex, o.NumShards, o.NumShards-1)
	case o.NumShards > 0 && o.Overwrite:
		return o, nil, configErr("--overwrite does not apply to sharded runs: a rerun resumes (finished shards are kept, the others redone); to start over use a new -o or delete it")
	}
	if o.PackLength < 0 {
		return o, nil, configErr("--pack %d: want a sequence length of 1 or more", o.PackLength)
	}
	if o.PackLength > 0 && o.Format == FormatMegatron { // before the token dtype checks, which would misname the problem
		return o, nil, configErr("--pack does not apply to --format megatron: Megatron packs documents into --seq-length samples itself")
	}
	if o.TokenDType != "" && o.TokenDType != TokenInt32 && o.TokenDType != TokenUint16 { // name the bad value before where it applies
		return o, nil, configErr("--token-dtype %q: want int32 or uint16 (with --pack L or --format megatron)", o.TokenDType)
	}
	if o.TokenDType == "" && o.Format != FormatMegatron { // megatron: chosen by megatronConfig
		o.TokenDType = TokenInt32
	} else if o.PackLength == 0 && o.Format != FormatMegatron {
		return o, nil, configErr("--token-dtype applies to packed output (--pack L) and --format megatron only")
	}
	if o.TextField == "" {
		o.TextField = "text"
	}
	if o.IDField == "" {
		o.IDField = "id"
	}
	if o.ImageField != "" && (o.ImageField == o.TextField || o.ImageField == o.IDField) {
		return o, nil, configErr("the image field %q is also the text or id field; pick another --image-field", o.ImageField)
	}
	if o.AudioField != "" && (o.AudioField == o.TextField || o.AudioField == o.IDField || o.AudioField == o.ImageField) {
		return o, nil, configErr("the audio field %q is also the text, id or image field; pick another --audio-field", o.AudioField)
	}
	if err := o.checkVideo(mods); err != nil { // pipeline/video.go
		return o, nil, err
	}
	if msg := columnClash(mods); msg != "" {
		return o, nil, configErr("%s", msg)
	}
	if o.Format == "" {
		o.Format = FormatArrow
	}
	if o.Compression == "" {
		o.Compression = CompressNone
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	def(&o.BatchBytes, DefaultBatchBytes)
	def(&o.MaxFileBytes, DefaultMaxFileBytes)
	def(&o.MaxRecordBytes, defaultMaxRecord)
	def(&o.InFlightBytes, defaultInFlight)
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.Allocator == nil {
		o.Allocator = memory.NewGoAllocator()
	}
	return o, mods, nil
}

// outputNotInput refuses an output directory that is an input or holds
// one: the run would read its own output files as data (and --overwrite
// would delete inputs). An output directory inside an input is fine: the
// walk skips it. Paths are compared after resolving symlinks.
func outputNotInput(inputs []string, out string) error {
	if IsURL(out) {
		return outputNotInputURL(inputs, out) // pipeline/blob.go
	}
	resolve := func(p string) string {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		a, _ := filepath.Abs(p)
		return a
	}
	absOut := resolve(out)
	for _, in := range inputs {
		a := resolve(in)
		switch {
		case a == absOut:
			return configErr("-o %s is also an input: the run would read its own output files as data; write to another directory (a new subdirectory of the input is fine: it is skipped)", out)
		case strings.HasPrefix(a, absOut+string(filepath.Separator)):
			return configErr("input %s is inside the output directory -o %s: the run would mix its output with its input (and --overwrite could delete it); choose an -o that does not contain the inputs", in, out)
		}
	}
	return nil
}

// prepareOutput creates dir and makes sure no earlier job's files would be
// mixed with this one's.
// countNoun is "1 file", "3 files".
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// interruptedError says what an interrupted job left (its message) and
// unwraps to the context's error (exit 130).
type interruptedError struct {
	msg string
	err error
}

func (e *interruptedError) Error() string { return e.msg }
func (e *interruptedError) Unwrap() error { return e.err }

func prepareOutput(dir outDir, overwrite bool) error {
	if err := dir.mkdirs(false); err != nil {
		return err
	}
	ents, err := dir.list("")
	if err != nil {
		return err
	}
	var old []string
	for _, name := range ents {
		if strings.HasPrefix(name, ".part-") && strings.HasSuffix(name, ".tmp") {
			dir.remove(name) // a crashed run's temp file: never a result
			continue
		}
		if isOutputName(name) {
			old = append(old, name)
		}
	}
	if len(old) == 0 {
		return nil
	}
	sort.Strings(old)
	if !overwrite {
		// Say what the old job was: a stopped one is not a result to keep.
		var prev struct {
			Completed bool   `json:"completed"`
			Stopped   string `json:"stopped"`
		}
		data, rerr := dir.readFile(SummaryName)
		switch {
		case rerr == nil && json.Unmarshal(data, &prev) == nil && !prev.Completed:
			return configErr("output directory %s holds an incomplete job (%s: stopped: %s; %d output files, the summary included); pass --overwrite to redo it from the start (an unsharded run does not resume) or choose another -o",
				dir, SummaryName, prev.Stopped, len(old))
		case errors.Is(rerr, os.ErrNotExist) && slices.ContainsFunc(old, func(n string) bool { return n != SummaryName }):
			files := fmt.Sprintf("%d output files (%s…)", len(old), old[0])
			if len(old) == 1 {
				files = "the output file " + old[0]
			}
			return configErr("output directory %s holds %s but no %s: a job that crashed, or is still running; pass --overwrite to redo it or choose another -o",
				dir, files, SummaryName)
		}
		if len(old) == 1 {
			return configErr("output directory %s already holds the output file %s; pass --overwrite to replace it or choose another -o", dir, old[0])
		}
		return configErr("output directory %s already holds %d output files (%s…); pass --overwrite to replace them or choose another -o",
			dir, len(old), old[0])
	}
	// A finalized (or sharded) job's flags go first, _SUCCESS before
	// anything it vouches for: a crash half-way through the overwrite must
	// never leave a directory that claims to be complete.
	var flags []string
	for _, name := range []string{SuccessName, ManifestName, hfStateName, hfInfoName} {
		if slices.Contains(ents, name) {
			flags = append(flags, name)
		}
	}
	for _, name := range ents {
		if isShardSummaryName(name) {
			flags = append(flags, name)
		}
	}
	done, err := dir.list(DoneDir)
	if err != nil {
		return err
	}
	for _, name := range done {
		if !strings.HasPrefix(name, ".") { // another process's shard lock is not ours to remove
			flags = append(flags, DoneDir+"/"+name)
		}
	}
	for _, name := range append(flags, old...) {
		if err := dir.remove(name); err != nil {
			return configErr("removing old output %s: %v", name, err)
		}
	}
	return nil
}

// job is one record on its way through the pool. done is closed when rows
// are ready; the writer waits on jobs in input order.
type job struct {
	rec  *record
	seq  int64 // position in the output order
	rows []row
	// charged is what the tokenized rows (and any file read while parsing
	// a manifest line) hold against the in-flight budget until written.
	charged int64
	done    chan struct{}
}

// execute runs the source, the workers and the ordered writer loop. It
// returns why the job stopped early ("" if it did not) and any write error.
func execute(parent context.Context, o Options, mods map[string]Modality, lay *layout, set *inputSet, rd *reader,
	pw rowSink, sum *Summary) (stopped string, werr error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	budget := newBudget(o.InFlightBytes)
	// order bounds the records in flight; its FIFO order is the output order.
	order := make(chan *job, 256*o.Workers+256)
	work := make(chan *job, o.Workers)
	var wg sync.WaitGroup

	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(order)
		defer close(work)
		var seq int64
		emit := func(rec *record) error {
			if err := budget.acquire(ctx, rec.held); err != nil {
				return err
			}
			j := &job{rec: rec, seq: seq, done: make(chan struct{})}
			seq++
			select {
			case order <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			if !rec.needsWork() {
				j.rows, j.charged = route(ctx, rec, mods, lay)
				budget.charge(j.charged)
				close(j.done)
				return nil
			}
			select {
			case work <- j:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		for i := range set.entries {
			if rd.entry(ctx, &set.entries[i], emit) != nil {
				return
			}
		}
	}()
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				// Wait for room unless this is the record the writer
				// needs next (which keeps the pipeline moving).
				if budget.admit(ctx, j.seq) == nil {
					j.rows, j.charged = route(ctx, j.rec, mods, lay)
					budget.charge(j.charged)
				}
				close(j.done)
			}
		}()
	}
	defer wg.Wait() // after cancel (deferred first, runs last): no goroutine outlives Run

	prog := Progress{TotalBytes: set.bytes}
	for j := range order {
		budget.setHead(j.seq)
		select {
		case <-j.done:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			// A job finished under cancellation may hold context errors
			// instead of tokens; it is not written.
			break
		}
		var last *row
		for i := range j.rows {
			r := &j.rows[i]
			if err := pw.append(r); err != nil {
				return "", err
			}
			sum.add(r)
			if r.err != nil {
				last = r
			}
		}
		for k, v := range j.rec.skipped {
			sum.Skipped[k] += v
		}
		sum.Records++
		sum.BytesIn += j.rec.in
		budget.release(j.rec.held)
		budget.refund(j.charged)
		if o.Progress != nil {
			prog.Records, prog.Rows, prog.Errors, prog.Tokens, prog.BytesIn = sum.Records, sum.Rows, sum.Errors.Total, sum.Tokens, sum.BytesIn
			o.Progress(prog)
		}
		if o.LimitErrors && last != nil && sum.Errors.Total > o.MaxErrors {
			return fmt.Sprintf("more than %d error rows (max errors %d); the last, at %s, was %s",
				o.MaxErrors, o.MaxErrors, last.source, last.err), nil
		}
	}
	if parent.Err() != nil {
		return "interrupted (SIGINT/SIGTERM, or the caller cancelled) before every input was read", nil
	}
	return "", nil
}

// needsWork reports whether the record must go to a worker: a manifest
// line to parse, or a segment to tokenize.
func (rec *record) needsWork() bool {
	if rec.line != nil {
		return true
	}
	for i := range rec.segs {
		if rec.segs[i].err == nil {
			return true
		}
	}
	return false
}

// route tokenizes each segment of a record with its modality and returns
// one row per segment, and the bytes the rows (plus any file read for the
// record) hold until they are written. It never fails: failures are row
// errors.
func route(ctx context.Context, rec *record, mods map[string]Modality, lay *layout) ([]row, int64) {
	if rec.line != nil {
		rec.parser.parseLine(rec)
	}
	held := rec.files // files named by a manifest line (images), read by parseLine
	rows := make([]row, len(rec.segs))
	for i := range rec.segs {
		s := &rec.segs[i]
		r := row{id: rec.id, source: rec.source, field: s.field, modality: s.modality, segment: int32(i), err: s.err}
		if r.err == nil {
			if m := mods[s.modality]; m == nil {
				r.err = noTokenizer(s.modality)
			} else if s.frames != nil {
				r.p, r.err = tokenizeFrames(ctx, m, s.frames)
			} else {
				r.p, r.err = tokenize(ctx, m, s.data)
			}
		}
		if r.err == nil {
			r.err = lay.check(&r.p)
		}
		if r.err == nil {
			if n := lay.rowBytes(&r); n > MaxBatchBytes {
				r.err = rowErr(KindTooLarge, "the row would take %d bytes, over the %d MiB record batch limit; split the input, or for images lower --max-pixels or use --patch-dtype uint8, for audio lower --max-duration", n, MaxBatchBytes>>20)
			}
		}
		if r.err != nil {
			r.p = Payload{}
		}
		s.data, s.frames = nil, nil // the input is no longer needed
		rows[i] = r
		held += lay.rowBytes(&r)
	}
	return rows, held
}

// tokenize calls a modality, turning errors and panics into row errors so
// that no input can end the job.
func tokenize(ctx context.Context, m Modality, data []byte) (p Payload, rerr *RowError) {
	if len(data) == 0 && m.Name() != ModText {
		// An empty text is a document of 0 tokens; an empty image is not.
		return Payload{}, rowErr(KindTokenize, "empty %s file (0 bytes): the file is damaged or was cut short", m.Name())
	}
	return guard(m, func() (Payload, error) { return m.Tokenize(ctx, data) })
}

// tokenizeFrames is tokenize for a frame directory: only a modality that
// reads them (the video one) can.
func tokenizeFrames(ctx context.Context, m Modality, fd *frameDir) (Payload, *RowError) {
	ft, ok := m.(frameTokenizer)
	if !ok {
		return Payload{}, rowErr(KindNoTokenizer, "the %s tokenizer does not read frame directories", m.Name())
	}
	return guard(m, func() (Payload, error) { return ft.tokenizeFrames(ctx, fd) })
}

// guard runs one tokenizer call, turning its error into a row error and
// a panic into an "internal" one.
func guard(m Modality, call func() (Payload, error)) (p Payload, rerr *RowError) {
	defer func() {
		if v := recover(); v != nil {
			p, rerr = Payload{}, rowErr(KindInternal, "%s tokenizer panicked: %v (a bug; please report it with this input)", m.Name(), v)
		}
	}()
	p, err := call()
	if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			return Payload{}, re
		}
		return Payload{}, rowErr(KindTokenize, "%v", err)
	}
	if p.NumTokens < 0 || p.NumTokens > 1<<31-1 {
		return Payload{}, rowErr(KindTooLarge, "%d tokens do not fit the int32 num_tokens column", p.NumTokens)
	}
	return p, nil
}

// budget bounds the bytes held in flight: records' input from when the
// reader takes them until they are written, and tokenized rows from when a
// worker makes them until they are written. Input is acquired (blocking);
// rows are charged after the fact (their size is only known then), which
// may overdraw the budget; while it is overdrawn, readers and workers wait,
// except the worker holding the record the writer waits for (head), so the
// pipeline never deadlocks.
type budget struct {
	mu    sync.Mutex
	free  int64
	total int64
	head  int64         // seq of the job the writer is waiting for
	wake  chan struct{} // closed and replaced on every change
}

func newBudget(total int64) *budget {
	return &budget{free: total, total: total, wake: make(chan struct{})}
}

// wait blocks until ok() holds (checked under the lock; on success the
// lock is still held and the caller must unlock) or ctx is done.
func (b *budget) wait(ctx context.Context, ok func() bool) error {
	for {
		b.mu.Lock()
		if ok() {
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// broadcast wakes every waiter; b.mu must be held.
func (b *budget) broadcast() {
	close(b.wake)
	b.wake = make(chan struct{})
}

// acquire takes n bytes (at most the whole budget, so a record larger than
// the budget still passes, alone), waiting until they are free.
func (b *budget) acquire(ctx context.Context, n int64) error {
	n = min(n, b.total)
	if err := b.wait(ctx, func() bool { return b.free >= n }); err != nil {
		return err
	}
	b.free -= n
	b.mu.Unlock()
	return nil
}

// release returns what acquire(n) took.
func (b *budget) release(n int64) {
	n = min(n, b.total)
	b.mu.Lock()
	b.free += n
	b.broadcast()
	b.mu.Unlock()
}

// admit waits until the budget has room, or seq is the head.
func (b *budget) admit(ctx context.Context, seq int64) error {
	if err := b.wait(ctx, func() bool { return b.free > 0 || seq == b.head }); err != nil {
		return err
	}
	b.mu.Unlock()
	return nil
}

// charge takes n bytes without waiting (possibly overdrawing the budget).
func (b *budget) charge(n int64) {
	b.mu.Lock()
	b.free -= n
	b.mu.Unlock()
}

// refund returns what charge(n) took.
func (b *budget) refund(n int64) {
	b.mu.Lock()
	b.free += n
	b.broadcast()
	b.mu.Unlock()
}

// setHead records which job the writer waits for next.
func (b *budget) setHead(seq int64) {
	b.mu.Lock()
	if b.head != seq {
		b.head = seq
		b.broadcast()
	}
	b.mu.Unlock()
}
