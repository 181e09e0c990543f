package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Sharded output layout (docs/batch.md).
const (
	// DoneDir holds the shard completion markers and the job config.
	DoneDir = "_done"
	// JobConfigName (in DoneDir) pins the shard count and config hash of
	// the output directory: every shard and every rerun must match it.
	JobConfigName = "_config.json"
)

// shardPartName is the base name of file seq of shard i of n.
func shardPartName(i, n int) func(seq int, ext string) string {
	return func(seq int, ext string) string { return fmt.Sprintf("part-%05d-of-%05d-%04d%s", i, n, seq, ext) }
}

// markerName is shard i's completion marker, relative to the output dir.
func markerName(i int) string { return fmt.Sprintf("part-%05d.json", i) }

// jobConfig is DoneDir/_config.json.
type jobConfig struct {
	NumShards    int    `json:"num_shards"`
	ConfigHash   string `json:"config_hash"`
	ManifestHash string `json:"manifest_hash"`
	Entries      int    `json:"entries"`
	Format       Format `json:"format"`
	// Settings is the readable form of what the config hash covers (the
	// tokenfab metadata flattened to dotted keys, and the writer's
	// options), so a refusal can name what differs. Absent in configs
	// pinned before it existed: the refusal then gives the hashes only.
	Settings map[string]string `json:"settings,omitempty"`
	// inputs are the manifest's entries, written to InputsName once the
	// config is pinned (not in _config.json: it can be long).
	inputs []inputStamp
}

// InputsName (in DoneDir) lists the pinned job's inputs (source, size,
// mtime), so that a run seeing other inputs can name them.
const InputsName = "_inputs.json"

// inputStamp is what the manifest hash covers of one input.
type inputStamp struct {
	Source  string `json:"source"`
	Size    int64  `json:"size"`
	MTimeNS int64  `json:"mtime_ns"`
}

// Marker is a shard's completion marker, DoneDir/part-NNNNN.json, written
// last: a shard is done exactly when its marker exists and every file it
// lists exists with the listed size and sha256.
type Marker struct {
	Shard        int        `json:"shard"`
	NumShards    int        `json:"num_shards"`
	ConfigHash   string     `json:"config_hash"`
	ManifestHash string     `json:"manifest_hash"`
	Format       Format     `json:"format"`
	Entries      int        `json:"entries"` // input files of this shard
	Records      int64      `json:"records"`
	Rows         int64      `json:"rows"`
	Tokens       int64      `json:"tokens"`
	Errors       int64      `json:"errors"`
	Warnings     int64      `json:"warnings,omitempty"` // rows with a warning (column warning)
	BytesIn      int64      `json:"bytes_in"`
	BytesOut     int64      `json:"bytes_out"`
	Files        []FileInfo `json:"files"`

	// Documents and DocumentTokens of --format megatron (Summary).
	Documents      int64 `json:"documents,omitempty"`
	DocumentTokens int64 `json:"document_tokens,omitempty"`
}

// ShardInfo is the summary's account of a sharded run.
type ShardInfo struct {
	Index        int    `json:"index"`
	Count        int    `json:"count"`
	ConfigHash   string `json:"config_hash"`
	ManifestHash string `json:"manifest_hash"`
	Entries      int    `json:"entries"`
	// AlreadyDone is true when the shard's marker validated and nothing
	// was redone.
	AlreadyDone bool `json:"already_done"`

	format Format
}

// shardOf assigns entries to shards as contiguous ranges of the input
// order, balanced by bytes: entry j goes to the shard holding the midpoint
// of its byte range. Concatenating shards 0..n-1 gives the unsharded order.
func shardOf(entries []entry, n int) []int {
	out := make([]int, len(entries))
	var total int64
	for _, e := range entries {
		total += e.size
	}
	var before int64
	for j, e := range entries {
		if total == 0 {
			out[j] = j * n / max(len(entries), 1)
		} else {
			// (before + size/2) * n / total, in float to avoid overflow.
			out[j] = min(n-1, int((float64(before)+float64(e.size)/2)*float64(n)/float64(total)))
		}
		before += e.size
	}
	return out
}

