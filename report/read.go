package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tokenfab/tokenfab/pipeline"
)

// Output is what Discover found in a tokenfab output directory.
type Output struct {
	Dir string
	// Files are the part files in row order: the manifest.json order for a
	// finalized sharded run, otherwise sorted by name (which is row order
	// for part-NNNNN and part-IIIII-of-NNNNN-SSSS alike).
	Files []string
	// Summaries are the job summaries found: _SUMMARY.json of an unsharded
	// run, or one _SUMMARY-IIIII-of-NNNNN.json per shard.
	Summaries []*pipeline.Summary
	// Manifest is manifest.json of a finalized sharded run, nil otherwise.
	Manifest *pipeline.Manifest
	// DoneShards counts the _done/part-*.json markers (sharded runs).
	DoneShards int
	// NumShards is N of a sharded run (from _done/_config.json or a shard
	// summary), 0 for an unsharded one; MissingShards are the shards with
	// no marker (not run, or not finished); Success is whether _SUCCESS
	// (written last by finalize) exists.
	NumShards     int
	MissingShards []int
	Success       bool
}

// Incomplete says, in one sentence, why the output is not a finished job
// (shards missing, not finalized, a stopped or crashed run), or "" when
// it is one. The report still covers the rows that are there.
func (o *Output) Incomplete() string {
	if o.NumShards > 0 {
		var why []string
		if len(o.MissingShards) > 0 {
			ids := make([]string, len(o.MissingShards))
			for i, s := range o.MissingShards {
				ids[i] = fmt.Sprint(s)
			}
			why = append(why, fmt.Sprintf("shard(s) %s of %d not done", strings.Join(ids, ", "), o.NumShards))
		}
		if !o.Success {
			why = append(why, "not finalized (no _SUCCESS)")
		}
		if len(why) == 0 {
			return ""
		}
		next := "run tokenize finalize"
		if len(o.MissingShards) > 0 {
			next = "run the missing shards, then tokenize finalize"
		}
		return fmt.Sprintf("INCOMPLETE sharded job: %s; the report covers only the rows written so far (%s)", strings.Join(why, "; "), next)
	}
	if len(o.Summaries) == 0 {
		return "INCOMPLETE job: no " + pipeline.SummaryName + " (the run crashed or is still running); the report covers only the part files there"
	}
	if s := o.Summaries[0]; !s.Completed {
		return "INCOMPLETE job: the run stopped (" + s.Stopped + "); the report covers only the rows written"
	}
	return ""
}

// isPart reports whether name is a tokenfab part file (Arrow IPC file or
// stream; temp files start with a dot and are not parts).
func isPart(name string) bool {
	return strings.HasPrefix(name, "part-") && (strings.HasSuffix(name, ".arrow") || strings.HasSuffix(name, ".arrows"))
}

// Discover lists the part files and summaries of an output directory
// written by `tokenize run` (unsharded or sharded, finalized or not, IPC
// file or stream format).
func Discover(dir string) (*Output, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	o := &Output{Dir: dir}
	var summaryNames []string
	for _, e := range ents {
		n := e.Name()
		switch {
		case e.Type().IsRegular() && isPart(n):
			o.Files = append(o.Files, filepath.Join(dir, n))
		case n == pipeline.SummaryName || (strings.HasPrefix(n, "_SUMMARY-") && strings.HasSuffix(n, ".json")):
			summaryNames = append(summaryNames, n)
		}
	}
	sort.Strings(o.Files)
	sort.Strings(summaryNames)
	for _, n := range summaryNames {
		var s pipeline.Summary
		if err := readJSON(filepath.Join(dir, n), &s); err != nil {
			return nil, err
		}
		o.Summaries = append(o.Summaries, &s)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
		var m pipeline.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "manifest.json"), err)
		}
		o.Manifest = &m
		o.Files = o.Files[:0]
		for _, f := range m.Files {
			o.Files = append(o.Files, filepath.Join(dir, f.Name))
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if done, err := os.ReadDir(filepath.Join(dir, "_done")); err == nil {
		for _, e := range done {
			if strings.HasPrefix(e.Name(), "part-") && strings.HasSuffix(e.Name(), ".json") {
				o.DoneShards++
			}
		}
	}
	if len(o.Files) == 0 {
		for _, e := range ents { // say so when it is tokenfab output of a format report does not read
			n := e.Name()
			switch {
			case strings.HasPrefix(n, "part-") && (strings.HasSuffix(n, ".bin") || strings.HasSuffix(n, ".idx")):
				return nil, notReportable("%s holds Megatron-LM .bin/.idx output (--format megatron), which tokenize report does not support: it reads Arrow output (--format arrow or arrow-stream); the totals are in %s (or the shards' summaries)", dir, pipeline.SummaryName)
			case strings.HasPrefix(n, "part-") && strings.HasSuffix(n, ".parquet"):
				return nil, notReportable("%s holds Parquet output (--format parquet), which tokenize report does not support: it reads Arrow output (--format arrow or arrow-stream)", dir)
			}
		}
		return nil, notReportable("%s holds no part-*.arrow or part-*.arrows files: is it the -o directory of `tokenize run`?", dir)
	}
	o.shardState(dir)
	return o, nil
}

