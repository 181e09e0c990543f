package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/text"
	"github.com/tokenfab/tokenfab/video"
)

func videoFixture(t testing.TB, name string) []byte {
	t.Helper()
	return readFixture(t, "video", name)
}

func newVideoTok(t testing.TB, cfg video.Config) (*video.Tokenizer, Modality) {
	t.Helper()
	testenv.Tool(t, "ffmpeg")
	testenv.Tool(t, "ffprobe")
	tok, err := video.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewVideo(tok)
	if err != nil {
		t.Fatal(err)
	}
	return tok, m
}

// TestVideoAdapterMatchesVideoPackage: the adapter's payload is the video
// package's Tokens, field for field, and on the rotated fixture it is the
// HF golden's geometry (fixtures/video/golden/presets.json fx_rot90_qwen:
// frames 0,7,15,22 of 30 at 29.97 fps, grid (2,32,18): portrait, the
// stored 160×90 turned 90°; 1152 patches of 1176).
func TestVideoAdapterMatchesVideoPackage(t *testing.T) {
	for _, c := range []struct {
		preset, file string
		dtype        string
		grid         [3]int32
		dim, tokens  int
	}{
		{"qwen2-vl", "rot90_160x90.mp4", "uint8", [3]int32{2, 32, 18}, 1176, 1152 / 4},
		{"qwen2-vl", "vfr_160x90.mp4", "float32", [3]int32{4, 18, 32}, 1176, 2304 / 4},
		{"videomae", "odd_95x53_vp9.webm", "uint8", [3]int32{8, 14, 14}, 1536, 1568},
	} {
		tok, m := newVideoTok(t, video.Config{Preset: c.preset, PatchDType: c.dtype})
		data := videoFixture(t, c.file)
		tk, err := tok.Tokenize(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Tokenize(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		if p.GridTHW != c.grid || !p.HasGrid || tk.GridTHW != c.grid || p.NumTokens != c.tokens || p.NumTokens != tk.NumTokens ||
			p.VideoPatchDim != c.dim || tk.PatchDim != c.dim {
			t.Errorf("%s %s: grid %v tokens %d dim %d; package grid %v tokens %d; want %v, %d, %d",
				c.preset, c.file, p.GridTHW, p.NumTokens, p.VideoPatchDim, tk.GridTHW, tk.NumTokens, c.grid, c.tokens, c.dim)
		}
		n := int(c.grid[0] * c.grid[1] * c.grid[2])
		if c.dtype == "float32" {
			if p.VideoPatches != nil || len(p.VideoPatchValues) != n*c.dim || !slices.Equal(p.VideoPatchValues, tk.PixelValues) {
				t.Errorf("%s %s: float32 patches %d values, want the package's %d", c.preset, c.file, len(p.VideoPatchValues), len(tk.PixelValues))
			}
		} else if p.VideoPatchValues != nil || len(p.VideoPatches) != n*c.dim || !bytes.Equal(p.VideoPatches, tk.Patches) {
			t.Errorf("%s %s: uint8 patches %d values, want the package's %d", c.preset, c.file, len(p.VideoPatches), len(tk.Patches))
		}
		if len(p.Timestamps) != tk.NumFrames || !slices.Equal(p.Timestamps, tk.Timestamps) || p.Patches != nil || p.Mel != nil {
			t.Errorf("%s %s: timestamps %v, want %v", c.preset, c.file, p.Timestamps, tk.Timestamps)
		}
		if c.file == "rot90_160x90.mp4" {
			// indices 0,7,15,22 at 1001/30000 s per frame
			want := []float64{0, 7 * 1001.0 / 30000, 15 * 1001.0 / 30000, 22 * 1001.0 / 30000}
			for i, ts := range p.Timestamps {
				if d := ts - want[i]; d > 1e-3 || d < -1e-3 || !slices.Equal(tk.FrameIndices, []int{0, 7, 15, 22}) {
					t.Errorf("rot90 timestamps %v frames %v, want %v (frames 0,7,15,22)", p.Timestamps, tk.FrameIndices, want)
					break
				}
			}
		}
		d := m.Describe()
		if d["preset"] != c.preset || d["patch_dim"] != c.dim || d["patch_dtype"] != c.dtype || d["image"] == nil {
			t.Errorf("%s: Describe %v", c.preset, d)
		}
		if _, err := json.Marshal(d); err != nil {
			t.Errorf("%s: Describe is not JSON: %v", c.preset, err)
		}
	}
}

// vidRow is a row read back with the video columns (and mel).
type vidRow struct {
	outRow
	patches      []uint8
	patchesNull  bool
	grid         [3]int32
	gridNull     bool
	ts           []float64
	tsNull       bool
	melLen       int
	melNull      bool
	imgPatchNull bool
}

func readVideoRows(t *testing.T, dir string) ([]vidRow, *arrow.Schema) {
	t.Helper()
	var rows []vidRow
	schema := readPartBatches(t, dir, func(schema *arrow.Schema, rec arrow.RecordBatch) {
		col := func(name string) arrow.Array {
			idx := schema.FieldIndices(name)
			if len(idx) != 1 {
				t.Fatalf("column %s: %v", name, idx)
			}
			return rec.Column(idx[0])
		}
		nulls := func(name string) func(int) bool { // all null when the job lacks the column
			if len(schema.FieldIndices(name)) == 0 {
				return func(int) bool { return true }
			}
			return col(name).IsNull
		}
		vp := col("video_patches").(*array.List)
		fsl := vp.ListValues().(*array.FixedSizeList)
		w := int64(fsl.DataType().(*arrow.FixedSizeListType).Len())
		u8 := fsl.ListValues().(*array.Uint8).Uint8Values()
		gl := col("grid_thw").(*array.FixedSizeList)
		tl := col("timestamps").(*array.List)
		tv := tl.ListValues().(*array.Float64).Float64Values()
		melNull, ipNull := nulls("mel"), nulls("patches")
		for k, base := range decodeBatch(rec) {
			r := vidRow{outRow: base, patchesNull: vp.IsNull(k), gridNull: gl.IsNull(k), tsNull: tl.IsNull(k), melNull: melNull(k), imgPatchNull: ipNull(k)}
			if !r.patchesNull {
				s, e := vp.ValueOffsets(k)
				r.patches = append([]uint8{}, u8[s*w:e*w]...)
			}
			if !r.gridNull {
				r.grid = gridAt(gl, k)
			}
			if !r.tsNull {
				s, e := tl.ValueOffsets(k)
				r.ts = append([]float64{}, tv[s:e]...)
			}
			if !r.melNull {
				s, e := col("mel").(*array.List).ValueOffsets(k)
				r.melLen = int(e - s)
			}
			rows = append(rows, r)
		}
	})
	return rows, schema
}

// TestVideoColumnsReadBack: the default CLI combination (vit-base image
// patches of 768, whisper-80 audio, qwen2-vl video patches of 1176) in one
// job with --video-audio: a video with sound is two rows (video, then its
// audio as segment 1), a silent one a video row and a "no audio stream"
// row, a garbage .mp4 two tokenize rows; columns, metadata and values read
// back equal the packages' outputs.
func TestVideoColumnsReadBack(t *testing.T) {
	ttok, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		t.Fatal(err)
	}
	_, img := newImageTok(t, image.Config{})
	atok, err := audio.New(audio.Config{})
	if err != nil {
		t.Fatal(err)
	}
	vtok, vid := newVideoTok(t, video.Config{})
	va, err := NewVideoAudio(vtok, atok)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	files := map[string]string{
		"a/odd.webm":  string(videoFixture(t, "odd_95x53_vp9.webm")),
		"b/rot.mp4":   string(videoFixture(t, "rot90_160x90.mp4")),
		"bad.mp4":     "\x00\x00\x00\x18ftypisom" + strings.Repeat("\x00", 100),
		"c.txt":       "hello world",
		"d/img.png":   string(imageFixture(t, "synth_70x70.png")),
		"e/sound.wav": string(sampleWAV(t)),
	}
	writeTree(t, src, files)
	out := t.TempDir()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	sum, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Allocator: mem, VideoAudio: true,
		Modalities: []Modality{vid, NewText(ttok), img, va}})
	if err != nil {
		t.Fatal(err)
	}
	mem.AssertSize(t, 0)
	vm, am := sum.Modalities[ModVideo], sum.Modalities[ModAudio]
	// 6 records; rows: odd (video, audio), rot (video, audio error: no sound), bad (video and audio errors), txt, png, wav.
	if sum.Records != 6 || sum.Rows != 9 || sum.Errors.Total != 3 || sum.Errors.ByKind["tokenize"].Count != 3 ||
		vm == nil || vm.Segments != 3 || vm.Errors != 1 || am == nil || am.Segments != 4 || am.Errors != 2 {
		t.Fatalf("summary records %d rows %d errors %v video %+v audio %+v", sum.Records, sum.Rows, sum.Errors.ByKind, vm, am)
	}
	rows, schema := readVideoRows(t, out)
	var names []string
	for _, f := range schema.Fields()[len(baseColumns):] {
		names = append(names, f.Name)
	}
	if fmt.Sprint(names) != "[patches grid_thw mel video_patches timestamps]" {
		t.Fatalf("extra columns %v", names)
	}
	if f, _ := schema.FieldsByName("video_patches"); !arrow.TypeEqual(f[0].Type, arrow.ListOf(arrow.FixedSizeListOf(1176, arrow.PrimitiveTypes.Uint8))) {
		t.Errorf("video_patches type %v", f[0].Type)
	}
	if f, _ := schema.FieldsByName("timestamps"); !arrow.TypeEqual(f[0].Type, arrow.ListOf(arrow.PrimitiveTypes.Float64)) || !f[0].Nullable {
		t.Errorf("timestamps field %v", f[0])
	}
	hf, _ := schema.Metadata().GetValue("huggingface")
	wantHF := `"video_patches":{"feature":{"feature":{"dtype":"uint8","_type":"Value"},"length":1176,"_type":"Sequence"},"_type":"Sequence"},` +
		`"timestamps":{"feature":{"dtype":"float64","_type":"Value"},"_type":"Sequence"}}}}`
	if !strings.HasSuffix(hf, wantHF) || strings.Count(hf, `"grid_thw"`) != 1 {
		t.Errorf("huggingface metadata %s, want the suffix %s", hf, wantHF)
	}
	tf, _ := schema.Metadata().GetValue("tokenfab")
	var meta struct {
		Tokenizers map[string]map[string]any `json:"tokenizers"`
		Options    map[string]any            `json:"options"`
	}
	if err := json.Unmarshal([]byte(tf), &meta); err != nil {
		t.Fatal(err)
	}
	if v := meta.Tokenizers["video"]; v["preset"] != "qwen2-vl" || v["patch_dim"] != 1176.0 || v["sampling"] != "hf-qwen2-vl" ||
		meta.Tokenizers["audio"]["video_audio"] == nil || meta.Options["video_audio"] != true {
		t.Errorf("tokenfab metadata: video %v, audio %v, options %v", v, meta.Tokenizers["audio"], meta.Options)
	}
	type key struct {
		id  string
		seg int32
	}
	by := map[key]vidRow{}
	var order []key
	for _, r := range rows {
		k := key{r.ID, r.Segment}
		by[k] = r
		order = append(order, k)
	}
	if got := fmt.Sprint(order); got != "[{a/odd.webm 0} {a/odd.webm 1} {b/rot.mp4 0} {b/rot.mp4 1} {bad.mp4 0} {bad.mp4 1} {c.txt 0} {d/img.png 0} {e/sound.wav 0}]" {
		t.Fatalf("row order %s", got)
	}
	for _, name := range []string{"a/odd.webm", "b/rot.mp4"} {
		tk, err := vtok.Tokenize(context.Background(), []byte(files[name]))
		if err != nil {
			t.Fatal(err)
		}
		r := by[key{name, 0}]
		if r.Error != "" || r.Modality != ModVideo || r.patchesNull || !bytes.Equal(r.patches, tk.Patches) || r.grid != tk.GridTHW ||
			!slices.Equal(r.ts, tk.Timestamps) || int(r.NumTokens) != tk.NumTokens || !r.imgPatchNull || !r.melNull || !r.IDsNull {
			t.Errorf("%s: video row %+v grid %v ts %v differs from the package's grid %v ts %v tokens %d",
				name, r.outRow, r.grid, r.ts, tk.GridTHW, tk.Timestamps, tk.NumTokens)
		}
		if len(r.patches) != int(r.grid[0]*r.grid[1]*r.grid[2])*1176 {
			t.Errorf("%s: %d patch bytes for grid %v", name, len(r.patches), r.grid)
		}
	}
	if g := by[key{"b/rot.mp4", 0}].grid; g != [3]int32{2, 32, 18} {
		t.Errorf("rotated clip grid %v, want (2,32,18): portrait", g)
	}
	// The webm's Opus sound: the audio package's tokens of video.Audio.
	at, err := vtok.Audio(context.Background(), []byte(files["a/odd.webm"]), atok)
	if err != nil {
		t.Fatal(err)
	}
	if r := by[key{"a/odd.webm", 1}]; r.Error != "" || r.Modality != ModAudio || r.melNull || r.melLen != at.NumTokens || int(r.NumTokens) != at.NumTokens ||
		!r.patchesNull || !r.tsNull || !r.gridNull {
		t.Errorf("odd.webm audio row %+v mel %d, want %d frames", r.outRow, r.melLen, at.NumTokens)
	}
	if r := by[key{"b/rot.mp4", 1}]; r.Modality != ModAudio || !strings.Contains(r.Error, "no audio stream") || !r.melNull {
		t.Errorf("silent clip's audio row %+v, want a 'no audio stream' error row", r.outRow)
	}
	if r := by[key{"bad.mp4", 0}]; !strings.HasPrefix(r.Error, "tokenize: video: ") || !r.patchesNull || !r.tsNull || !r.gridNull || r.HasTokens {
		t.Errorf("bad.mp4: %+v, want a tokenize row with null video columns", r.outRow)
	}
	if r := by[key{"d/img.png", 0}]; r.Error != "" || r.imgPatchNull || !r.patchesNull || !r.tsNull || r.grid != [3]int32{1, 14, 14} {
		t.Errorf("image row %+v: want image patches, grid (1,14,14), null video columns", r.outRow)
	}
	if r := by[key{"e/sound.wav", 0}]; r.Error != "" || r.melLen != 3000 || !r.tsNull {
		t.Errorf("wav row %+v mel %d: the audio modality must still take audio files", r.outRow, r.melLen)
	}
}