// manifestStamps hashes the input manifest (every entry's source, size,
// modification time and error, in order, and a frame directory's frame
// names) and returns each entry's inputStamp.
func manifestStamps(entries []entry) (string, []inputStamp) {
	h := sha256.New()
	stamps := make([]inputStamp, 0, len(entries))
	for _, e := range entries {
		var mt int64
		if e.obj != nil {
			mt = e.obj.modTime.UnixNano()
		} else if e.err == nil {
			var info os.FileInfo
			var err error
			if e.root == nil {
				info, err = os.Stat(e.rel)
			} else {
				info, err = e.root.Stat(e.rel)
			}
			if err == nil {
				mt = info.ModTime().UnixNano()
			}
		}
		es := ""
		if e.err != nil {
			es = string(e.err.Kind)
		}
		fmt.Fprintf(h, "%q\t%q\t%d\t%d\t%s\n", e.source, e.id, e.size, mt, es)
		if e.frames != nil { // a frame directory: its frames' names too
			fmt.Fprintf(h, "\t%q\n", e.frames.names)
		}
		stamps = append(stamps, inputStamp{Source: e.source, Size: e.size, MTimeNS: mt})
	}
	return hex.EncodeToString(h.Sum(nil)), stamps
}

// jobSettings is the readable form of configHash's input but the
// manifest: every key of the tokenfab metadata (dotted paths, JSON values)
// and the writer's options.
func jobSettings(schema *arrow.Schema, o Options, n int) map[string]string {
	set := map[string]string{
		"format": string(o.Format), "compression": string(o.Compression), "num_shards": fmt.Sprint(n),
		"batch_bytes": fmt.Sprint(o.BatchBytes), "batch_rows": fmt.Sprint(o.BatchRows),
		"max_file_bytes": fmt.Sprint(o.MaxFileBytes), "max_record_bytes": fmt.Sprint(o.MaxRecordBytes),
	}
	if v, ok := schema.Metadata().GetValue("tokenfab"); ok {
		var m any
		if json.Unmarshal([]byte(v), &m) == nil {
			flatten("", m, set)
		}
	}
	return set
}

// flatten writes the leaves of a JSON value under dotted keys.
func flatten(prefix string, v any, out map[string]string) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, x := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, x, out)
		}
		return
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<|endoftext|>", not "\u003c|endoftext|\u003e"
	enc.Encode(v)
	out[prefix] = strings.TrimSuffix(b.String(), "\n")
}

// maxDiffs is how many differing settings or inputs a refusal names.
const maxDiffs = 5

// settingsDiff names the settings that differ: "key: old -> new".
func settingsDiff(old, now map[string]string) []string {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range now {
		keys[k] = true
	}
	var d []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		o, ok1 := old[k]
		n, ok2 := now[k]
		switch {
		case !ok1:
			d = append(d, fmt.Sprintf("%s: (unset) -> %s", k, n))
		case !ok2:
			d = append(d, fmt.Sprintf("%s: %s -> (unset)", k, o))
		case o != n:
			d = append(d, fmt.Sprintf("%s: %s -> %s", k, o, n))
		}
	}
	return d
}

