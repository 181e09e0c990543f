package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/text"
)

// sampleWAV is the shipped sample's speech clip: LibriVox 0930, 3.29 s,
// 16 kHz mono s16, the file the audio goldens were made from.
func sampleWAV(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "sample", "audio", "librivox_0930.wav"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func audioFixture(t testing.TB, name string) []byte {
	t.Helper()
	return readFixture(t, "audio", name)
}

// audioGolden reads fixtures/audio/golden/NAME.f32.gz (HF's features,
// scripts/golden/audio_golden.py).
func audioGolden(t testing.TB, name string) []float32 {
	t.Helper()
	gz, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "audio", "golden", name+".f32.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

func newAudioTok(t testing.TB, cfg audio.Config) (*audio.Tokenizer, Modality) {
	t.Helper()
	tok, err := audio.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewAudio(tok)
	if err != nil {
		t.Fatal(err)
	}
	return tok, m
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// TestAudioAdapterMatchesAudioPackage: the payload is the audio package's
// output, unchanged, for every preset; on the sample clip it equals HF's
// features (the committed goldens).
func TestAudioAdapterMatchesAudioPackage(t *testing.T) {
	wav := sampleWAV(t)
	for _, c := range []struct {
		cfg           audio.Config
		nMels, frames int
		tokens        int
		grid          [3]int32
	}{
		{audio.Config{Preset: "whisper-80"}, 80, 3000, 3000, [3]int32{}},
		{audio.Config{Preset: "whisper-128"}, 128, 3000, 3000, [3]int32{}},
		{audio.Config{Preset: "ast"}, 128, 1024, 1212, [3]int32{1, 12, 101}},
		// librosa defaults at 16 kHz: centred frames = 1 + 52640/512.
		{audio.Config{Preset: "log-mel", LogMel: audio.LogMelConfig{SampleRate: 16000}}, 128, 1 + 52640/512, 1 + 52640/512, [3]int32{}},
	} {
		tok, m := newAudioTok(t, c.cfg)
		for _, data := range [][]byte{wav, audioFixture(t, "flac_s16_stereo_44k.flac"), audioFixture(t, "mp3_16k_mono.mp3")} {
			tk, err := tok.Tokenize(context.Background(), data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := m.Tokenize(context.Background(), data)
			if err != nil {
				t.Fatal(err)
			}
			if p.NumTokens != tk.NumTokens || p.NMels != tk.NMels || fmt.Sprint(p.Mel) != fmt.Sprint(tk.Mel) ||
				p.InputIDs != nil || p.Patches != nil || p.PatchValues != nil || p.HasGrid != (c.cfg.Preset == "ast") || p.GridTHW != c.grid {
				t.Fatalf("%s: payload differs from the audio package's tokens (tokens %d/%d, n_mels %d/%d, grid %v)",
					c.cfg.Preset, p.NumTokens, tk.NumTokens, p.NMels, tk.NMels, p.GridTHW)
			}
		}
		p, err := m.Tokenize(context.Background(), wav)
		if err != nil {
			t.Fatal(err)
		}
		if p.NMels != c.nMels || len(p.Mel) != c.frames*c.nMels || p.NumTokens != c.tokens {
			t.Errorf("%s on the sample: %d values of width %d, %d tokens; want %d frames × %d, %d tokens",
				c.cfg.Preset, len(p.Mel), p.NMels, p.NumTokens, c.frames, c.nMels, c.tokens)
		}
		d := m.Describe()
		if d["n_mels"] != c.nMels || d["preset"] != c.cfg.Preset || d["n_fft"] == nil || d["hop_length"] == nil || d["rows"] == nil || d["num_tokens"] == nil {
			t.Errorf("%s: describe %v", c.cfg.Preset, d)
		}
	}
	// Against the references themselves (WhisperFeatureExtractor numpy path,
	// ASTFeatureExtractor), on the sample clip.
	for _, g := range []struct {
		preset, golden string
		tol            float64
	}{
		{"whisper-80", "whisper80_corpus_wav_s16_16k_mono_speech_librivox_0930.wav", 5e-5},
		{"ast", "ast_corpus_wav_s16_16k_mono_speech_librivox_0930.wav", 1e-4},
	} {
		_, m := newAudioTok(t, audio.Config{Preset: g.preset})
		p, err := m.Tokenize(context.Background(), wav)
		if err != nil {
			t.Fatal(err)
		}
		ref := audioGolden(t, g.golden)
		if len(ref) != len(p.Mel) {
			t.Fatalf("%s: %d values, HF %d", g.preset, len(p.Mel), len(ref))
		}
		if d := maxAbsDiff(p.Mel, ref); d > g.tol {
			t.Errorf("%s: max |ours − HF| = %g > %g", g.preset, d, g.tol)
		}
	}
	if d := newAudioDesc(t, "whisper-80"); d["n_fft"] != 400 || d["hop_length"] != 160 || d["chunk_frames"] != 3000 {
		t.Errorf("whisper-80 describe %v", d)
	}
	if d := newAudioDesc(t, "log-mel"); d["n_fft"] != 2048 || d["hop_length"] != 512 || d["sample_rate"] != 22050 {
		t.Errorf("log-mel describe %v", d)
	}
	// Bad input: a tokenize error (a row once routed); too long: too_large.
	_, m := newAudioTok(t, audio.Config{})
	if _, err := m.Tokenize(context.Background(), []byte("RIFF\x24\x00\x00\x00WAVEjunk")); err == nil {
		t.Error("corrupt WAV accepted")
	}
	_, short := newAudioTok(t, audio.Config{MaxDurationSeconds: 1})
	_, err := short.Tokenize(context.Background(), wav)
	if re, ok := err.(*RowError); !ok || re.Kind != KindTooLarge {
		t.Errorf("3.3 s with a 1 s limit: %v, want a too_large RowError", err)
	}
}

func newAudioDesc(t *testing.T, preset string) map[string]any {
	_, m := newAudioTok(t, audio.Config{Preset: preset})
	return m.Describe()
}

// audRow is a row read back with the media columns a job may have.
type audRow struct {
	outRow
	mel                 []float32
	melNull             bool
	melWidth            int
	grid                [3]int32
	gridNull            bool
	hasPatches, patchNl bool
}

// readAudioRows reads every part file of dir with mel (and grid_thw and
// patches' nulls when the job has them), with a checked allocator.
func readAudioRows(t *testing.T, dir string) ([]audRow, *arrow.Schema) {
	t.Helper()
	var rows []audRow
	schema := readPartBatches(t, dir, func(schema *arrow.Schema, rec arrow.RecordBatch) {
		base := decodeBatch(rec)
		ml := rec.Column(schema.FieldIndices("mel")[0]).(*array.List)
		fsl := ml.ListValues().(*array.FixedSizeList)
		width := int64(fsl.DataType().(*arrow.FixedSizeListType).Len())
		vals := fsl.ListValues().(*array.Float32).Float32Values()
		for k := range base {
			r := audRow{outRow: base[k], melWidth: int(width), gridNull: true}
			if ml.IsNull(k) {
				r.melNull = true
			} else {
				s, e := ml.ValueOffsets(k)
				r.mel = append([]float32{}, vals[s*width:e*width]...)
			}
			if idx := schema.FieldIndices("grid_thw"); len(idx) == 1 {
				gl := rec.Column(idx[0]).(*array.FixedSizeList)
				if r.gridNull = gl.IsNull(k); !r.gridNull {
					r.grid = gridAt(gl, k)
				}
			}
			if idx := schema.FieldIndices("patches"); len(idx) == 1 {
				r.hasPatches, r.patchNl = true, rec.Column(idx[0]).IsNull(k)
			}
			rows = append(rows, r)
		}
	})
	return rows, schema
}

// TestAudioColumnsReadBack writes text, images, audio and bad audio with
// whisper-80 and with ast, and reads the columns back: types, metadata,
// values, nulls on error and other-modality rows.
func TestAudioColumnsReadBack(t *testing.T) {
	ttok, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		t.Fatal(err)
	}
	_, img := newImageTok(t, image.Config{})
	src := t.TempDir()
	files := map[string]string{
		"a.wav":     string(sampleWAV(t)),
		"b.flac":    string(audioFixture(t, "flac_s16_stereo_44k.flac")),
		"bad.wav":   "RIFF\x24\x00\x00\x00WAVEfmt " + strings.Repeat("\xff", 40),
		"c.txt":     "hello world",
		"d/img.png": string(imageFixture(t, "synth_70x70.png")),
	}
	writeTree(t, src, files)
	for _, c := range []struct {
		preset string
		nMels  int
		cols   []string // after the base columns
	}{
		{"whisper-80", 80, []string{"patches", "grid_thw", "mel"}},
		{"ast", 128, []string{"patches", "grid_thw", "mel"}}, // grid_thw once, shared with images
	} {
		tok, aud := newAudioTok(t, audio.Config{Preset: c.preset})
		out := t.TempDir()
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		sum, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Allocator: mem,
			Modalities: []Modality{aud, NewText(ttok), img}})
		if err != nil {
			t.Fatal(err)
		}
		mem.AssertSize(t, 0)
		am := sum.Modalities[ModAudio]
		if sum.Rows != 5 || sum.Errors.Total != 1 || sum.Errors.ByKind["tokenize"].Count != 1 || am == nil || am.Segments != 3 || am.Errors != 1 {
			t.Fatalf("%s: summary rows %d, errors %v, audio %+v", c.preset, sum.Rows, sum.Errors.ByKind, am)
		}
		rows, schema := readAudioRows(t, out)
		var names []string
		for _, f := range schema.Fields()[len(baseColumns):] {
			names = append(names, f.Name)
		}
		if fmt.Sprint(names) != fmt.Sprint(c.cols) {
			t.Fatalf("%s: extra columns %v, want %v", c.preset, names, c.cols)
		}
		want := arrow.ListOf(arrow.FixedSizeListOf(int32(c.nMels), arrow.PrimitiveTypes.Float32))
		if f, _ := schema.FieldsByName("mel"); len(f) != 1 || !arrow.TypeEqual(f[0].Type, want) || !f[0].Nullable {
			t.Errorf("%s: mel column %v, want nullable %v", c.preset, f, want)
		}
		hf, _ := schema.Metadata().GetValue("huggingface")
		wantHF := fmt.Sprintf(`"mel":{"feature":{"feature":{"dtype":"float32","_type":"Value"},"length":%d,"_type":"Sequence"},"_type":"Sequence"}}}}`, c.nMels)
		if !strings.HasSuffix(hf, wantHF) || strings.Count(hf, `"grid_thw"`) != 1 {
			t.Errorf("huggingface metadata %s, want it to end with %s and hold grid_thw once", hf, wantHF)
		}
		tf, _ := schema.Metadata().GetValue("tokenfab")
		var meta struct {
			Tokenizers map[string]map[string]any `json:"tokenizers"`
		}
		if err := json.Unmarshal([]byte(tf), &meta); err != nil {
			t.Fatal(err)
		}
		am2 := meta.Tokenizers["audio"]
		if am2["preset"] != c.preset || am2["n_mels"] != float64(c.nMels) || am2["sample_rate"] != 16000.0 || am2["hop_length"] != 160.0 || am2["rows"] == nil {
			t.Errorf("%s: tokenfab audio metadata %v", c.preset, am2)
		}
		byID := map[string]audRow{}
		for _, r := range rows {
			byID[r.ID] = r
		}
		for _, name := range []string{"a.wav", "b.flac"} {
			r := byID[name]
			tk, err := tok.Tokenize(context.Background(), []byte(files[name]))
			if err != nil {
				t.Fatal(err)
			}
			if r.Error != "" || r.Modality != ModAudio || r.melNull || r.melWidth != c.nMels || int(r.NumTokens) != tk.NumTokens ||
				!r.IDsNull || !r.patchNl || fmt.Sprint(r.mel) != fmt.Sprint(tk.Mel) {
				t.Errorf("%s %s: row %+v (mel %d values) differs from the audio package's %d tokens, %d values",
					c.preset, name, r.outRow, len(r.mel), tk.NumTokens, len(tk.Mel))
			}
			if c.preset == "ast" && (r.gridNull || r.grid != [3]int32{1, 12, 101}) || c.preset != "ast" && !r.gridNull {
				t.Errorf("%s %s: grid %v (null %v)", c.preset, name, r.grid, r.gridNull)
			}
		}
		if r := byID["bad.wav"]; !strings.HasPrefix(r.Error, "tokenize: audio: ") || !r.melNull || !r.gridNull || r.HasTokens || r.Modality != ModAudio {
			t.Errorf("bad.wav: %+v, want a tokenize row with null mel", r)
		}
		if r := byID["d/img.png"]; r.Error != "" || !r.melNull || r.patchNl || r.grid != [3]int32{1, 14, 14} {
			t.Errorf("image row %+v: want patches, grid (1,14,14) and a null mel", r)
		}
		if r := byID["c.txt"]; r.Error != "" || fmt.Sprint(r.IDs) != "[15339 1917]" || !r.melNull || !r.gridNull {
			t.Errorf("c.txt: %+v, want ids [15339 1917] and null media columns", r)
		}
	}
}

// TestAudioDeterministicAcrossWorkers: the audio fixtures (every codec, a
// truncated file) plus the sample, with batches of a few rows and small
// files, give byte-identical files with 1 and 2 workers.
func TestAudioDeterministicAcrossWorkers(t *testing.T) {
	ttok, err := text.New(text.Config{Encoding: "o200k_base"})
	if err != nil {
		t.Fatal(err)
	}
	_, aud := newAudioTok(t, audio.Config{})
	_, img := newImageTok(t, image.Config{})
	inputs := []string{filepath.Join(testenv.Root(), "fixtures", "audio"), filepath.Join(testenv.Root(), "fixtures", "sample")}
	var ref map[string][]byte
	for _, workers := range []int{1, 2} {
		out := t.TempDir()
		sum, err := Run(context.Background(), Options{Inputs: inputs, OutputDir: out, Workers: workers,
			Modalities: []Modality{NewText(ttok), img, aud}, BatchBytes: 4 << 20, MaxFileBytes: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		files := readOutputs(t, out, sum.Files)
		if ref == nil {
			ref = files
			am := sum.Modalities[ModAudio]
			// 21 codec fixtures (opus through ffmpeg) + the sample WAV.
			if len(files) < 2 || am == nil || am.Segments != 22 || am.Errors != 0 || am.Tokens != 22*3000 {
				t.Fatalf("%d files, audio stats %+v, errors %v: want several files and 22 audio rows of 3000 frames", len(files), am, sum.Errors.ByKind)
			}
			continue
		}
		sameAsRef(t, workers, ref, files)
	}
}

// TestAudioRowsFlushByMelBytes: a whisper-80 row is 3000×80 float32 (960
// KB) plus validity bits, so a 2.5 MiB batch target holds two of them.
func TestAudioRowsFlushByMelBytes(t *testing.T) {
	_, aud := newAudioTok(t, audio.Config{})
	lay := newLayout(map[string]Modality{ModAudio: aud})
	p, err := aud.Tokenize(context.Background(), sampleWAV(t))
	if err != nil {
		t.Fatal(err)
	}
	r := row{id: "x", modality: ModAudio, p: p}
	const v = 3000 * 80
	if n := lay.rowBytes(&r); n < 4*v+v/8 || n > 4*v+v/8+1024 {
		t.Fatalf("row estimate %d bytes for %d mel bytes", n, 4*v)
	}
	src := t.TempDir()
	files := map[string]string{}
	for i := range 5 {
		files[fmt.Sprintf("%d.wav", i)] = string(sampleWAV(t))
	}
	writeTree(t, src, files)
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Modalities: []Modality{aud}, BatchBytes: 5 << 19}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(batchSizes(t, filepath.Join(out, "part-00000.arrow"))); got != "[2 2 1]" {
		t.Errorf("batch sizes %s, want [2 2 1]", got)
	}
}

// TestManifestAudioField: a line with text, an image and an audio path is
// three rows with one id (segments 0, 1, 2); audio paths obey the
// manifest-directory root like image paths.
func TestManifestAudioField(t *testing.T) {
	ttok, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		t.Fatal(err)
	}
	tok, aud := newAudioTok(t, audio.Config{})
	_, img := newImageTok(t, image.Config{})
	wav := sampleWAV(t)
	want, err := tok.Tokenize(context.Background(), wav)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	lines := []string{
		`{"id":"all","text":"hello world","image":"a.png","audio":"clips/a.wav"}`,
		`{"id":"audio-only","audio":"clips/a.wav"}`,
		`{"id":"up","audio":"../secret.wav"}`,
		`{"id":"abs","audio":"/etc/hostname"}`,
		`{"id":"link","audio":"link.wav"}`,
		`{"id":"missing","audio":"clips/nope.wav"}`,
		`{"id":"num","audio":[1]}`,
		`{"id":"none"}`,
	}
	writeTree(t, src, map[string]string{"m/pairs.jsonl": strings.Join(lines, "\n") + "\n", "m/clips/a.wav": string(wav),
		"m/a.png": string(imageFixture(t, "synth_70x70.png")), "secret.wav": string(wav)})
	if err := os.Symlink("../secret.wav", filepath.Join(src, "m", "link.wav")); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{Inputs: []string{filepath.Join(src, "m", "pairs.jsonl")}, OutputDir: out,
		ImageField: "image", AudioField: "audio", Modalities: []Modality{NewText(ttok), img, aud}}); err != nil {
		t.Fatal(err)
	}
	rows, _ := readAudioRows(t, out)
	type exp struct {
		id, field, mod, err string
		seg                 int32
	}
	wantRows := []exp{
		{"all", "text", ModText, "", 0}, {"all", "image", ModImage, "", 1}, {"all", "audio", ModAudio, "", 2},
		{"audio-only", "audio", ModAudio, "", 0},
		{"up", "audio", ModAudio, "outside_root: ", 0},
		{"abs", "audio", ModAudio, "outside_root: ", 0},
		{"link", "audio", ModAudio, "outside_root: ", 0},
		{"missing", "audio", ModAudio, "read_error: ", 0},
		{"num", "audio", ModAudio, "field_type: ", 0},
		{"none", "text", ModText, `missing_field: none of the fields "text", "image", "audio" is set`, 0},
	}
	if len(rows) != len(wantRows) {
		t.Fatalf("%d rows, want %d", len(rows), len(wantRows))
	}
	for i, w := range wantRows {
		r := rows[i]
		if r.ID != w.id || r.Field != w.field || r.Modality != w.mod || r.Segment != w.seg || !strings.HasPrefix(r.Error, w.err) || (w.err == "") != (r.Error == "") {
			t.Errorf("row %d = %s/%s/%s seg %d %q, want %+v", i, r.ID, r.Field, r.Modality, r.Segment, r.Error, w)
		}
		if w.err == "" && w.mod == ModAudio && (fmt.Sprint(r.mel) != fmt.Sprint(want.Mel) || int(r.NumTokens) != want.NumTokens) {
			t.Errorf("row %d: mel differs from tokenizing the file directly", i)
		}
	}
	for _, bad := range []Options{{AudioField: "text"}, {AudioField: "id"}, {AudioField: "x", ImageField: "x"}} {
		bad.Inputs, bad.OutputDir, bad.Modalities = []string{src}, t.TempDir(), []Modality{aud}
		if _, err := Run(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "--audio-field") {
			t.Errorf("audio field %q (image field %q): %v, want a ConfigError naming --audio-field", bad.AudioField, bad.ImageField, err)
		}
	}
}