// TestVideoDeterministicAcrossWorkers: the five video fixtures (MP4,
// rotated, VFR, VP9 WebM, animated GIF as an image) and an image, with
// --video-audio and batches of a few rows, give byte-identical files with
// 1 and 2 workers.
func TestVideoDeterministicAcrossWorkers(t *testing.T) {
	_, img := newImageTok(t, image.Config{})
	atok, err := audio.New(audio.Config{})
	if err != nil {
		t.Fatal(err)
	}
	vtok, vid := newVideoTok(t, video.Config{})
	va, err := NewVideoAudio(vtok, atok)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	files := map[string]string{"z.png": string(imageFixture(t, "synth_70x70.png"))}
	ents, _ := os.ReadDir(filepath.Join(testenv.Root(), "fixtures", "video"))
	for _, e := range ents {
		if !e.IsDir() {
			files[e.Name()] = string(videoFixture(t, e.Name()))
		}
	}
	writeTree(t, src, files)
	var ref map[string][]byte
	for _, workers := range []int{1, 2} {
		out := t.TempDir()
		sum, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Workers: workers, VideoAudio: true,
			Modalities: []Modality{img, vid, va}, BatchBytes: 1 << 20, MaxFileBytes: 3 << 20})
		if err != nil {
			t.Fatal(err)
		}
		got := readOutputs(t, out, sum.Files)
		if ref == nil {
			ref = got
			// 4 ffmpeg videos (2 with sound) + GIF and PNG as images.
			vm, am := sum.Modalities[ModVideo], sum.Modalities[ModAudio]
			if len(got) < 2 || vm == nil || vm.Segments != 4 || vm.Errors != 0 || am == nil || am.Segments != 4 || am.Errors != 2 ||
				sum.Modalities[ModImage].Segments != 2 {
				t.Fatalf("%d files; video %+v audio %+v errors %v: want several files, 4 video rows, 4 audio rows (2 without sound)",
					len(got), vm, am, sum.Errors.ByKind)
			}
			continue
		}
		sameAsRef(t, workers, ref, got)
	}
}

