package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

type tokenRow struct {
	Modality           string
	Rows, Total        int64
	Mean               string
	Min, P50, P99, Max int64
	Chart              template.URL
}

type errRow struct {
	Kind          string
	Summary, Rows string
	Examples      []string
}

type fitRow struct {
	Window      int
	Over        int64
	Fit         int64
	PercentOver string
}

type tputRow struct {
	Name                  string
	Rows, Tokens, BytesIn int64
	Wall, MBps, TokPS     string
	Workers               int
	Completed             bool
	Stopped               string
}

type page struct {
	Dir        string
	Incomplete string // Output.Incomplete: shown first, in red
	Files      []string
	Rows       int64
	Summaries  int
	Finalized  bool
	DoneShards int
	Tokens     []tokenRow
	TPB        string
	TPBSource  string
	TPBChart   template.URL
	TPBNote    string
	TextRows   int64
	PackLength int
	PackPadID  int
	Fit        []fitRow
	Errors     []errRow
	ErrorChart template.URL
	Throughput []tputRow
	TputChart  template.URL
}

// Render writes the self-contained HTML report of st: every chart is a PNG
// embedded as a data: URI, the style is inline, nothing is fetched.
func Render(w io.Writer, st *Stats) error {
	pg := page{Dir: st.Out.Dir, Incomplete: st.Out.Incomplete(), Rows: st.Rows, Summaries: len(st.Out.Summaries),
		Finalized: st.Out.Manifest != nil, DoneShards: st.Out.DoneShards, PackLength: st.PackLength, PackPadID: st.PackPadID}
	for _, f := range st.Out.Files {
		pg.Files = append(pg.Files, filepath.Base(f))
	}
	for _, m := range st.modalities() {
		v := slices.Clone(st.Tokens[m])
		slices.Sort(v)
		r := tokenRow{Modality: m, Rows: int64(len(v))}
		fs := make([]float64, len(v))
		for i, x := range v {
			r.Total += x
			fs[i] = float64(x)
		}
		if len(v) > 0 {
			r.Mean = fmt.Sprintf("%.1f", float64(r.Total)/float64(len(v)))
			rank := func(p float64) int64 { return v[max(0, min(len(v)-1, int(math.Ceil(p*float64(len(v))))-1))] }
			r.Min, r.P50, r.P99, r.Max = v[0], rank(0.5), rank(0.99), v[len(v)-1]
			title, axis := m+": tokens per row (num_tokens)", "num_tokens"
			if m == Packed {
				title, axis = m+": real tokens per sequence (length)", "length"
			}
			c, err := histogram(title, axis, fs)
			if err != nil {
				return err
			}
			r.Chart = c
		}
		pg.Tokens = append(pg.Tokens, r)
	}
	if ratio, src, ok := st.TextTokensPerByte(); ok {
		pg.TPB = fmt.Sprintf("%.4f", ratio)
		pg.TPBSource = src
		if src == "rows" {
			var per []float64
			for i, n := range st.Tokens["text"] {
				if b := st.TextBytes[i]; b > 0 {
					per = append(per, float64(n)/float64(b))
				}
			}
			if len(per) > 0 {
				c, err := histogram("text: tokens per byte, per row", "tokens / input byte", per)
				if err != nil {
					return err
				}
				pg.TPBChart = c
			}
		}
	}
	pg.TPBNote = st.TextBytesNote
	pg.TextRows = int64(len(st.Tokens["text"]))
	for k, win := range ContextWindows {
		r := fitRow{Window: win, Over: st.Over[k], Fit: pg.TextRows - st.Over[k], PercentOver: "–"}
		if pg.TextRows > 0 {
			r.PercentOver = fmt.Sprintf("%.2f %%", 100*float64(st.Over[k])/float64(pg.TextRows))
		}
		pg.Fit = append(pg.Fit, r)
	}
	sumErr := st.SummaryErrors()
	kinds := map[string]bool{}
	for k := range sumErr {
		kinds[k] = true
	}
	for k := range st.ErrorRows {
		kinds[k] = true
	}
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	var counts []float64
	for _, k := range names {
		r := errRow{Kind: k, Summary: "–", Rows: fmt.Sprint(st.ErrorRows[k])}
		if ks := sumErr[k]; ks != nil {
			r.Summary = fmt.Sprint(ks.Count)
			for _, e := range ks.Examples {
				r.Examples = append(r.Examples, fmt.Sprintf("%s (%s): %s", e.Source, e.ID, e.Message))
			}
		}
		pg.Errors = append(pg.Errors, r)
		counts = append(counts, float64(st.ErrorRows[k]))
	}
	if len(names) > 0 {
		c, err := barChart("error rows by kind (error column)", "rows", names, counts)
		if err != nil {
			return err
		}
		pg.ErrorChart = c
	}
	var tlabels []string
	var tvals []float64
	for i, s := range st.Out.Summaries {
		name := "job"
		if s.Shard != nil {
			name = fmt.Sprintf("shard %d of %d", s.Shard.Index, s.Shard.Count)
		} else if len(st.Out.Summaries) > 1 {
			name = fmt.Sprintf("summary %d", i)
		}
		pg.Throughput = append(pg.Throughput, tputRow{Name: name, Rows: s.Rows, Tokens: s.Tokens, BytesIn: s.BytesIn,
			Wall: fmt.Sprintf("%.3f", s.WallSeconds), MBps: fmt.Sprintf("%.2f", s.MBPerSecond),
			TokPS: fmt.Sprintf("%.0f", s.TokensPerSecond), Workers: s.Workers, Completed: s.Completed, Stopped: s.Stopped})
		tlabels = append(tlabels, strings.TrimPrefix(name, "shard "))
		tvals = append(tvals, s.TokensPerSecond)
	}
	if len(tvals) > 0 {
		c, err := barChart("throughput (_SUMMARY)", "tokens / second", tlabels, tvals)
		if err != nil {
			return err
		}
		pg.TputChart = c
	}
	return reportTmpl.Execute(w, pg)
}

var reportTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>tokenfab report: {{.Dir}}</title>
<style>
body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #bbb;padding:.2em .6em;text-align:right}
th{background:#eef}
td.l,th.l{text-align:left}
img{display:block;margin:.5em 0;border:1px solid #ddd}
.note{color:#666;font-size:90%}
.warn{color:#a00;border:2px solid #a00;padding:.4em}
</style></head><body>
<h1>tokenfab report</h1>
{{if .Incomplete}}<p class="warn"><b>{{.Incomplete}}.</b></p>{{end}}
<p><b>{{.Dir}}</b>: {{len .Files}} part file(s), {{.Rows}} rows, {{.Summaries}} summary file(s){{if .Finalized}}, finalized (manifest.json){{end}}{{if .DoneShards}}, {{.DoneShards}} shard marker(s) in _done{{end}}.</p>
<p class="note">Files in row order: {{range $i, $f := .Files}}{{if $i}}, {{end}}{{$f}}{{end}}</p>
{{if .PackLength}}<p><b>Packed output (--pack {{.PackLength}}):</b> every row is one sequence of {{.PackLength}} token slots (input_ids) holding successive text documents, split where they cross a sequence boundary; its <code>length</code> column counts the real tokens, the remaining slots are pad id {{.PackPadID}}. Rows are sequences, not documents: the token table below gives the <code>length</code> of each sequence; per-document token counts, tokens per byte per row and context-window fit cannot be recovered from packed files (the summaries' totals are shown where they apply).</p>{{end}}

<h2>Token lengths per modality</h2>
<table><tr><th class="l">modality</th><th>rows</th><th>tokens</th><th>mean</th><th>min</th><th>p50</th><th>p99</th><th>max</th></tr>
{{range .Tokens}}<tr><td class="l">{{.Modality}}</td><td>{{.Rows}}</td><td>{{.Total}}</td><td>{{.Mean}}</td><td>{{.Min}}</td><td>{{.P50}}</td><td>{{.P99}}</td><td>{{.Max}}</td></tr>
{{end}}</table>
<p class="note">{{if .PackLength}}Packed sequences: the length column (real tokens, pad excluded){{else}}Successful rows only (num_tokens is null on error rows){{end}}; percentiles are nearest-rank.</p>
{{range .Tokens}}{{if .Chart}}<img alt="{{.Modality}} token histogram" src="{{.Chart}}">{{end}}{{end}}

<h2>Text: tokens per byte</h2>
{{if .TPB}}<p>Overall: <b>{{.TPB}}</b> tokens per input byte
{{if eq .TPBSource "rows"}}(per row: each text row's input_ids decoded with the job's tokenizer, BOS/EOS excluded; the tokenizer is lossless, so these are the input bytes){{else}}(from the summaries: text tokens / bytes_in; bytes_in counts the input of every modality, so with images, audio or video this is a lower bound){{end}}.</p>
{{if .TPBChart}}<img alt="tokens per byte histogram" src="{{.TPBChart}}">{{end}}
{{else}}<p>No text rows.</p>{{end}}
{{if .TPBNote}}<p class="note">Per-row bytes unavailable: {{.TPBNote}}</p>{{end}}

<h2>Context-window fit (text rows)</h2>
{{if .PackLength}}<p>Not applicable to packed output: every sequence is at most {{.PackLength}} tokens, and document lengths are not in the files.</p>{{else}}<table><tr><th>context window</th><th>rows over</th><th>rows that fit</th><th>over</th></tr>
{{range .Fit}}<tr><td>{{.Window}}</td><td>{{.Over}}</td><td>{{.Fit}}</td><td>{{.PercentOver}}</td></tr>
{{end}}</table>
<p class="note">A row is over when num_tokens &gt; the window; {{.TextRows}} successful text rows.</p>{{end}}

<h2>Errors by kind</h2>
{{if .Errors}}<table><tr><th class="l">kind</th><th>_SUMMARY count</th><th>error-column rows</th><th class="l">examples (summary)</th></tr>
{{range .Errors}}<tr><td class="l">{{.Kind}}</td><td>{{.Summary}}</td><td>{{.Rows}}</td><td class="l">{{range .Examples}}{{.}}<br>{{end}}</td></tr>
{{end}}</table>
{{if .ErrorChart}}<img alt="errors by kind" src="{{.ErrorChart}}">{{end}}
{{else}}<p>No error rows.</p>{{end}}

<h2>Throughput</h2>
{{if .Throughput}}<table><tr><th class="l">run</th><th>rows</th><th>tokens</th><th>bytes in</th><th>wall s</th><th>MB/s</th><th>tokens/s</th><th>workers</th><th class="l">completed</th></tr>
{{range .Throughput}}<tr><td class="l">{{.Name}}</td><td>{{.Rows}}</td><td>{{.Tokens}}</td><td>{{.BytesIn}}</td><td>{{.Wall}}</td><td>{{.MBps}}</td><td>{{.TokPS}}</td><td>{{.Workers}}</td><td class="l">{{.Completed}}{{if .Stopped}}: {{.Stopped}}{{end}}</td></tr>
{{end}}</table>
{{if .TputChart}}<img alt="throughput" src="{{.TputChart}}">{{end}}
{{else}}<p>No _SUMMARY.json here: throughput unknown.</p>{{end}}
</body></html>
`))
