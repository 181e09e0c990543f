package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// Files written by Finalize.
const (
	// ManifestName lists every part file of a finalized job.
	ManifestName = "manifest.json"
	// SuccessName is written last: the job is complete and validated.
	SuccessName = "_SUCCESS"
)

// Layout is an extra on-disk layout Finalize writes.
type Layout string

// The files of --layout hf that datasets.load_from_disk reads.
const (
	hfStateName = "state.json"
	hfInfoName  = "dataset_info.json"
)

// Layouts.
const (
	// LayoutPlain writes manifest.json and _SUCCESS only.
	LayoutPlain Layout = ""
	// LayoutHF also writes state.json and dataset_info.json, so that
	// datasets.load_from_disk(DIR) opens the part files (which must be
	// IPC streams: run with --format arrow-stream).
	LayoutHF Layout = "hf"
)

// Manifest is manifest.json: the job's parts in row order, and totals.
type Manifest struct {
	FormatVersion int            `json:"format_version"`
	NumShards     int            `json:"num_shards"`
	ConfigHash    string         `json:"config_hash"`
	ManifestHash  string         `json:"manifest_hash"`
	Format        Format         `json:"format"`
	Records       int64          `json:"records"`
	Rows          int64          `json:"rows"`
	Tokens        int64          `json:"tokens"`
	Errors        int64          `json:"errors"`
	Warnings      int64          `json:"warnings"` // rows with a warning (column warning)
	Bytes         int64          `json:"bytes"`
	Files         []ManifestFile `json:"files"`
	// Metadata is the part files' schema metadata (tokenfab, huggingface).
	Metadata map[string]json.RawMessage `json:"metadata"`

	// Documents and DocumentTokens are --format megatron totals (Summary);
	// megatron files have no schema, so Metadata is empty.
	Documents      int64 `json:"documents,omitempty"`
	DocumentTokens int64 `json:"document_tokens,omitempty"`
}

// ManifestFile is one part file in manifest.json.
type ManifestFile struct {
	FileInfo
	Shard int `json:"shard"`
}

// Finalize checks that every shard of the sharded job in dir is done (its
// marker exists and every file it lists has the recorded sha256), that no
// other part file lies there, and writes manifest.json, the files of
// layout, and _SUCCESS last. It changes no part file; rerunning it is safe.
//
// dir may be an object storage URL (s3://BUCKET/PREFIX, …; docs/batch.md):
// markers are read and part files re-hashed from the store.
func Finalize(dirName string, layout Layout) (*Manifest, error) {
	if layout != LayoutPlain && layout != LayoutHF {
		return nil, configErr("unknown layout %q: use hf, or none", layout)
	}
	dir, err := openOutDir(dirName)
	if err != nil {
		return nil, err
	}
	defer dir.close()
	cfg, err := readJobConfig(dir)
	if err != nil {
		return nil, err
	}
	if layout == LayoutHF && cfg.Format != FormatArrowStream {
		return nil, configErr("--layout hf needs IPC stream part files (datasets.load_from_disk opens them with pyarrow.ipc.open_stream), but %s holds %s files: rerun the job with --format arrow-stream into a new -o", dir, cfg.Format)
	}
	man := &Manifest{FormatVersion: FormatVersion, NumShards: cfg.NumShards, ConfigHash: cfg.ConfigHash,
		ManifestHash: cfg.ManifestHash, Format: cfg.Format, Files: []ManifestFile{}, Metadata: map[string]json.RawMessage{}}
	var missing, bad []string
	listed := map[string]bool{}
	for i := range cfg.NumShards {
		m, err := readMarker(dir, i)
		if err != nil {
			missing = append(missing, fmt.Sprint(i))
			continue
		}
		if err := m.validate(dir, cfg.ConfigHash); err != nil {
			bad = append(bad, err.Error())
			continue
		}
		man.Records += m.Records
		man.Rows += m.Rows
		man.Tokens += m.Tokens
		man.Errors += m.Errors
		man.Warnings += m.Warnings
		man.Documents += m.Documents
		man.DocumentTokens += m.DocumentTokens
		for _, f := range m.Files {
			man.Files = append(man.Files, ManifestFile{FileInfo: f, Shard: i})
			man.Bytes += f.Bytes
			listed[f.Name] = true
		}
	}
	if len(missing) > 0 {
		return nil, configErr("%s: shard(s) %s of %d are not done (no marker in %s/): run them with the same flags, then finalize again",
			dir, strings.Join(missing, ", "), cfg.NumShards, DoneDir)
	}
	if len(bad) > 0 {
		return nil, configErr("%s: %s; rerun those shards with the same flags (they redo themselves), then finalize again", dir, strings.Join(bad, "; "))
	}
	ents, err := dir.list("")
	if err != nil {
		return nil, err
	}
	var strays []string
	for _, n := range ents {
		if isOutputName(n) && strings.HasPrefix(n, "part-") && !listed[n] {
			strays = append(strays, n)
		}
	}
	if len(strays) > 0 {
		sort.Strings(strays)
		return nil, configErr("%s holds part files no marker lists (%s): they are left over from another run; delete them and finalize again", dir, strings.Join(strays, ", "))
	}
	if len(man.Files) == 0 {
		return nil, configErr("%s: the markers list no part file", dir)
	}
	var md arrow.Metadata
	if cfg.Format == FormatArrow || cfg.Format == FormatArrowStream { // no IPC schema in .bin/.idx, nor in registered formats (parquet)
		if md, err = readSchemaMetadata(dir, man.Files[0].Name, cfg.Format); err != nil {
			return nil, err
		}
	}
	for i, k := range md.Keys() {
		man.Metadata[k] = json.RawMessage(md.Values()[i])
	}
	data, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := dir.writeAtomic(ManifestName, append(data, '\n')); err != nil {
		return nil, err
	}
	if layout == LayoutHF {
		if err := writeHFLayout(dir, man); err != nil {
			return nil, err
		}
	}
	return man, dir.writeAtomic(SuccessName, nil)
}