// TestManifestVideoField: a line with text and a video path is text
// (segment 0), video (1) and, with VideoAudio, the video's audio (2, field
// = the video field); a path leaving the manifest's directory is an
// outside_root row.
func TestManifestVideoField(t *testing.T) {
	ttok, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		t.Fatal(err)
	}
	atok, err := audio.New(audio.Config{})
	if err != nil {
		t.Fatal(err)
	}
	vtok, vid := newVideoTok(t, video.Config{Preset: "vit-base-patch16-224"})
	va, err := NewVideoAudio(vtok, atok)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"m/clips/a.mp4": string(videoFixture(t, "audio_first_160x120.mp4")),
		"m/x.jsonl":     `{"id":"r1","text":"hi","clip":"clips/a.mp4"}` + "\n" + `{"id":"r2","clip":"../outside.mp4"}` + "\n" + `{"id":"r3","clip":7}` + "\n",
		"outside.mp4":   string(videoFixture(t, "audio_first_160x120.mp4")),
	})
	out := t.TempDir()
	_, err = Run(context.Background(), Options{Inputs: []string{filepath.Join(src, "m", "x.jsonl")}, OutputDir: out, VideoField: "clip", VideoAudio: true,
		Modalities: []Modality{NewText(ttok), vid, va}})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := readVideoRows(t, out)
	var got []string
	for _, r := range rows {
		kind, _, _ := strings.Cut(r.Error, ":")
		got = append(got, fmt.Sprintf("%s/%d/%s/%s/%s", r.ID, r.Segment, r.Field, r.Modality, kind))
	}
	if s := fmt.Sprint(got); s != "[r1/0/text/text/ r1/1/clip/video/ r1/2/clip/audio/ r2/0/clip/video/outside_root r3/0/clip/video/field_type]" {
		t.Fatalf("rows %s", s)
	}
	tk, err := vtok.Tokenize(context.Background(), videoFixture(t, "audio_first_160x120.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[1]; r.grid != tk.GridTHW || !bytes.Equal(r.patches, tk.Patches) || !slices.Equal(r.ts, tk.Timestamps) || len(r.ts) != 8 {
		t.Errorf("manifest video row grid %v, %d timestamps, want the package's %v (8 frames)", r.grid, len(r.ts), tk.GridTHW)
	}
	if rows[2].melLen != 3000 || rows[2].Error != "" {
		t.Errorf("manifest video's audio row %+v mel %d", rows[2].outRow, rows[2].melLen)
	}
}