// inputsDiff names inputs added, removed or changed (size, mtime), in the
// order of the current manifest, then the removed ones.
func inputsDiff(old, now []inputStamp) []string {
	before := make(map[string]inputStamp, len(old))
	for _, s := range old {
		before[s.Source] = s
	}
	var d []string
	seen := map[string]bool{}
	for _, s := range now {
		seen[s.Source] = true
		o, ok := before[s.Source]
		switch {
		case !ok:
			d = append(d, s.Source+" is new")
		case o.Size != s.Size:
			d = append(d, fmt.Sprintf("%s changed size (%d -> %d bytes)", s.Source, o.Size, s.Size))
		case o.MTimeNS != s.MTimeNS:
			d = append(d, fmt.Sprintf("%s changed mtime (%s -> %s)", s.Source,
				time.Unix(0, o.MTimeNS).UTC().Format(time.RFC3339Nano), time.Unix(0, s.MTimeNS).UTC().Format(time.RFC3339Nano)))
		}
	}
	for _, s := range old {
		if !seen[s.Source] {
			d = append(d, s.Source+" is gone")
		}
	}
	return d
}

// firstFew joins the first maxDiffs items and counts the rest.
func firstFew(items []string) string {
	if len(items) <= maxDiffs {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:maxDiffs], "; ") + fmt.Sprintf("; and %d more", len(items)-maxDiffs)
}

// configHash hashes everything that affects the output bytes: the schema
// and its metadata (tokenizers, presets, options, format), the writer's
// limits, the input manifest and the shard count.
func configHash(schema *arrow.Schema, o Options, manifest string, n int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", schema.String())
	md := schema.Metadata()
	for i, k := range md.Keys() {
		fmt.Fprintf(h, "%s=%s\n", k, md.Values()[i])
	}
	fmt.Fprintf(h, "format=%s compression=%s batch_bytes=%d batch_rows=%d max_file=%d max_record=%d\n",
		o.Format, o.Compression, o.BatchBytes, o.BatchRows, o.MaxFileBytes, o.MaxRecordBytes)
	fmt.Fprintf(h, "manifest=%s shards=%d\n", manifest, n)
	return hex.EncodeToString(h.Sum(nil))
}

// prepareShard readies dir for shard i: it pins (or checks) the job
// config, reports whether the shard's marker already validates, and if not
// removes the shard's stale marker, part files and temp files.
func prepareShard(dir outDir, i int, cfg jobConfig) (done *Marker, err error) {
	if err := dir.mkdirs(true); err != nil {
		return nil, err
	}
	ents, err := dir.list("")
	if err != nil {
		return nil, err
	}
	if err := refuseUnsharded(dir.String(), ents); err != nil {
		return nil, err
	}
	if err := pinJobConfig(dir, cfg); err != nil {
		return nil, err
	}
	if m, err := readMarker(dir, i); err == nil && m.validate(dir, cfg.ConfigHash) == nil {
		return m, nil
	}
	// Not done: the job is no longer final, then the marker goes, then
	// the shard's files.
	for _, n := range []string{SuccessName, ManifestName} {
		if err := dir.remove(n); err != nil {
			return nil, fmt.Errorf("removing %s of the finalized job: %w", n, err)
		}
	}
	if err := dir.remove(DoneDir + "/" + markerName(i)); err != nil {
		return nil, fmt.Errorf("removing the stale marker of shard %d: %w", i, err)
	}
	prefix := fmt.Sprintf("part-%05d-of-", i)
	for _, n := range ents {
		if strings.HasPrefix(n, prefix) || (strings.HasPrefix(n, "."+prefix) && strings.HasSuffix(n, ".tmp")) {
			if err := dir.remove(n); err != nil {
				return nil, fmt.Errorf("removing the stale file %s of shard %d: %w", n, i, err)
			}
		}
	}
	return nil, nil
}

// refuseUnsharded refuses a sharded run into the output of an unsharded one.
func refuseUnsharded(dir string, names []string) error {
	for _, n := range names {
		if isOutputName(n) && !strings.Contains(n, "-of-") {
			return configErr("output directory %s holds the unsharded output %s; a sharded run needs its own -o (or delete that directory)", dir, n)
		}
	}
	return nil
}