// writeHFLayout writes what datasets.Dataset.save_to_disk writes next to
// its data files: state.json (the files, in order) and dataset_info.json
// (the features of the `huggingface` schema metadata).
func writeHFLayout(dir outDir, man *Manifest) error {
	type dataFile struct {
		Filename string `json:"filename"`
	}
	files := make([]dataFile, len(man.Files))
	for i, f := range man.Files {
		files[i] = dataFile{f.Name}
	}
	state := map[string]any{
		"_data_files": files, "_fingerprint": man.ConfigHash[:16],
		"_format_columns": nil, "_format_kwargs": map[string]any{}, "_format_type": nil,
		"_output_all_columns": false, "_split": nil,
	}
	var hf struct {
		Info map[string]any `json:"info"`
	}
	raw, ok := man.Metadata["huggingface"]
	if !ok {
		return fmt.Errorf("the part files carry no huggingface schema metadata")
	}
	if err := json.Unmarshal(raw, &hf); err != nil {
		return fmt.Errorf("huggingface schema metadata: %w", err)
	}
	info := hf.Info
	info["dataset_size"] = man.Bytes
	for name, v := range map[string]any{hfStateName: state, hfInfoName: info} {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := dir.writeAtomic(name, append(data, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// readSchemaMetadata reads the schema metadata of an IPC file or stream
// from its start: an IPC file is its 8-byte magic, then the stream's schema
// message (the same schema as its footer's), so this streams from object
// storage too.
func readSchemaMetadata(dir outDir, name string, f Format) (arrow.Metadata, error) {
	fh, err := dir.open(name)
	if err != nil {
		return arrow.Metadata{}, err
	}
	defer fh.Close()
	br := bufio.NewReader(fh)
	if f != FormatArrowStream {
		magic := make([]byte, 8)
		if _, err := io.ReadFull(br, magic); err != nil || string(magic[:6]) != "ARROW1" {
			return arrow.Metadata{}, fmt.Errorf("reading the schema of %s: not an Arrow IPC file", name)
		}
	}
	r, err := ipc.NewReader(br)
	if err != nil {
		return arrow.Metadata{}, fmt.Errorf("reading the schema of %s: %w", name, err)
	}
	defer r.Release()
	return r.Schema().Metadata(), nil
}