// TestVideoWithoutFFmpeg: a video whose ffmpeg is missing is an error row
// naming ffmpeg; the job goes on and the summary counts it.
func TestVideoWithoutFFmpeg(t *testing.T) {
	tok, err := video.New(video.Config{FFmpeg: "/nonexistent/ffmpeg", FFprobe: "/nonexistent/ffprobe"})
	if err != nil {
		t.Fatal(err)
	}
	vid, err := NewVideo(tok)
	if err != nil {
		t.Fatal(err)
	}
	ttok, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.mp4": string(videoFixture(t, "vfr_160x90.mp4")), "b.txt": "hello"})
	out := t.TempDir()
	sum, err := Run(context.Background(), Options{Inputs: []string{src}, OutputDir: out, Modalities: []Modality{NewText(ttok), vid}})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := readParts(t, out)
	if len(rows) != 2 || !strings.HasPrefix(rows[0].Error, "tokenize: video: ") || !strings.Contains(rows[0].Error, "ffmpeg") ||
		rows[1].Error != "" || sum.Errors.ByKind["tokenize"].Count != 1 || sum.Modalities[ModVideo].Errors != 1 {
		t.Fatalf("rows %+v, summary errors %v", rows, sum.Errors.ByKind)
	}
}

// TestVideoOptionsChecked: bad video options are configuration errors
// before anything is written.
func TestVideoOptionsChecked(t *testing.T) {
	tok, err := video.New(video.Config{})
	if err != nil {
		t.Fatal(err)
	}
	vid, err := NewVideo(tok)
	if err != nil {
		t.Fatal(err)
	}
	// Video patches have uint8 and float32 columns only.
	if f16, err := video.New(video.Config{PatchDType: "float16"}); err != nil {
		t.Fatal(err)
	} else if _, err := NewVideo(f16); err == nil || !strings.Contains(err.Error(), "uint8 or float32") {
		t.Errorf("NewVideo(float16) = %v, want an error", err)
	}
	_, aud := newAudioTok(t, audio.Config{})
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{VideoField: "text", Modalities: []Modality{vid}}, "video field"},
		{Options{VideoAudio: true, Modalities: []Modality{vid, aud}}, "NewVideoAudio"},
		{Options{VideoAudio: true, Modalities: []Modality{aud}}, "needs a video tokenizer"},
	} {
		out := t.TempDir()
		c.opts.Inputs, c.opts.OutputDir = []string{t.TempDir()}, out
		_, err := Run(context.Background(), c.opts)
		if _, ok := err.(*ConfigError); !ok || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want a ConfigError with %q", c.opts, err, c.want)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("a job that cannot start wrote %d files", len(ents))
		}
	}
}