// pinJobConfig creates DoneDir/_config.json if absent (atomically: link
// fails when another shard won the race) and refuses a different one.
func pinJobConfig(dir outDir, cfg jobConfig) error {
	data, _ := json.MarshalIndent(cfg, "", "  ")
	if err := dir.createExclusive(DoneDir+"/"+JobConfigName, data); err != nil {
		return fmt.Errorf("pinning the job config: %w", err)
	}
	old, err := readJobConfig(dir)
	if err != nil {
		return err
	}
	switch {
	case old.NumShards != cfg.NumShards:
		return configErr("output directory %s was started with --num-shards %d; this run has --num-shards %d. A rerun must use the same shard count, inputs and flags; use a new -o for a different layout (or delete %s)",
			dir, old.NumShards, cfg.NumShards, dir)
	case old.ManifestHash != cfg.ManifestHash:
		what := ""
		var stamps []inputStamp
		if data, err := dir.readFile(DoneDir + "/" + InputsName); err == nil && json.Unmarshal(data, &stamps) == nil {
			if d := inputsDiff(stamps, cfg.inputs); len(d) > 0 {
				what = ": " + firstFew(d)
			} else {
				what = ": the same files, sizes and mtimes, so their ids, order or error state differ"
			}
		}
		counts := fmt.Sprintf("%d input files then, %d now", old.Entries, cfg.Entries)
		if what == "" { // no input list pinned (an older job): counts and hashes only
			counts += ", or sizes/mtimes changed"
		}
		return configErr("output directory %s was started from other inputs (%s; manifest %.12s, now %.12s)%s; a rerun must see the same inputs; use a new -o (or delete %s)",
			dir, counts, old.ManifestHash, cfg.ManifestHash, what, dir)
	case old.ConfigHash != cfg.ConfigHash:
		what := ""
		if old.Settings != nil { // configs pinned before Settings existed: the hashes only
			if d := settingsDiff(old.Settings, cfg.Settings); len(d) > 0 {
				what = "; differing: " + firstFew(d)
			} else {
				what = "; no listed setting differs, so the Arrow schema does"
			}
		}
		return configErr("output directory %s was started with other tokenizer or output flags (config %.12s, now %.12s%s); rerun with the same flags, or use a new -o (or delete %s)",
			dir, old.ConfigHash, cfg.ConfigHash, what, dir)
	}
	// This run matches the pinned config: record the inputs for later
	// refusals (once; a racing shard writes the same list).
	if cfg.inputs != nil {
		data, _ := json.Marshal(cfg.inputs)
		if err := dir.createExclusive(DoneDir+"/"+InputsName, append(data, '\n')); err != nil {
			return fmt.Errorf("writing the input list: %w", err)
		}
	}
	return nil
}

func readJobConfig(dir outDir) (jobConfig, error) {
	var c jobConfig
	data, err := dir.readFile(DoneDir + "/" + JobConfigName)
	if err == nil {
		err = json.Unmarshal(data, &c)
	}
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := dir.readFile(SummaryName); serr == nil {
			return c, configErr("%s is the output of an unsharded run, which needs no finalize: it is complete once tokenize run exits 0, and %s lists its files in order (finalize is for --num-shards runs)", dir, SummaryName)
		}
	}
	if err != nil {
		return c, configErr("%s/%s/%s is unreadable (%v): is %s the output of a sharded run (--num-shards)?", dir, DoneDir, JobConfigName, err, dir)
	}
	return c, nil
}

func readMarker(dir outDir, i int) (*Marker, error) {
	data, err := dir.readFile(DoneDir + "/" + markerName(i))
	if err != nil {
		return nil, err
	}
	var m Marker
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("marker %s: %w", markerName(i), err)
	}
	return &m, nil
}

