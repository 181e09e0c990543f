package pipeline

import (
	"bytes"
	"encoding/json"
	"sort"
)

// SummaryName is the job summary's file name in the output directory.
const SummaryName = "_SUMMARY.json"

// maxExamples is how many example failures the summary keeps per kind.
const maxExamples = 5

// Summary is the job report, written as _SUMMARY.json (atomically) and
// returned by Run. Wall time lives only here, never in the Arrow files.
type Summary struct {
	FormatVersion int      `json:"format_version"`
	Inputs        []string `json:"inputs"`
	Output        string   `json:"output"`
	// Completed is true when every input was processed.
	Completed bool `json:"completed"`
	// Stopped says why the job ended early ("" when it did not).
	Stopped string `json:"stopped,omitempty"`
	// Records is input items (files, manifest lines); Segments and Rows are
	// equal (one row per segment) and kept apart for multi-segment records.
	Records  int64 `json:"records"`
	Segments int64 `json:"segments"`
	Rows     int64 `json:"rows"`
	// Tokens is the sum of num_tokens over successful rows.
	Tokens int64 `json:"tokens"`
	// Modalities holds per-modality counts; rows of unknown type are under "unknown".
	Modalities map[string]*ModalityStats `json:"modalities"`
	// Errors counts error rows by kind.
	Errors ErrorStats `json:"errors"`
	// Warnings counts successful rows with a warning (column warning,
	// e.g. a truncated WAV decoded up to where it ends).
	Warnings int64 `json:"warnings"`
	// Skipped counts inputs left out on purpose: hidden, symlink_dir,
	// special (devices, pipes, sockets), blank_lines (in manifests),
	// output_dir, duplicate_input (an input given twice is read once).
	Skipped map[string]int64 `json:"skipped"`
	// BytesIn is input bytes read (file contents, manifest lines);
	// BytesOut the total size of the files written.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
	// WallSeconds is the job's elapsed time; MBPerSecond is BytesIn/1e6
	// per second and TokensPerSecond is Tokens per second.
	WallSeconds     float64 `json:"wall_seconds"`
	MBPerSecond     float64 `json:"mb_per_second"`
	TokensPerSecond float64 `json:"tokens_per_second"`
	Workers         int     `json:"workers"`
	// Shard is set for sharded runs (Options.NumShards > 0).
	Shard *ShardInfo `json:"shard,omitempty"`
	Files []FileInfo `json:"files"`

	// Documents and DocumentTokens are what --format megatron wrote: one
	// document per successful text row, and its tokens (EOS included).
	Documents      int64 `json:"documents,omitempty"`
	DocumentTokens int64 `json:"document_tokens,omitempty"`
}

// ModalityStats are the counts of one modality.
type ModalityStats struct {
	Segments int64 `json:"segments"`
	Tokens   int64 `json:"tokens"`
	Errors   int64 `json:"errors"`
}

// ErrorStats counts error rows.
type ErrorStats struct {
	Total  int64                 `json:"total"`
	ByKind map[string]*KindStats `json:"by_kind"`
}

// KindStats counts one error kind and keeps its first few examples.
type KindStats struct {
	Count    int64          `json:"count"`
	Examples []ErrorExample `json:"examples"`
}

// ErrorExample is one failed row: where it came from and why.
type ErrorExample struct {
	Source  string `json:"source"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

func newSummary(inputs []string, output string) *Summary {
	return &Summary{
		FormatVersion: FormatVersion, Inputs: inputs, Output: output,
		Modalities: map[string]*ModalityStats{},
		Errors:     ErrorStats{ByKind: map[string]*KindStats{}},
		Skipped:    map[string]int64{},
		Files:      []FileInfo{},
	}
}

// add counts one written row.
func (s *Summary) add(r *row) {
	s.Rows++
	s.Segments++
	mod := r.modality
	if mod == "" {
		mod = "unknown"
	}
	ms := s.Modalities[mod]
	if ms == nil {
		ms = &ModalityStats{}
		s.Modalities[mod] = ms
	}
	ms.Segments++
	if r.err != nil {
		ms.Errors++
		s.Errors.Total++
		ks := s.Errors.ByKind[string(r.err.Kind)]
		if ks == nil {
			ks = &KindStats{Examples: []ErrorExample{}}
			s.Errors.ByKind[string(r.err.Kind)] = ks
		}
		ks.Count++
		if len(ks.Examples) < maxExamples {
			ks.Examples = append(ks.Examples, ErrorExample{Source: r.source, ID: r.id, Message: r.err.Msg})
		}
		return
	}
	ms.Tokens += int64(r.p.NumTokens)
	s.Tokens += int64(r.p.NumTokens)
	if r.p.Warning != "" {
		s.Warnings++
	}
}

// finish fills the derived fields.
func (s *Summary) finish(seconds float64, files []FileInfo) {
	s.WallSeconds = seconds
	s.Files = append([]FileInfo{}, files...)
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Name < s.Files[j].Name })
	s.BytesOut = 0
	for _, f := range s.Files {
		s.BytesOut += f.Bytes
	}
	if seconds > 0 {
		s.MBPerSecond = float64(s.BytesIn) / 1e6 / seconds
		s.TokensPerSecond = float64(s.Tokens) / seconds
	}
}

func (s *Summary) marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(s)
	return b.Bytes(), err
}