// clashModality declares grid_thw as int64 triples: registered with an
// image tokenizer (int32 triples) the job cannot start.
type clashModality struct{ byteModality }

func (clashModality) Name() string { return ModVideo }

func (clashModality) columns() []column {
	c := gridColumn
	c.typ = arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Int64)
	return []column{c}
}

func TestColumnClashFailsAtStart(t *testing.T) {
	_, img := newImageTok(t, image.Config{})
	_, aud := newAudioTok(t, audio.Config{Preset: "ast"})
	out := t.TempDir()
	_, err := Run(context.Background(), Options{Inputs: []string{t.TempDir()}, OutputDir: out, Modalities: []Modality{img, aud, clashModality{}}})
	if _, ok := err.(*ConfigError); !ok || !strings.Contains(err.Error(), "video tokenizer writes column grid_thw as fixed_size_list<item: int64") || !strings.Contains(err.Error(), "image") {
		t.Fatalf("clash: %v, want a ConfigError naming the video and image grid_thw types", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("a job that cannot start wrote %d files", len(ents))
	}
	// Images and AST audio agree on grid_thw: no clash.
	if msg := columnClash(map[string]Modality{ModImage: img, ModAudio: aud}); msg != "" {
		t.Errorf("image + ast: %s", msg)
	}
}

// TestTruncatedWAVWarns: a WAV whose data chunk ends early is tokenized
// (what is there) and flagged in the warning column and the summary, as
// the issue asks ("decode what is there and flag it"); a whole file is not.
func TestTruncatedWAVWarns(t *testing.T) {
	in := t.TempDir()
	for _, name := range []string{"wav_s16_truncated.wav", "wav_f32.wav"} {
		data, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "audio", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(in, name), data, 0o644)
	}
	// A WAV header with no samples: the row is HF's (30 s of padding), flagged.
	wav := data0(t)
	os.WriteFile(filepath.Join(in, "zz_empty.wav"), wav, 0o644)
	_, aud := newAudioTok(t, audio.Config{Preset: "whisper-80"})
	out := filepath.Join(t.TempDir(), "out")
	sum, err := Run(context.Background(), Options{Inputs: []string{in}, OutputDir: out, Modalities: []Modality{byteModality{}, aud}})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := readParts(t, out)
	if len(rows) != 3 || sum.Warnings != 2 || sum.Errors.Total != 0 {
		t.Fatalf("rows %+v, summary warnings %d errors %d", rows, sum.Warnings, sum.Errors.Total)
	}
	if r := rows[2]; r.ID != "zz_empty.wav" || !strings.HasPrefix(r.Warning, "empty: the wav/pcm_s16le file holds no samples") || r.NumTokens != 3000 {
		t.Errorf("empty WAV: %+v", r)
	}
	for _, r := range rows[:2] {
		truncated := r.ID == "wav_s16_truncated.wav"
		if truncated != strings.HasPrefix(r.Warning, "truncated: the wav/pcm_s16le file ends before its declared length") || !r.HasTokens || r.NumTokens != 3000 {
			t.Errorf("%s: warning %q, num_tokens %d", r.ID, r.Warning, r.NumTokens)
		}
	}
}