// validate checks the marker against the config hash and re-hashes every
// file it lists.
func (m *Marker) validate(dir outDir, cfgHash string) error {
	if m.ConfigHash != cfgHash {
		return fmt.Errorf("shard %d: marker config %.12s differs from the job's %.12s", m.Shard, m.ConfigHash, cfgHash)
	}
	for _, f := range m.Files {
		sum, n, err := hashFile(dir, f.Name)
		if err != nil {
			return fmt.Errorf("shard %d: %w", m.Shard, err)
		}
		if n != f.Bytes || sum != f.SHA256 {
			return fmt.Errorf("shard %d: %s has %d bytes, sha256 %.12s; the marker says %d bytes, %.12s", m.Shard, f.Name, n, sum, f.Bytes, f.SHA256)
		}
	}
	return nil
}

// writeMarker publishes shard i's marker, the last file of the shard.
func writeMarker(dir outDir, m *Marker) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return dir.writeAtomic(DoneDir+"/"+markerName(m.Shard), append(data, '\n'))
}

// createExclusive publishes a complete file at path unless one exists: it
// writes a unique temp file, fsyncs it and hard-links it to path (link
// never replaces), so racing shards agree on the first one.
func createExclusive(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = f.Chmod(0o644)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// shardSummaryName is shard i's summary file.
func shardSummaryName(i, n int) string { return fmt.Sprintf("_SUMMARY-%05d-of-%05d.json", i, n) }

// isShardSummaryName reports whether name is a shardSummaryName.
func isShardSummaryName(name string) bool {
	var i, n int
	_, err := fmt.Sscanf(name, "_SUMMARY-%05d-of-%05d.json", &i, &n)
	return err == nil && name == shardSummaryName(i, n)
}

// planShard hashes the manifest and config, prepares the output directory
// for shard o.ShardIndex and narrows set to the shard's entries. A non-nil
// marker means the shard is already done.
func planShard(o Options, out outDir, schema *arrow.Schema, set *inputSet) (*ShardInfo, *Marker, error) {
	mh, stamps := manifestStamps(set.entries)
	ch := configHash(schema, o, mh, o.NumShards)
	done, err := prepareShard(out, o.ShardIndex, jobConfig{NumShards: o.NumShards, ConfigHash: ch,
		ManifestHash: mh, Entries: len(set.entries), Format: o.Format,
		Settings: jobSettings(schema, o, o.NumShards), inputs: stamps})
	if err != nil {
		return nil, nil, err
	}
	assign := shardOf(set.entries, o.NumShards)
	mine := set.entries[:0:0]
	set.bytes = 0
	for j, e := range set.entries {
		if assign[j] == o.ShardIndex {
			mine = append(mine, e)
			set.bytes += e.size
		}
	}
	set.entries = mine
	return &ShardInfo{Index: o.ShardIndex, Count: o.NumShards, ConfigHash: ch, ManifestHash: mh,
		Entries: len(mine), AlreadyDone: done != nil, format: o.Format}, done, nil
}

// doneSummary reports a shard skipped because its marker validated.
func doneSummary(o Options, sh *ShardInfo, m *Marker) *Summary {
	s := newSummary(o.Inputs, o.OutputDir)
	s.Shard, s.Completed = sh, true
	s.Records, s.Rows, s.Segments, s.Tokens, s.BytesIn = m.Records, m.Rows, m.Rows, m.Tokens, m.BytesIn
	s.Errors.Total = m.Errors
	s.Documents, s.DocumentTokens = m.Documents, m.DocumentTokens
	s.finish(0, m.Files)
	return s
}

// marker is the completion marker of a finished shard.
func (sh *ShardInfo) marker(s *Summary) *Marker {
	return &Marker{Shard: sh.Index, NumShards: sh.Count, ConfigHash: sh.ConfigHash, ManifestHash: sh.ManifestHash,
		Format: sh.format, Entries: sh.Entries, Records: s.Records, Rows: s.Rows, Tokens: s.Tokens, Errors: s.Errors.Total, Warnings: s.Warnings,
		BytesIn: s.BytesIn, BytesOut: s.BytesOut, Files: s.Files, Documents: s.Documents, DocumentTokens: s.DocumentTokens}
}