// ErrNotReportable is matched (errors.Is) by Discover's errors for a
// directory that holds no Arrow output: wrong input, not an I/O failure.
var ErrNotReportable = errors.New("not an Arrow output directory")

type notReportableError struct{ msg string }

func (e *notReportableError) Error() string        { return e.msg }
func (e *notReportableError) Is(target error) bool { return target == ErrNotReportable }

func notReportable(format string, args ...any) error {
	return &notReportableError{fmt.Sprintf(format, args...)}
}

// shardState fills NumShards, MissingShards and Success.
func (o *Output) shardState(dir string) {
	_, err := os.Stat(filepath.Join(dir, pipeline.SuccessName))
	o.Success = err == nil
	var cfg struct {
		NumShards int `json:"num_shards"`
	}
	if readJSON(filepath.Join(dir, pipeline.DoneDir, pipeline.JobConfigName), &cfg) == nil {
		o.NumShards = cfg.NumShards
	}
	for _, s := range o.Summaries {
		if s.Shard != nil && o.NumShards == 0 {
			o.NumShards = s.Shard.Count
		}
	}
	for i := 0; i < o.NumShards; i++ {
		if _, err := os.Stat(filepath.Join(dir, pipeline.DoneDir, fmt.Sprintf("part-%05d.json", i))); err != nil {
			o.MissingShards = append(o.MissingShards, i)
		}
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

var arrowFileMagic = []byte("ARROW1")

// ReadBatches calls fn with the schema and every record batch of an Arrow
// IPC file or stream (detected from the first bytes, as `tokenize inspect`
// does). The batch is valid only during the call.
func ReadBatches(path string, fn func(schema *arrow.Schema, rec arrow.RecordBatch) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	magic := make([]byte, len(arrowFileMagic))
	n, _ := io.ReadFull(f, magic)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	mem := memory.NewGoAllocator()
	if bytes.Equal(magic[:n], arrowFileMagic) {
		fr, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			return fmt.Errorf("%s is not a readable Arrow IPC file: %w", path, err)
		}
		defer fr.Close()
		for i := 0; i < fr.NumRecords(); i++ {
			rec, err := fr.RecordBatch(i)
			if err != nil {
				return fmt.Errorf("%s: batch %d: %w", path, i, err)
			}
			if err := fn(fr.Schema(), rec); err != nil {
				return err
			}
		}
		return nil
	}
	sr, err := ipc.NewReader(f, ipc.WithAllocator(mem))
	if err != nil {
		return fmt.Errorf("%s is neither an Arrow IPC file nor a stream: %w", path, err)
	}
	defer sr.Release()
	for sr.Next() {
		if err := fn(sr.Schema(), sr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := sr.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Meta is the parsed `tokenfab` schema metadata: each tokenizer's
// description by modality ("text", "image", "audio", "video").
type Meta struct {
	Tokenizers map[string]map[string]any `json:"tokenizers"`
	// Options are the job's options (pack_length, pack_pad_id, format, ...).
	Options map[string]any `json:"options"`
}

// ParseMeta parses the schema's `tokenfab` metadata (an empty Meta when
// it has none).
func ParseMeta(schema *arrow.Schema) (*Meta, error) {
	m := &Meta{}
	md := schema.Metadata()
	i := md.FindKey("tokenfab")
	if i < 0 {
		return m, nil
	}
	if err := json.Unmarshal([]byte(md.Values()[i]), m); err != nil {
		return nil, fmt.Errorf("tokenfab metadata: %w", err)
	}
	return m, nil
}

// num reads a number field of a tokenizer description.
func num(d map[string]any, key string) (int, bool) {
	v, ok := d[key].(float64)
	return int(v), ok
}

// str reads a string field of a tokenizer description.
func str(d map[string]any, key string) string {
	s, _ := d[key].(string)
	return s
}