// TestWarningsReachManifest: finalize sums the shards' warning counts.
func TestWarningsReachManifest(t *testing.T) {
	in := t.TempDir()
	data, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", "audio", "wav_s16_truncated.wav"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.wav", "b.wav", "c.wav"} {
		os.WriteFile(filepath.Join(in, name), data, 0o644)
	}
	_, aud := newAudioTok(t, audio.Config{Preset: "whisper-80"})
	out := filepath.Join(t.TempDir(), "out")
	for i := range 2 {
		if _, err := Run(context.Background(), Options{Inputs: []string{in}, OutputDir: out, Modalities: []Modality{byteModality{}, aud},
			NumShards: 2, ShardIndex: i}); err != nil {
			t.Fatal(err)
		}
	}
	man, err := Finalize(out, LayoutPlain)
	if err != nil || man.Warnings != 3 || man.Errors != 0 {
		t.Fatalf("manifest warnings %d errors %d, %v; want 3 and 0", man.Warnings, man.Errors, err)
	}
}

// data0 is a 16 kHz mono s16 WAV header with a data chunk of 0 bytes.
func data0(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))     // PCM
	le(uint16(1))     // mono
	le(uint32(16000)) // Hz
	le(uint32(32000)) // bytes/s
	le(uint16(2))     // block align
	le(uint16(16))    // bits
	b.WriteString("data")
	le(uint32(0))
	return b.Bytes()
}
